package io.freshet.testclient;

import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Runs a transactional producer's calls as the Java client's documentation (KIP-1050) asks an
 * application to: a RetriableException (a TimeoutException from commitTransaction, say) is
 * retried, for at most --retry-ms (default 60000); an ApplicationRecoverableException
 * (ProducerFencedException, InvalidProducerEpochException, InvalidPidMappingException) and the
 * fatal OutOfOrderSequence, Authorization and UnsupportedVersion exceptions leave only close();
 * any other KafkaException asks for abortTransaction(). Each failure is printed as
 * {"type":"error","txn":t,"operation":op,"error":class,"cause":class,"message":m,"next":n}
 * with n "retry", "abort" or "close".
 */
final class TxnCalls {
    /** What the caller must do after a failed call. */
    enum Next { ABORT, CLOSE }

    interface Call {
        void run() throws Exception;
    }

    private final long retryNanos;

    TxnCalls(Options options) {
        retryNanos = TimeUnit.MILLISECONDS.toNanos(options.positive("retry-ms", 60_000));
    }

    /** Runs `call`, retrying it while it fails retriably; null when it succeeded. */
    Next retrying(String operation, long txn, Call call) throws InterruptedException {
        long deadline = System.nanoTime() + retryNanos;
        while (true) {
            try {
                call.run();
                return null;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                boolean retry = e instanceof RetriableException && System.nanoTime() < deadline;
                Next next = retry ? null : nextAfter(e);
                print(operation, txn, e, retry ? "retry" : next.name().toLowerCase());
                if (!retry) return next;
            }
        }
    }

    /** Runs `call` once (sends, which a retry would duplicate); null when it succeeded. */
    Next once(String operation, long txn, Call call) throws InterruptedException {
        try {
            call.run();
            return null;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            Next next = nextAfter(e);
            print(operation, txn, e, next.name().toLowerCase());
            return next;
        }
    }

    private static Next nextAfter(Exception e) {
        // A KafkaException wrapping the cause of an abortable state asks for an abort even when
        // that cause is, say, an InvalidProducerEpochException: the abort then says whether
        // the producer was fenced.
        if (e instanceof ApplicationRecoverableException || e instanceof OutOfOrderSequenceException || e instanceof AuthorizationException
                || e instanceof UnsupportedVersionException || e instanceof IllegalStateException) {
            return Next.CLOSE;
        }
        return e instanceof KafkaException ? Next.ABORT : Next.CLOSE;
    }

    private static void print(String operation, long txn, Exception e, String next) {
        Throwable cause = e.getCause();
        JsonLine.of("error").field("txn", txn).field("operation", operation)
                .field("error", e.getClass().getSimpleName())
                .field("cause", cause == null ? null : cause.getClass().getSimpleName())
                .field("message", String.valueOf(e.getMessage())).field("next", next).print();
    }
}
