package dev.rhizome.client.cli;

import picocli.CommandLine.Option;

/** Which coordinator to talk to. */
public final class CoordinatorOption {
    public static final String DEFAULT_URL = "http://127.0.0.1:7700";

    @Option(names = "--coordinator", paramLabel = "URL",
            description = "Coordinator URL. Default: $RHIZOME_COORDINATOR, or the claim's when run in a claimed workspace, or " + DEFAULT_URL)
    String url;
    private String fallback;

    /** The URL to use when neither --coordinator nor $RHIZOME_COORDINATOR names one (before the default). */
    public void defaultTo(String coordinatorUrl) {
        fallback = coordinatorUrl;
    }

    public String url() {
        if (url != null) {
            return url;
        }
        String env = System.getenv("RHIZOME_COORDINATOR");
        if (env != null && !env.isBlank()) {
            return env;
        }
        if (fallback != null) {
            return fallback;
        }
        return WorkspaceClaim.ofWorkingDirectory().map(WorkspaceClaim::coordinator).orElse(DEFAULT_URL);
    }
}
