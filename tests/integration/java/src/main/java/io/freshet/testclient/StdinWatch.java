package io.freshet.testclient;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;

/**
 * Watches standard input for its end, the tests' way to tell a driver "stop" (or "go on" to a
 * driver holding a transaction open). The content read is ignored.
 */
final class StdinWatch {
    private final CountDownLatch closed = new CountDownLatch(1);

    private StdinWatch() {}

    static StdinWatch start() {
        StdinWatch watch = new StdinWatch();
        Thread reader = new Thread(() -> {
            InputStream in = System.in;
            byte[] buffer = new byte[256];
            try {
                while (in.read(buffer) >= 0) {
                    // only the end counts
                }
            } catch (IOException e) {
                // a broken stdin counts as a closed one
            }
            watch.closed.countDown();
        }, "stdin-watch");
        reader.setDaemon(true);
        reader.start();
        return watch;
    }

    boolean open() {
        return closed.getCount() > 0;
    }

    void awaitClosed() throws InterruptedException {
        closed.await();
    }
}
