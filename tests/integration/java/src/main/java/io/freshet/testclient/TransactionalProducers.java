package io.freshet.testclient;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Starting a transactional producer: KafkaProducer, then initTransactions() (TxnCalls). */
final class TransactionalProducers {
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private TransactionalProducers() {}

    /**
     * A new producer with `settings`, initialized; null (and closed) when initTransactions()
     * keeps failing. `txn` >= 0 says it replaces one that failed in that transaction: it
     * prints {"type":"restarted","txn":txn}.
     */
    static KafkaProducer<String, String> start(Properties settings, TxnCalls calls, long txn)
            throws InterruptedException {
        KafkaProducer<String, String> producer =
                new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer());
        if (calls.retrying("init", txn, producer::initTransactions) != null) {
            producer.close(CLOSE_TIMEOUT);
            return null;
        }
        if (txn >= 0) JsonLine.of("restarted").field("txn", txn).print();
        return producer;
    }
}
