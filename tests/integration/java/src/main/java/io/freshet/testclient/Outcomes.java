package io.freshet.testclient;

/**
 * --outcomes PATTERN: how each transaction ends, one letter per transaction, 'c' commit or 'a'
 * abort, the pattern repeating ("ca" alternates, starting with a commit). Default "c".
 */
final class Outcomes {
    private final String pattern;

    private Outcomes(String pattern) {
        this.pattern = pattern;
    }

    static Outcomes of(Options options) {
        String pattern = options.optional("outcomes", "c");
        if (pattern.isEmpty() || !pattern.matches("[ca]+")) {
            throw new UsageException("--outcomes takes letters c (commit) and a (abort), got: " + pattern);
        }
        return new Outcomes(pattern);
    }

    boolean commits(long txn) {
        return pattern.charAt((int) (txn % pattern.length())) == 'c';
    }
}
