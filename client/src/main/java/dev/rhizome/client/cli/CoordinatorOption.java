package dev.rhizome.client.cli;

import picocli.CommandLine.Option;

/** Which coordinator to talk to. */
public final class CoordinatorOption {
    public static final String DEFAULT_URL = "http://127.0.0.1:7700";

    @Option(names = "--coordinator", paramLabel = "URL",
            description = "Coordinator URL. Default: $RHIZOME_COORDINATOR or " + DEFAULT_URL)
    String url;

    public String url() {
        if (url != null) {
            return url;
        }
        String env = System.getenv("RHIZOME_COORDINATOR");
        return env != null && !env.isBlank() ? env : DEFAULT_URL;
    }
}
