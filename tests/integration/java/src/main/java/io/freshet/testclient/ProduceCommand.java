package io.freshet.testclient;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * `produce`: sends records whose values are their sequence numbers "0", "1", ... (no key, or
 * with --keys K the key "k" + i % K; record i goes to partition i % --partitions, or where the
 * client's partitioner puts it)
 * until --count records were sent or, without --count, until standard input closes; at most
 * --throughput records per second when given. Prints a JSON line per delivery report,
 * {"type":"ack","seq":i,"partition":p,"offset":o} or {"type":"error","seq":i,"error":"..."},
 * then, once everything sent is reported, {"type":"done","sent":n,"acked":a,"failed":f}.
 * Exit status 0 when every record was acknowledged.
 *
 * Settings are the Java client's defaults (4.x: idempotence on, acks=all, 5 requests in
 * flight) unless --acks, --idempotent, --max-in-flight or --property say otherwise.
 */
final class ProduceCommand implements Command {
    private final Properties settings;
    private final String topic;
    private final long count;  // 0: until standard input closes
    private final long throughputPerS;  // 0: as fast as the client takes records
    private final long partitions;  // 0: the client's partitioner chooses
    private final long keys;  // 0: records without keys

    ProduceCommand(Options options) {
        topic = options.required("topic");
        count = options.positive("count", 0);
        throughputPerS = options.positive("throughput", 0);
        partitions = options.positive("partitions", 0);
        keys = options.positive("keys", 0);
        Map<String, String> own = new HashMap<>();
        String acks = options.optional("acks", null);
        if (acks != null) own.put(ProducerConfig.ACKS_CONFIG, acks);
        if (options.flag("idempotent")) own.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        String maxInFlight = options.optional("max-in-flight", null);
        if (maxInFlight != null) own.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, maxInFlight);
        settings = ClientSettings.of(options, own);
    }

    @Override
    public int run() throws InterruptedException {
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        BooleanSupplier more = count > 0 ? null : StdinWatch.start()::open;
        long sent = 0;
        try (KafkaProducer<String, String> producer =
                     new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer())) {
            long startNanos = System.nanoTime();
            for (; count > 0 ? sent < count : more.getAsBoolean(); sent++) {
                pace(startNanos, sent);
                long seq = sent;
                Integer partition = partitions > 0 ? (int) (seq % partitions) : null;
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, partition, keys > 0 ? "k" + seq % keys : null, Long.toString(seq));
                producer.send(record, (metadata, error) -> {
                    if (error == null) {
                        acked.incrementAndGet();
                        JsonLine.of("ack").field("seq", seq).field("partition", metadata.partition())
                                .field("offset", metadata.offset()).print();
                    } else {
                        failed.incrementAndGet();
                        JsonLine.of("error").field("seq", seq).field("error", error.toString()).print();
                    }
                });
            }
            producer.flush();  // returns after the callbacks of every record sent have run
        }
        JsonLine.of("done").field("sent", sent).field("acked", acked.get()).field("failed", failed.get()).print();
        return acked.get() == sent ? 0 : 1;
    }

    /** Holds record `seq` back until its time at --throughput records per second. */
    private void pace(long startNanos, long seq) throws InterruptedException {
        if (throughputPerS == 0) return;
        long waitNanos = startNanos + seq * TimeUnit.SECONDS.toNanos(1) / throughputPerS - System.nanoTime();
        if (waitNanos > 0) TimeUnit.NANOSECONDS.sleep(waitNanos);
    }
}
