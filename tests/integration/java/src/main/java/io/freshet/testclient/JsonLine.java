package io.freshet.testclient;

/**
 * One JSON object written as a single line, built field by field:
 * {@code JsonLine.of("ack").field("partition", 0).print()} prints {"type":"ack","partition":0}.
 * Lines from several threads never interleave (System.out locks per println).
 */
final class JsonLine {
    private final StringBuilder text = new StringBuilder("{");

    private JsonLine() {}

    static JsonLine of(String type) {
        return new JsonLine().field("type", type);
    }

    JsonLine field(String name, long value) {
        name(name).append(value);
        return this;
    }

    /** A string field; null is written as JSON null. */
    JsonLine field(String name, String value) {
        if (value == null) {
            name(name).append("null");
        } else {
            quote(name(name), value);
        }
        return this;
    }

    void print() {
        System.out.println(text.append('}'));
    }

    private StringBuilder name(String name) {
        if (text.length() > 1) text.append(',');
        return quote(text, name).append(':');
    }

    private static StringBuilder quote(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }
}
