package io.freshet.testclient;

import java.util.Arrays;

/**
 * Command-line driver of the Java Kafka client for Freshet's integration tests: one
 * subcommand per client role, each printing what the client saw as JSON lines on stdout
 * (the client's own log goes to stderr). Exit status: 0 done, 1 the client failed, 2 usage.
 */
public final class Main {
    private static final String USAGE = String.join("\n",
            "usage: java -jar freshet-java-client.jar COMMAND --bootstrap HOST:PORT [options]",
            "  produce [--count N] [--throughput RECORDS_PER_S] [--partitions P] [--keys K]",
            "          [--acks 0|1|all] [--idempotent] [--max-in-flight N]",
            "  consume --group GROUP --count N [--isolation-level read_committed|read_uncommitted]",
            "          [--timeout-ms MS]",
            "  transactional-produce --transactional-id ID --topic T [--topic T2]... [--partitions P]",
            "          [--transactions N] [--records M] [--outcomes c|a...] [--tag TAG] [--hold-last]",
            "          [--recreate]",
            "          [--retry-ms MS]",
            "  consume-transform-produce --group GROUP --input T --output T2 --transactional-id ID",
            "          [--max-records-per-txn N] [--outcomes c|a...] [--retry-ms MS]",
            "  every command: [--property key=value]... (any Java client setting)");

    private Main() {}

    public static void main(String[] args) throws Exception {
        int status;
        try {
            status = run(args);
        } catch (UsageException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            status = 2;
        }
        System.out.flush();
        System.exit(status);
    }

    private static int run(String[] args) throws Exception {
        if (args.length == 0) throw new UsageException("no command given");
        Options options = Options.parse(Arrays.copyOfRange(args, 1, args.length));
        Command command = switch (args[0]) {
            case "produce" -> new ProduceCommand(options);
            case "consume" -> new ConsumeCommand(options);
            case "transactional-produce" -> new TransactionalProduceCommand(options);
            case "consume-transform-produce" -> new ConsumeTransformProduceCommand(options);
            default -> throw new UsageException("unknown command: " + args[0]);
        };
        options.rejectUnread();
        return command.run();
    }
}
