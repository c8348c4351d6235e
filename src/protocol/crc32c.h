// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Kafka
// stores in a RecordBatch v2 header over the bytes from `attributes` to the
// end of the batch.
//
// crc32c() picks the SSE4.2 instruction path when the CPU has it and a
// table-driven (slicing-by-8) path otherwise; both give identical results.
#pragma once

#include <cstdint>
#include <span>

namespace freshet::protocol {

// CRC-32C of `data`. `init` is a previous result to continue from, so that
// crc32c(b, crc32c(a)) == crc32c(a followed by b); crc32c("123456789") is
// 0xE3069283.
uint32_t crc32c(std::span<const uint8_t> data, uint32_t init = 0);

// The two implementations crc32c() chooses between, exposed so tests and
// benchmarks can compare them. crc32c_hardware() requires
// crc32c_hardware_available().
uint32_t crc32c_software(std::span<const uint8_t> data, uint32_t init = 0);
uint32_t crc32c_hardware(std::span<const uint8_t> data, uint32_t init = 0);
bool crc32c_hardware_available();

}  // namespace freshet::protocol
