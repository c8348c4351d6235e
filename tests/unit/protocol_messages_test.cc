#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/api_keys.h"
#include "protocol/messages.h"
#include "protocol/testing/samples.h"
#include "protocol_test_support.h"

namespace freshet::protocol {
namespace {

using namespace test_support;

using Bytes = std::vector<uint8_t>;
using testing::MessageCase;

template <typename T>
Bytes encode(const T& message, int16_t version) {
  Writer w;
  message.encode(w, version);
  return w.take();
}

template <typename T>
T decode_all(const Bytes& bytes, int16_t version) {
  Reader r(bytes);
  T message;
  message.decode(r, version);
  EXPECT_EQ(r.remaining(), 0u) << "trailing bytes";
  return message;
}

// Runs `decode` and reports any exception other than DecodeError as a failure.
void expect_decode_error_or_success(const MessageCase& c, std::span<const uint8_t> bytes, int16_t version,
                                    const char* what) {
  size_t consumed = 0;
  try {
    c.decode_reencode(bytes, version, &consumed);
  } catch (const DecodeError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << c.name << " v" << version << " " << what << ": " << e.what();
  }
}

// ---- Every message, every version ---------------------------------------------

TEST(MessagesTest, EveryMessageRoundTripsAtEveryVersion) {
  size_t checked = 0;
  for (const MessageCase& c : testing::all_message_cases()) {
    for (int16_t v = c.min_version; v <= c.max_version; ++v) {
      for (bool nulls : {false, true}) {
        SCOPED_TRACE(std::string(c.name) + " v" + std::to_string(v) + (nulls ? " nulls" : ""));
        const Bytes bytes = c.encode_sample(v, nulls);
        size_t consumed = 0;
        const Bytes again = c.decode_reencode(bytes, v, &consumed);
        EXPECT_EQ(consumed, bytes.size());
        EXPECT_EQ(again, bytes);
        EXPECT_TRUE(c.decodes_to_sample(v, nulls));
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 1000u);
}

TEST(MessagesTest, EveryRequestAndResponseIsCovered) {
  size_t requests = 0, responses = 0;
  for (const MessageCase& c : testing::all_message_cases()) {
    requests += std::string(c.kind) == "request";
    responses += std::string(c.kind) == "response";
  }
  EXPECT_EQ(requests, all_apis().size());
  EXPECT_EQ(responses, all_apis().size());
}

TEST(MessagesTest, EveryPrefixOfAnEncodingFailsCleanly) {
  for (const MessageCase& c : testing::all_message_cases()) {
    for (int16_t v = c.min_version; v <= c.max_version; ++v) {
      for (bool nulls : {false, true}) {
        const Bytes bytes = c.encode_sample(v, nulls);
        for (size_t n = 0; n < bytes.size(); ++n) {
          // A copy of exactly n bytes, so that the address sanitizer sees any overread.
          const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
          expect_decode_error_or_success(c, prefix, v, "prefix");
        }
      }
    }
  }
}

TEST(MessagesTest, CorruptedEncodingsFailCleanly) {
  std::mt19937 rng(20240611);
  for (const MessageCase& c : testing::all_message_cases()) {
    for (int16_t v = c.min_version; v <= c.max_version; ++v) {
      const Bytes bytes = c.encode_sample(v, false);
      if (bytes.empty()) continue;
      for (int round = 0; round < 40; ++round) {
        Bytes corrupt = bytes;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < flips; ++i) {
          uint8_t& b = corrupt[rng() % corrupt.size()];
          b = (round % 2) ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(b ^ 0x80);
        }
        expect_decode_error_or_success(c, corrupt, v, "corrupted");
      }
    }
  }
}

// ---- Known byte sequences -------------------------------------------------------

TEST(MessagesTest, ApiVersionsRequestV3AsLibrdkafkaSendsIt) {
  // Header v2: api key 18, version 3, correlation id 1, client id "rdkafka"
  // (classic nullable string even in the flexible header), no tagged fields;
  // body: compact strings "librdkafka" and "2.0.2", no tagged fields.
  const Bytes frame{0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 'r', 'd', 'k', 'a',
                    'f',  'k',  'a',  0x00, 0x0b, 'l',  'i',  'b',  'r',  'd',  'k',  'a',  'f', 'k',
                    'a',  0x06, '2',  '.',  '0',  '.',  '2',  0x00};
  Reader r(frame);
  RequestHeader header;
  header.decode(r, request_header_version(18, 3));
  EXPECT_EQ(header.request_api_key, 18);
  EXPECT_EQ(header.request_api_version, 3);
  EXPECT_EQ(header.correlation_id, 1);
  EXPECT_EQ(header.client_id, "rdkafka");
  ApiVersionsRequest request;
  request.decode(r, 3);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(request.client_software_name, "librdkafka");
  EXPECT_EQ(request.client_software_version, "2.0.2");

  Writer w;
  header.encode(w, 2);
  request.encode(w, 3);
  EXPECT_EQ(w.take(), frame);
}

TEST(MessagesTest, MetadataRequestV1) {
  MetadataRequest request;
  request.topics.emplace();
  request.topics->emplace_back().name = "test";
  EXPECT_EQ(encode(request, 1), (Bytes{0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'}));

  // A null topic array asks for every topic (v1+); v0 had no null, so an
  // absent list is sent as an empty one there.
  request.topics.reset();
  EXPECT_EQ(encode(request, 1), (Bytes{0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(encode(request, 0), (Bytes{0, 0, 0, 0}));
  EXPECT_FALSE(decode_all<MetadataRequest>(Bytes{0xff, 0xff, 0xff, 0xff}, 1).topics.has_value());
  EXPECT_THROW(decode_all<MetadataRequest>(Bytes{0xff, 0xff, 0xff, 0xff}, 0), DecodeError);

  const auto decoded = decode_all<MetadataRequest>(Bytes{0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'}, 1);
  ASSERT_TRUE(decoded.topics.has_value());
  ASSERT_EQ(decoded.topics->size(), 1u);
  EXPECT_EQ((*decoded.topics)[0].name, "test");
  EXPECT_TRUE(decoded.allow_auto_topic_creation);  // default "true", absent before v4
}

// Encodings produced by kafka-python 2.0.2, an independent implementation.
TEST(MessagesTest, MatchesKafkaPythonEncodings) {
  const Bytes produce = from_hex("ffffffff000003e8000000010001740000000100000000000000020102");
  const auto p = decode_all<ProduceRequest>(produce, 3);
  EXPECT_FALSE(p.transactional_id.has_value());
  EXPECT_EQ(p.acks, -1);
  EXPECT_EQ(p.timeout_ms, 1000);
  ASSERT_EQ(p.topic_data.size(), 1u);
  EXPECT_EQ(p.topic_data[0].name, "t");
  ASSERT_EQ(p.topic_data[0].partition_data.size(), 1u);
  ASSERT_TRUE(p.topic_data[0].partition_data[0].records.has_value());
  EXPECT_EQ(p.topic_data[0].partition_data[0].records->bytes.size(), 2u);
  EXPECT_EQ(encode(p, 3), produce);

  const Bytes fetch = from_hex("ffffffff000001f4000000010010000001000000010001740000000100000000000000000000000500010000");
  const auto f = decode_all<FetchRequest>(fetch, 4);
  EXPECT_EQ(f.replica_id, -1);
  EXPECT_EQ(f.max_wait_ms, 500);
  EXPECT_EQ(f.max_bytes, 1048576);
  EXPECT_EQ(f.isolation_level, 1);
  ASSERT_EQ(f.topics.size(), 1u);
  EXPECT_EQ(f.topics[0].partitions[0].fetch_offset, 5);
  EXPECT_EQ(f.topics[0].partitions[0].partition_max_bytes, 65536);
  EXPECT_EQ(encode(f, 4), fetch);

  const Bytes metadata = from_hex(
      "000000010000000100016800002384ffff0000000100000001000000017400000000010000000000000000000100000001"
      "000000010000000100000001");
  const auto m = decode_all<MetadataResponse>(metadata, 1);
  ASSERT_EQ(m.brokers.size(), 1u);
  EXPECT_EQ(m.brokers[0].host, "h");
  EXPECT_EQ(m.brokers[0].port, 9092);
  EXPECT_FALSE(m.brokers[0].rack.has_value());
  EXPECT_EQ(m.controller_id, 1);
  ASSERT_EQ(m.topics.size(), 1u);
  EXPECT_EQ(m.topics[0].name, "t");
  ASSERT_EQ(m.topics[0].partitions.size(), 1u);
  EXPECT_EQ(m.topics[0].partitions[0].leader_id, 1);
  EXPECT_EQ(m.topics[0].partitions[0].isr_nodes, std::vector<int32_t>{1});
  EXPECT_EQ(encode(m, 1), metadata);
}

TEST(MessagesTest, TaggedFieldsKnownDecodedUnknownSkipped) {
  const Bytes body{
      0x00, 0x00,                                      // error code
      0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00,  // one ApiVersion {18, 0, 4}, no tags
      0x00, 0x00, 0x00, 0x00,                          // throttle time
      0x03,                                            // three tagged fields:
      0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 42,             //   tag 1 FinalizedFeaturesEpoch = 42
      0x07, 0x02, 0xab, 0xcd,                          //   tag 7 unknown, skipped
      0x03, 0x01, 0x01,                                //   tag 3 ZkMigrationReady = true
  };
  const auto response = decode_all<ApiVersionsResponse>(body, 3);
  ASSERT_EQ(response.api_keys.size(), 1u);
  EXPECT_EQ(response.api_keys[0].api_key, 18);
  EXPECT_EQ(response.api_keys[0].max_version, 4);
  EXPECT_EQ(response.finalized_features_epoch, 42);
  EXPECT_TRUE(response.zk_migration_ready);
  EXPECT_TRUE(response.supported_features.empty());

  // Re-encoding writes only the known non-default tags, in tag order.
  const Bytes expected{0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x02, 0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 42, 0x03, 0x01, 0x01};
  EXPECT_EQ(encode(response, 3), expected);

  // Defaults write an empty tagged section.
  ApiVersionsResponse plain;
  EXPECT_EQ(encode(plain, 3), (Bytes{0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}));
}

TEST(MessagesTest, TaggedFieldWithBadSizeThrows) {
  // Tag 1 claims 8 bytes but only 2 follow.
  const Bytes body{0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x08, 0, 0};
  EXPECT_THROW(decode_all<ApiVersionsResponse>(body, 3), DecodeError);
}

TEST(MessagesTest, NullableStructUsesAPresenceByte) {
  DescribeTopicPartitionsRequest request;
  request.response_partition_limit = 7;
  // no topics, limit 7, null cursor (-1), no tags
  EXPECT_EQ(encode(request, 0), (Bytes{0x01, 0, 0, 0, 7, 0xff, 0x00}));
  request.cursor.emplace().topic_name = "t";
  request.cursor->partition_index = 2;
  const Bytes with_cursor{0x01, 0, 0, 0, 7, 0x01, 0x02, 't', 0, 0, 0, 2, 0x00, 0x00};
  EXPECT_EQ(encode(request, 0), with_cursor);
  EXPECT_EQ(decode_all<DescribeTopicPartitionsRequest>(with_cursor, 0), request);
}

TEST(MessagesTest, ProduceRequestRecordsShareTheFrame) {
  ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 1500;
  auto& partition = request.topic_data.emplace_back().partition_data.emplace_back();
  request.topic_data[0].name = "t";
  partition.index = 3;
  const uint8_t batch[] = {1, 2, 3, 4, 5};
  partition.records = Records{batch, nullptr, std::nullopt};

  for (int16_t version : {3, 9, 11}) {
    auto frame = std::make_shared<Bytes>(encode(request, version));
    Reader r(*frame, frame);
    ProduceRequest decoded;
    decoded.decode(r, version);
    EXPECT_EQ(decoded, request);
    const auto& records = decoded.topic_data[0].partition_data[0].records;
    ASSERT_TRUE(records.has_value());
    EXPECT_EQ(records->owner, frame);
    EXPECT_GE(records->bytes.data(), frame->data());
    EXPECT_LT(records->bytes.data(), frame->data() + frame->size());
  }
}

TEST(MessagesTest, DefaultsComeFromTheSchema) {
  EXPECT_EQ(FetchRequest{}.max_bytes, 0x7fffffff);
  EXPECT_EQ(FetchResponse::PartitionData{}.last_stable_offset, -1);
  EXPECT_FALSE(ProduceRequest{}.transactional_id.has_value());
  EXPECT_TRUE(MetadataRequest{}.allow_auto_topic_creation);
  EXPECT_TRUE(MetadataRequest{}.topics.has_value());  // nullable, default empty
  EXPECT_FALSE(FetchResponse::PartitionData{}.records.has_value());
  EXPECT_EQ(PartitionRecord{}.leader, -1);
}

TEST(MessagesTest, FieldsAbsentInAVersionKeepTheirDefault) {
  FetchResponse response;
  response.throttle_time_ms = 5;
  response.error_code = 1;
  response.session_id = 9;
  const auto v0 = decode_all<FetchResponse>(encode(response, 0), 0);
  EXPECT_EQ(v0.throttle_time_ms, 0);
  EXPECT_EQ(v0.session_id, 0);
  const auto v7 = decode_all<FetchResponse>(encode(response, 7), 7);
  EXPECT_EQ(v7.session_id, 9);
}

TEST(MessagesTest, DecodeResetsAReusedMessage) {
  MetadataRequest request;
  request.topics->emplace_back().name = "a";
  request.allow_auto_topic_creation = false;
  const Bytes no_topics{0, 0, 0, 0};
  Reader r(no_topics);
  request.decode(r, 1);
  EXPECT_EQ(request, MetadataRequest{});
}

// ---- API table ------------------------------------------------------------------

TEST(ApiKeysTest, TableMatchesTheSchema) {
  const ApiInfo* produce = find_api(0);
  ASSERT_NE(produce, nullptr);
  EXPECT_STREQ(produce->name, "Produce");
  EXPECT_EQ(produce->max_version, ProduceRequest::kMaxVersion);
  EXPECT_EQ(produce->first_flexible_request_version, 9);
  EXPECT_EQ(find_api(static_cast<int16_t>(ApiKey::ApiVersions))->max_version, 4);
  EXPECT_EQ(find_api(-1), nullptr);
  EXPECT_EQ(find_api(9999), nullptr);
  EXPECT_EQ(static_cast<int16_t>(ApiKey::Metadata), 3);
  EXPECT_EQ(static_cast<int16_t>(ApiKey::DescribeTopicPartitions), 75);
  EXPECT_EQ(find_api(0)->min_version, 0);
  const auto apis = all_apis();
  for (size_t i = 1; i < apis.size(); ++i) EXPECT_LT(apis[i - 1].key, apis[i].key);
  EXPECT_TRUE(find_api(static_cast<int16_t>(ApiKey::ShareFetch))->latest_version_unstable);
  EXPECT_FALSE(produce->latest_version_unstable);
}

TEST(ApiKeysTest, HeaderVersions) {
  EXPECT_EQ(request_header_version(18, 2), 1);
  EXPECT_EQ(request_header_version(18, 3), 2);
  EXPECT_EQ(request_header_version(18, 7), 2);  // beyond the known range: still flexible
  EXPECT_EQ(request_header_version(7, 0), 0);   // ControlledShutdown v0
  EXPECT_EQ(request_header_version(7, 1), 1);
  EXPECT_EQ(request_header_version(3, 8), 1);
  EXPECT_EQ(request_header_version(3, 9), 2);
  EXPECT_EQ(request_header_version(9999, 0), 1);
  EXPECT_EQ(response_header_version(18, 3), 0);  // ApiVersions: always v0
  EXPECT_EQ(response_header_version(3, 8), 0);
  EXPECT_EQ(response_header_version(3, 9), 1);
  EXPECT_EQ(response_header_version(0, 9), 1);
}

}  // namespace
}  // namespace freshet::protocol
