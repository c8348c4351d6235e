package io.freshet.testclient;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * `consume-transform-produce`: Kafka's exactly-once read-process-write loop. A read_committed
 * consumer of --group subscribed to --input polls at most --max-records-per-txn records
 * (default 50); the records of each poll become one transaction of a producer with
 * --transactional-id that copies each (key, value) to the same partition of --output, adds the
 * consumer's next offsets with sendOffsetsToTransaction(offsets, groupMetadata()) and ends as
 * --outcomes says (TxnCalls for retries and failures), once every copy was acknowledged. After any abort the consumer goes back
 * to the group's committed offsets; after a failure that leaves only close() the producer is
 * replaced by a new one with the same transactional id, whose initTransactions() ends what the
 * old one left open, as an application does. Runs until standard input closes. Prints
 * {"type":"committed","txn":t,"records":n} or {"type":"aborted","txn":t,"records":n} per
 * transaction, error lines, {"type":"restarted","txn":t} per new producer, then
 * {"type":"done","committed":c,"aborted":a,"restarts":r}. Exit status 0 unless a call kept
 * failing.
 */
final class ConsumeTransformProduceCommand implements Command {
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);

    private final Properties consumerSettings;
    private final Properties producerSettings;
    private final String input;
    private final String output;
    private final Outcomes outcomes;
    private final TxnCalls calls;
    private long committed = 0;
    private long aborted = 0;
    private long restarts = 0;

    ConsumeTransformProduceCommand(Options options) {
        input = options.required("input");
        output = options.required("output");
        long maxRecordsPerTxn = options.positive("max-records-per-txn", 50);
        outcomes = Outcomes.of(options);
        calls = new TxnCalls(options);
        Map<String, String> consumer = new HashMap<>();
        consumer.put(ConsumerConfig.GROUP_ID_CONFIG, options.required("group"));
        consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Long.toString(maxRecordsPerTxn));
        consumerSettings = ClientSettings.of(options, consumer);
        producerSettings = ClientSettings.of(options,
                Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, options.required("transactional-id")));
    }

    @Override
    public int run() throws InterruptedException {
        StdinWatch stdin = StdinWatch.start();
        boolean ok = true;
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(consumerSettings, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(input));
            KafkaProducer<String, String> producer = TransactionalProducers.start(producerSettings, calls, -1);
            for (long txn = 0; producer != null && stdin.open(); ) {
                ConsumerRecords<String, String> records = consumer.poll(POLL_TIMEOUT);
                if (records.isEmpty()) continue;
                TxnCalls.Next next = transform(producer, consumer, records, txn);
                if (next == TxnCalls.Next.CLOSE) {
                    producer.close(TransactionalProducers.CLOSE_TIMEOUT);
                    producer = TransactionalProducers.start(producerSettings, calls, txn);
                    restarts++;
                }
                if (next != null && producer != null) ok &= rewind(consumer, txn);
                txn++;
            }
            if (producer != null) producer.close(TransactionalProducers.CLOSE_TIMEOUT);
            ok &= producer != null;
        }
        JsonLine.of("done").field("committed", committed).field("aborted", aborted).field("restarts", restarts).print();
        return ok ? 0 : 1;
    }

    /** Transaction `txn` over `records`; null when it ended as planned (a planned abort
     *  answers ABORT too: the consumer must go back). */
    private TxnCalls.Next transform(KafkaProducer<String, String> producer, KafkaConsumer<String, String> consumer,
                                    ConsumerRecords<String, String> records, long txn) throws InterruptedException {
        boolean commit = outcomes.commits(txn);
        TxnCalls.Next next = calls.once("produce", txn, () -> {
            producer.beginTransaction();
            Map<TopicPartition, OffsetAndMetadata> nextOffsets = new HashMap<>();
            for (ConsumerRecord<String, String> r : records) {
                producer.send(new ProducerRecord<>(output, r.partition(), r.key(), r.value()));
                nextOffsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
            producer.sendOffsetsToTransaction(nextOffsets, consumer.groupMetadata());
            producer.flush();  // else abortTransaction() would drop what is still unsent
        });
        if (next == null) {
            next = calls.retrying(commit ? "commit" : "abort", txn,
                    commit ? producer::commitTransaction : producer::abortTransaction);
            if (next == null && commit) {
                committed++;
                JsonLine.of("committed").field("txn", txn).field("records", records.count()).print();
                return null;
            }
        }
        if (next == TxnCalls.Next.ABORT) next = calls.retrying("abort", txn, producer::abortTransaction);
        if (next != null) return next;
        aborted++;
        JsonLine.of("aborted").field("txn", txn).field("records", records.count()).print();
        return TxnCalls.Next.ABORT;
    }

    /** Seeks every assigned partition back to the group's committed offset (or the start). */
    private boolean rewind(KafkaConsumer<String, String> consumer, long txn) throws InterruptedException {
        return calls.retrying("rewind", txn, () -> {
            Set<TopicPartition> assigned = consumer.assignment();
            Map<TopicPartition, OffsetAndMetadata> offsets = consumer.committed(assigned);
            for (TopicPartition tp : assigned) {
                OffsetAndMetadata offset = offsets.get(tp);
                if (offset == null) {
                    consumer.seekToBeginning(List.of(tp));
                } else {
                    consumer.seek(tp, offset);
                }
            }
        }) == null;
    }
}
