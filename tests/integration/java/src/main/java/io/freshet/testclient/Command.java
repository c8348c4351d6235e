package io.freshet.testclient;

/** A subcommand, built from its options (which it reads in its constructor). */
interface Command {
    /** Runs the client to the end; returns the process exit status. */
    int run() throws Exception;
}
