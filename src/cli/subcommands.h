// Registration of each operator subcommand; one .cc file per subcommand.
#pragma once

namespace CLI {
class App;
}

namespace freshet::cli {

// `freshet topic ...` and its children, which take `topic_app` (the "topic" subcommand).
void add_topic_commands(CLI::App& app);
void add_topic_create_command(CLI::App& topic_app);
void add_topic_list_command(CLI::App& topic_app);
void add_topic_describe_command(CLI::App& topic_app);
void add_topic_delete_command(CLI::App& topic_app);
void add_topic_alter_config_command(CLI::App& topic_app);
void add_topic_add_partitions_command(CLI::App& topic_app);
void add_topic_producers_command(CLI::App& topic_app);
void add_topic_trim_command(CLI::App& topic_app);

// `freshet group ...` and its children, which take `group_app` (the "group" subcommand).
void add_group_commands(CLI::App& app);
void add_group_list_command(CLI::App& group_app);
void add_group_describe_command(CLI::App& group_app);
void add_group_delete_command(CLI::App& group_app);
void add_group_seek_command(CLI::App& group_app);

// `freshet txn list|describe`.
void add_txn_commands(CLI::App& app);

// `freshet cluster quorum|brokers`.
void add_cluster_commands(CLI::App& app);

void add_produce_command(CLI::App& app);
void add_consume_command(CLI::App& app);

}  // namespace freshet::cli
