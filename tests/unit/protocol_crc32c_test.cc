#include "protocol/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string_view>
#include <vector>
#include "protocol_test_support.h"

namespace freshet::protocol {
namespace {

using namespace test_support;

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

using Crc32cFn = uint32_t (*)(std::span<const uint8_t>, uint32_t);

// Each test runs against both implementations and the dispatcher.
class Crc32cTest : public ::testing::TestWithParam<Crc32cFn> {
 protected:
  void SetUp() override {
    if (GetParam() == &crc32c_hardware && !crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2";
  }
};

INSTANTIATE_TEST_SUITE_P(Paths, Crc32cTest, ::testing::Values(&crc32c, &crc32c_software, &crc32c_hardware),
                         [](const auto& info) {
                           return info.index == 0 ? "Dispatch" : info.index == 1 ? "Software" : "Hardware";
                         });

TEST_P(Crc32cTest, KnownVectors) {
  const Crc32cFn crc = GetParam();
  EXPECT_EQ(crc(bytes_of("123456789"), 0), 0xE3069283u);
  EXPECT_EQ(crc({}, 0), 0u);
  // RFC 3720 (iSCSI) appendix B.4.
  std::vector<uint8_t> v(32, 0x00);
  EXPECT_EQ(crc(v, 0), 0x8A9136AAu);
  std::fill(v.begin(), v.end(), 0xFF);
  EXPECT_EQ(crc(v, 0), 0x62A8AB43u);
  for (size_t i = 0; i < 32; ++i) v[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(crc(v, 0), 0x46DD794Eu);
  for (size_t i = 0; i < 32; ++i) v[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(crc(v, 0), 0x113FDB5Cu);
}

TEST_P(Crc32cTest, InitContinuesAPreviousCrc) {
  const Crc32cFn crc = GetParam();
  const std::vector<uint8_t> data = random_bytes(100000, 1);
  const std::span<const uint8_t> all(data);
  const uint32_t whole = crc(all, 0);
  for (size_t split : {0, 1, 7, 8, 9, 767, 768, 24575, 24576, 60001, 100000}) {
    EXPECT_EQ(crc(all.subspan(split), crc(all.first(split), 0)), whole) << "split at " << split;
  }
}

TEST(Crc32c, HardwareMatchesSoftwareOnRandomData) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2";
  const std::vector<uint8_t> data = random_bytes(200000, 2);
  std::mt19937 rng(3);
  // Lengths around the 3-way block boundaries (3 x 256, 3 x 8192), plus
  // random ones at unaligned starts.
  std::vector<size_t> lengths = {0, 1, 2, 7, 8, 15, 16, 255, 256, 767, 768, 769, 1536, 24575, 24576, 24577, 49152,
                                 73727, 199000};
  for (int i = 0; i < 300; ++i) lengths.push_back(rng() % 100000);
  for (size_t length : lengths) {
    const size_t start = rng() % 64;
    const auto slice = std::span<const uint8_t>(data).subspan(start, length);
    const uint32_t init = static_cast<uint32_t>(rng());
    ASSERT_EQ(crc32c_hardware(slice, init), crc32c_software(slice, init)) << "length " << length << " start " << start;
  }
}

}  // namespace
}  // namespace freshet::protocol
