// A dynamic quorum's voters in the metadata log: VotersRecord control
// batches read back with their endpoints on the controller listener,
// found among other batches by offset, and --initial-controllers lists.
#include <gtest/gtest.h>

#include "cluster/metadata_log.h"
#include "cluster/voter_records.h"
#include "protocol/record_batch.h"

namespace freshet::cluster {
namespace {

const protocol::Uuid kDir1 = protocol::Uuid::from_base64("J8aAhUQ5RSy6HSRZJnv3bA").value();
const protocol::Uuid kDir2 = protocol::Uuid::from_base64("pC_O0mzjTjaivGSRhrzWzg").value();

TEST(VoterRecords, AVotersBatchAmongOthersIsFoundAtItsOffsetWithItsEndpoints) {
  const std::vector<QuorumVoter> voters{{2, "127.0.0.2", 9095, kDir2}, {1, "127.0.0.1", 9093, kDir1}};
  auto metadata = build_metadata_batch(std::vector<MetadataRecord>{protocol::TopicRecord{}}, 0);
  auto version = build_kraft_version_batch(0);
  auto voters_batch = build_voters_batch(voters, "CONTROLLER", 0);
  std::vector<uint8_t> log;
  int64_t offset = 7;
  for (auto* batch : {&metadata, &version, &voters_batch}) {
    protocol::set_base_offset(*batch, offset++);
    log.insert(log.end(), batch->begin(), batch->end());
  }
  const auto found = voters_records_in(log, "CONTROLLER");
  ASSERT_EQ(found.size(), 1u);
  ASSERT_TRUE(found.contains(9));
  // Ascending by id, each at its controller endpoint with its directory id.
  EXPECT_EQ(found.at(9), (std::vector<QuorumVoter>{{1, "127.0.0.1", 9093, kDir1}, {2, "127.0.0.2", 9095, kDir2}}));
  EXPECT_EQ(voter_id_changes(found), (raft::VoterChanges{{9, {1, 2}}}));
}

TEST(VoterRecords, InitialControllersNameIdHostPortAndDirectory) {
  const auto voters = parse_initial_controllers("2@127.0.0.2:9095:pC_O0mzjTjaivGSRhrzWzg,1@[::1]:9093:J8aAhUQ5RSy6HSRZJnv3bA");
  EXPECT_EQ(voters, (std::vector<QuorumVoter>{{1, "::1", 9093, kDir1}, {2, "127.0.0.2", 9095, kDir2}}));
  for (const char* bad : {"1@127.0.0.1:9093", "x@h:1:J8aAhUQ5RSy6HSRZJnv3bA", "1@h:0:J8aAhUQ5RSy6HSRZJnv3bA",
                          "1@h:9093:nonsense", "1@h:1:J8aAhUQ5RSy6HSRZJnv3bA,1@h:2:pC_O0mzjTjaivGSRhrzWzg"})
    EXPECT_THROW(parse_initial_controllers(bad), std::runtime_error) << bad;
}

}  // namespace
}  // namespace freshet::cluster
