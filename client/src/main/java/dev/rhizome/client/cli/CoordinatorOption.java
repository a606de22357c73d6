package dev.rhizome.client.cli;

import dev.rhizome.node.api.CoordinatorClient;
import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** Which coordinator to talk to. */
public final class CoordinatorOption {
    public static final String DEFAULT_URL = "http://127.0.0.1:7700";
    /**
     * The system property that replaces {@link #DEFAULT_URL}, for the client's own tests: a test of
     * what a command does with no coordinator named saw whatever listened on 7700 of the machine it
     * ran on (another engineer's demo, say) and passed or failed by it. Users name one with
     * --coordinator or RHIZOME_COORDINATOR.
     */
    public static final String DEFAULT_URL_PROPERTY = "rhizome.default.coordinator";

    /** The URL tried where nothing names a coordinator. */
    public static String defaultUrl() {
        String set = System.getProperty(DEFAULT_URL_PROPERTY);
        return set == null || set.isBlank() ? DEFAULT_URL : set;
    }

    @Option(names = "--coordinator", paramLabel = "URL",
            description = "Coordinator URL. Default: $RHIZOME_COORDINATOR, or the claim's when run in a claimed workspace, or " + DEFAULT_URL)
    String url;
    private String fallback;

    /** The URL to use when neither --coordinator nor $RHIZOME_COORDINATOR names one (before the default). */
    public void defaultTo(String coordinatorUrl) {
        fallback = coordinatorUrl;
    }

    /**
     * The URL, checked ({@code http://HOST:PORT}); a refused one reads as any refused value does,
     * naming where it came from (the flag, or RHIZOME_COORDINATOR). Three commands each said it in
     * the node client's words ("coordinator URL must be ..."), whichever of the two had set it.
     */
    public URI uri() {
        String url = url();
        try {
            return CoordinatorClient.parseUrl(url);
        } catch (IllegalArgumentException e) {
            String meant = meant(url == null ? "" : url.strip());
            String from = this.url == null && System.getenv("RHIZOME_COORDINATOR") != null ? "RHIZOME_COORDINATOR"
                    : "--coordinator";
            throw CommandException.usage("--coordinator", BadValue.message(from, url, "http://HOST:PORT"
                    + (meant.isEmpty() ? "" : " (did you mean " + meant + " ?)")),
                    "pass --coordinator http://HOST:PORT (or set RHIZOME_COORDINATOR)");
        }
    }

    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:/+(.+)$");

    /**
     * The http URL a refused one most likely meant, or empty: {@code 127.0.0.1:7700} lacks its
     * scheme; {@code htp:/host:7700} or {@code tcp://host:7700} has a wrong one, which was kept
     * ("did you mean http://htp:/host:7700 ?").
     */
    static String meant(String refused) {
        if (refused.isEmpty()) {
            return "";
        }
        Matcher scheme = SCHEME.matcher(refused);
        if (scheme.matches()) {
            String rest = scheme.group(1);
            return refused.startsWith("http://") ? "" : "http://" + rest;
        }
        return refused.contains("://") ? "" : "http://" + refused;
    }

    /**
     * What set {@link #url()}, as the user would change it: an unreachable coordinator's error names
     * it, since a wrong URL is most often fixed where it was set, and a user rarely remembers an
     * exported variable or a workspace's claim.
     */
    public String source() {
        if (url != null) {
            return "--coordinator";
        }
        String env = System.getenv("RHIZOME_COORDINATOR");
        if (env != null && !env.isBlank()) {
            return "RHIZOME_COORDINATOR";
        }
        if (fallback != null || WorkspaceClaim.ofWorkingDirectory().isPresent()) {
            return "the workspace's claim (.git/rhizome-claim)";
        }
        return "the default (no --coordinator, no RHIZOME_COORDINATOR)";
    }

    /** Whether --coordinator was typed on this command line. */
    public boolean typed() {
        return url != null;
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
        return WorkspaceClaim.ofWorkingDirectory().map(WorkspaceClaim::coordinator).orElse(defaultUrl());
    }
}
