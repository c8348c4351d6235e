package io.freshet.testclient;

/** A command line the driver cannot run: the message says what is wrong with it. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
