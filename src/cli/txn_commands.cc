// freshet txn list [--state S,...] [--producer-id P,...]
// freshet txn describe TRANSACTIONAL_ID...
// (kafka-transactions.sh list / describe)
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "cli/connection_options.h"
#include "cli/errors.h"
#include "cli/json_writer.h"
#include "cli/output_format.h"
#include "cli/protocol_client.h"
#include "cli/subcommands.h"
#include "cli/table.h"

namespace freshet::cli {
namespace {

constexpr int8_t kTransactionCoordinatorKey = 1;

struct ListTransactionsOptions {
  ConnectionOptions connection;
  std::vector<std::string> states;
  std::vector<int64_t> producer_ids;
  OutputFormat format = OutputFormat::kText;
};

void list_transactions(const ListTransactionsOptions& options) {
  ProtocolConnection broker(options.connection.brokers);
  protocol::ListTransactionsRequest request;
  request.state_filters = options.states;
  request.producer_id_filters = options.producer_ids;
  auto response = broker.call<protocol::ListTransactionsResponse>(request);
  if (response.error_code != 0)
    throw CommandError(fmt::format("listing transactions failed ({})", protocol_error_name(response.error_code)));
  if (!response.unknown_state_filters.empty())
    throw CommandError(fmt::format("unknown --state '{}': expected Empty, Ongoing, PrepareCommit, PrepareAbort, "
                                   "CompleteCommit, CompleteAbort, Dead or PrepareEpochFence",
                                   response.unknown_state_filters.front()));
  if (options.format == OutputFormat::kJson) {
    JsonWriter json;
    json.begin_array();
    for (const auto& t : response.transaction_states) {
      json.begin_object()
          .key("transactional_id").string(t.transactional_id)
          .key("producer_id").number(t.producer_id)
          .key("state").string(t.transaction_state)
          .end_object();
    }
    json.end_array();
    std::fputs((json.text() + "\n").c_str(), stdout);
    return;
  }
  Table table({"TRANSACTIONAL-ID", "COORDINATOR", "PRODUCER-ID", "STATE"});
  for (const auto& t : response.transaction_states)
    table.add_row({t.transactional_id, broker.address(), std::to_string(t.producer_id), t.transaction_state});
  std::fputs(table.render().c_str(), stdout);
}

struct DescribeTransactionsOptions {
  ConnectionOptions connection;
  std::vector<std::string> ids;
  OutputFormat format = OutputFormat::kText;
};

// The DescribeTransactions answer for `id`, from its coordinator.
protocol::DescribeTransactionsResponse::TransactionState describe_one(const ConnectionOptions& connection,
                                                                      const std::string& id, std::string& coordinator) {
  ProtocolConnection bootstrap(connection.brokers);
  protocol::FindCoordinatorRequest find;
  find.key_type = kTransactionCoordinatorKey;
  find.key = id;
  find.coordinator_keys = {id};
  auto found = bootstrap.call<protocol::FindCoordinatorResponse>(find);
  int16_t error = found.error_code;
  std::string host = found.host;
  int32_t port = found.port;
  if (!found.coordinators.empty()) {
    error = found.coordinators.front().error_code;
    host = found.coordinators.front().host;
    port = found.coordinators.front().port;
  }
  if (error != 0) throw CommandError(fmt::format("no coordinator for '{}' ({})", id, protocol_error_name(error)));
  coordinator = fmt::format("{}:{}", host, port);
  ProtocolConnection broker(coordinator);
  protocol::DescribeTransactionsRequest request;
  request.transactional_ids = {id};
  auto response = broker.call<protocol::DescribeTransactionsResponse>(request);
  if (response.transaction_states.size() != 1)
    throw CommandError(fmt::format("broker {} answered for {} transactions", coordinator, response.transaction_states.size()));
  auto state = response.transaction_states.front();
  if (state.error_code != 0)
    throw CommandError(fmt::format("describing '{}' failed ({})", id, protocol_error_name(state.error_code)));
  return state;
}

std::string partitions_text(const protocol::DescribeTransactionsResponse::TransactionState& t) {
  std::string out;
  for (const auto& topic : t.topics) {
    for (int32_t p : topic.partitions) out += fmt::format("{}{}-{}", out.empty() ? "" : ",", topic.topic, p);
  }
  return out.empty() ? "-" : out;
}

void describe_transactions(const DescribeTransactionsOptions& options) {
  Table table({"TRANSACTIONAL-ID", "COORDINATOR", "PRODUCER-ID", "EPOCH", "STATE", "TIMEOUT-MS", "START-TIME-MS",
               "PARTITIONS"});
  JsonWriter json;
  json.begin_array();
  for (const std::string& id : options.ids) {
    std::string coordinator;
    auto t = describe_one(options.connection, id, coordinator);
    table.add_row({t.transactional_id, coordinator, std::to_string(t.producer_id), std::to_string(t.producer_epoch),
                   t.transaction_state, std::to_string(t.transaction_timeout_ms),
                   std::to_string(t.transaction_start_time_ms), partitions_text(t)});
    json.begin_object()
        .key("transactional_id").string(t.transactional_id)
        .key("coordinator").string(coordinator)
        .key("producer_id").number(t.producer_id)
        .key("producer_epoch").number(t.producer_epoch)
        .key("state").string(t.transaction_state)
        .key("timeout_ms").number(t.transaction_timeout_ms)
        .key("start_time_ms").number(t.transaction_start_time_ms)
        .key("partitions").begin_array();
    for (const auto& topic : t.topics) {
      for (int32_t p : topic.partitions)
        json.begin_object().key("topic").string(topic.topic).key("partition").number(p).end_object();
    }
    json.end_array().end_object();
  }
  json.end_array();
  std::fputs(options.format == OutputFormat::kJson ? (json.text() + "\n").c_str() : table.render().c_str(), stdout);
}

}  // namespace

void add_txn_commands(CLI::App& app) {
  CLI::App* txn = app.add_subcommand("txn", "List and describe transactions (kafka-transactions.sh)");
  txn->require_subcommand(1);

  auto list_options = std::make_shared<ListTransactionsOptions>();
  CLI::App* list_command = txn->add_subcommand("list", "List the transactional ids the brokers coordinate");
  list_command->alias("ls");
  list_command->add_option("--state", list_options->states, "Only transactions in this state (repeatable or comma-separated)")
      ->delimiter(',');
  list_command->add_option("--producer-id", list_options->producer_ids, "Only these producer ids")->delimiter(',');
  add_output_format_option(*list_command, list_options->format);
  add_connection_options(*list_command, list_options->connection);
  list_command->callback([list_options] { run_reporting_errors([&] { list_transactions(*list_options); }); });

  auto describe_options = std::make_shared<DescribeTransactionsOptions>();
  CLI::App* describe_command = txn->add_subcommand("describe", "Show a transactional id's state and partitions");
  describe_command->add_option("transactional-id", describe_options->ids, "Transactional ids")->required();
  add_output_format_option(*describe_command, describe_options->format);
  add_connection_options(*describe_command, describe_options->connection);
  describe_command->callback([describe_options] { run_reporting_errors([&] { describe_transactions(*describe_options); }); });
}

}  // namespace freshet::cli
