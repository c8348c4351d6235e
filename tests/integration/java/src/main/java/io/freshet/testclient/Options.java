package io.freshet.testclient;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * A command's options: `--name value` pairs and `--name` flags (an option followed by another
 * option or by nothing). An option may repeat (`--property k=v --property k2=v2`); the single
 * value getters take the last one. Options no getter asked for are a usage error, so a
 * misspelt option never goes unnoticed.
 */
final class Options {
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final Set<String> read = new HashSet<>();

    private Options() {}

    static Options parse(String[] args) {
        Options options = new Options();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new UsageException("expected an option, got: " + args[i]);
            String name = args[i].substring(2);
            boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
            String value = hasValue ? args[++i] : null;
            options.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return options;
    }

    String required(String name) {
        String value = optional(name, null);
        if (value == null) throw new UsageException("--" + name + " VALUE is required");
        return value;
    }

    String optional(String name, String fallback) {
        List<String> all = all(name);
        return all.isEmpty() || all.get(all.size() - 1) == null ? fallback : all.get(all.size() - 1);
    }

    /** A positive number, or `fallback` when the option is absent. */
    long positive(String name, long fallback) {
        String text = optional(name, null);
        if (text == null) return fallback;
        try {
            long value = Long.parseLong(text);
            if (value > 0) return value;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--" + name + " takes a positive number, got: " + text);
    }

    boolean flag(String name) {
        List<String> all = all(name);
        for (String value : all) {
            if (value != null) throw new UsageException("--" + name + " is a flag, it takes no value");
        }
        return !all.isEmpty();
    }

    /** The `--property key=value` client settings. */
    Properties properties() {
        Properties properties = new Properties();
        for (String setting : all("property")) {
            int eq = setting == null ? -1 : setting.indexOf('=');
            if (eq <= 0) throw new UsageException("--property takes key=value, got: " + setting);
            properties.setProperty(setting.substring(0, eq), setting.substring(eq + 1));
        }
        return properties;
    }

    /** Every value of a repeatable option (`--topic a --topic b`); at least one is required. */
    List<String> list(String name) {
        List<String> all = all(name);
        if (all.isEmpty() || all.contains(null)) throw new UsageException("--" + name + " VALUE is required");
        return all;
    }

    void rejectUnread() {
        for (String name : values.keySet()) {
            if (!read.contains(name)) throw new UsageException("unknown option --" + name);
        }
    }

    private List<String> all(String name) {
        read.add(name);
        return values.getOrDefault(name, List.of());
    }
}
