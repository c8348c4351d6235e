package io.freshet.testclient;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * `consume`: joins --group subscribed to --topic (from the earliest offset when the group has
 * none) and polls until it has read --count records or --timeout-ms (default 30000) passed.
 * After each poll that returned records it commits, synchronously, the offset after the last
 * record of each partition. Prints {"type":"record","partition":p,"offset":o,"key":k,
 * "value":v} per record, {"type":"committed","partition":p,"offset":o} per committed
 * offset, then {"type":"done","consumed":n}, and leaves the group. Exit status 0 when
 * --count records were read.
 */
final class ConsumeCommand implements Command {
    private final Properties settings;
    private final String topic;
    private final long count;
    private final long timeoutMs;

    ConsumeCommand(Options options) {
        topic = options.required("topic");
        count = options.positive("count", 0);
        if (count == 0) throw new UsageException("--count N is required");
        timeoutMs = options.positive("timeout-ms", 30_000);
        Map<String, String> own = new HashMap<>();
        own.put(ConsumerConfig.GROUP_ID_CONFIG, options.required("group"));
        own.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        own.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        String isolation = options.optional("isolation-level", null);
        if (isolation != null) own.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        settings = ClientSettings.of(options, own);
    }

    @Override
    public int run() {
        long consumed = 0;
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(settings, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            while (consumed < count && System.nanoTime() < deadlineNanos) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                for (ConsumerRecord<String, String> r : records) {
                    JsonLine.of("record").field("partition", r.partition()).field("offset", r.offset())
                            .field("key", r.key()).field("value", r.value()).print();
                    next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    consumed++;
                }
                if (next.isEmpty()) continue;
                consumer.commitSync(next);
                next.forEach((tp, offset) -> JsonLine.of("committed").field("partition", tp.partition())
                        .field("offset", offset.offset()).print());
            }
        }
        JsonLine.of("done").field("consumed", consumed).print();
        return consumed >= count ? 0 : 1;
    }
}
