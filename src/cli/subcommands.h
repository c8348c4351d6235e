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

void add_produce_command(CLI::App& app);
void add_consume_command(CLI::App& app);

}  // namespace freshet::cli
