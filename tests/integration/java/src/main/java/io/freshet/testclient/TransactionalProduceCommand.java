package io.freshet.testclient;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * `transactional-produce`: one transactional producer (--transactional-id) runs --transactions
 * N transactions (without it: until standard input closes) of --records M records (default 10)
 * each, ending each as --outcomes says (TxnCalls: retries, aborts, close). Record j of
 * transaction t has the value "TAG:t:j" (--tag, default the transactional id) and goes to
 * the j-th of the (topic, partition) pairs taken topic first: topic j % T (the --topic
 * options, in order), partition (j / T) % --partitions. Prints per transaction
 * {"type":"flushed","txn":t,"records":M} once every record was acknowledged, then
 * {"type":"committed","txn":t} or {"type":"aborted","txn":t} when the client said so, or error
 * lines (TxnCalls). With --hold-last the last transaction, once flushed, prints
 * {"type":"open","txn":t} and waits for standard input to close before ending. A failure that
 * leaves only close() ends the run, or with --recreate replaces the producer by a new one with
 * the same transactional id ({"type":"restarted","txn":t}; its initTransactions() ends what
 * the old one left open) and goes on with the next transaction. Last line
 * {"type":"done","committed":c,"aborted":a}; exit status 0 when every transaction ended as
 * planned.
 */
final class TransactionalProduceCommand implements Command {
    private final Properties settings;
    private final List<String> topics;
    private final int partitions;
    private final long transactions;  // 0: until standard input closes
    private final long records;
    private final String tag;
    private final boolean holdLast;
    private final boolean recreate;
    private final Outcomes outcomes;
    private final TxnCalls calls;

    TransactionalProduceCommand(Options options) {
        topics = options.list("topic");
        partitions = (int) options.positive("partitions", 1);
        transactions = options.positive("transactions", 0);
        records = options.positive("records", 10);
        String transactionalId = options.required("transactional-id");
        tag = options.optional("tag", transactionalId);
        holdLast = options.flag("hold-last");
        recreate = options.flag("recreate");
        if (holdLast && transactions == 0) throw new UsageException("--hold-last needs --transactions N");
        outcomes = Outcomes.of(options);
        calls = new TxnCalls(options);
        Map<String, String> own = new HashMap<>();
        own.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        settings = ClientSettings.of(options, own);
    }

    @Override
    public int run() throws InterruptedException {
        StdinWatch stdin = StdinWatch.start();
        long committed = 0;
        long aborted = 0;
        boolean asPlanned = true;
        KafkaProducer<String, String> producer = TransactionalProducers.start(settings, calls, -1);
        for (long t = 0; producer != null && (transactions > 0 ? t < transactions : stdin.open()); t++) {
            long txn = t;
            KafkaProducer<String, String> current = producer;
            boolean commit = outcomes.commits(txn);
            TxnCalls.Next next = calls.once("produce", txn, () -> produceAndFlush(current, txn));
            if (next == null) {
                JsonLine.of("flushed").field("txn", txn).field("records", records).print();
                if (holdLast && txn == transactions - 1) {
                    JsonLine.of("open").field("txn", txn).print();
                    stdin.awaitClosed();
                }
                next = calls.retrying(commit ? "commit" : "abort", txn,
                        commit ? producer::commitTransaction : producer::abortTransaction);
            }
            if (next == TxnCalls.Next.ABORT) {
                next = calls.retrying("abort", txn, producer::abortTransaction);
                commit = false;
            }
            asPlanned &= next == null && commit == outcomes.commits(txn);
            if (next == null) {
                JsonLine.of(commit ? "committed" : "aborted").field("txn", txn).print();
                if (commit) committed++; else aborted++;
            } else {
                producer.close(TransactionalProducers.CLOSE_TIMEOUT);
                producer = recreate ? TransactionalProducers.start(settings, calls, txn) : null;
            }
        }
        if (producer != null) producer.close(TransactionalProducers.CLOSE_TIMEOUT);
        JsonLine.of("done").field("committed", committed).field("aborted", aborted).print();
        return asPlanned && producer != null ? 0 : 1;
    }

    /** Begins transaction `txn`, sends its records and waits for every acknowledgement. */
    private void produceAndFlush(KafkaProducer<String, String> producer, long txn) throws Exception {
        producer.beginTransaction();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        for (long j = 0; j < records; j++) {
            String topic = topics.get((int) (j % topics.size()));
            int partition = (int) ((j / topics.size()) % partitions);
            producer.send(new ProducerRecord<>(topic, partition, null, tag + ":" + txn + ":" + j),
                    (metadata, error) -> {
                        if (error != null) firstError.compareAndSet(null, error);
                    });
        }
        producer.flush();
        if (firstError.get() != null) throw firstError.get();
    }
}
