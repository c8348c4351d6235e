// Names of the files in a partition directory, as Kafka spells them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace freshet::storage {

inline constexpr std::string_view kLogFileSuffix = ".log";
inline constexpr std::string_view kOffsetIndexFileSuffix = ".index";
inline constexpr std::string_view kTimeIndexFileSuffix = ".timeindex";
inline constexpr std::string_view kTxnIndexFileSuffix = ".txnindex";
// Producer state snapshots are named by offset like segments: <offset>.snapshot.
inline constexpr std::string_view kProducerSnapshotFileSuffix = ".snapshot";
inline constexpr std::string_view kLeaderEpochCheckpointFileName = "leader-epoch-checkpoint";
inline constexpr std::string_view kPartitionMetadataFileName = "partition.metadata";
// Suffix of files being written before an atomic rename.
inline constexpr std::string_view kTempFileSuffix = ".tmp";
// Suffix of a retired segment's files awaiting deletion (file.delete.delay.ms).
inline constexpr std::string_view kDeletedFileSuffix = ".deleted";
// Suffix of a partition directory being deleted: "<dir name>.<uuid>-delete".
inline constexpr std::string_view kDeleteDirSuffix = "-delete";

// "<base offset as 20 zero-padded digits><suffix>", e.g. 00000000000000000042.log.
std::string segment_file_name(int64_t base_offset, std::string_view suffix);
// The base offset of a segment file name with `suffix`; nullopt for any other name.
std::optional<int64_t> parse_segment_file_name(std::string_view name, std::string_view suffix);

}  // namespace freshet::storage
