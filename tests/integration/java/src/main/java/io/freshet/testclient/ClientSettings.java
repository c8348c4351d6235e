package io.freshet.testclient;

import java.util.Map;
import java.util.Properties;

/**
 * A client's settings, in order of precedence from lowest: the Java client's defaults, the
 * broker (--bootstrap) and a client id (--client-id, default "freshet-java-client"), the
 * command's own settings, then every --property key=value.
 */
final class ClientSettings {
    private ClientSettings() {}

    static Properties of(Options options, Map<String, String> commandSettings) {
        Properties settings = new Properties();
        settings.setProperty("bootstrap.servers", options.required("bootstrap"));
        settings.setProperty("client.id", options.optional("client-id", "freshet-java-client"));
        settings.putAll(commandSettings);
        settings.putAll(options.properties());
        return settings;
    }
}
