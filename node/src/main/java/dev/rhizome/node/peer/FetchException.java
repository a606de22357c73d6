package dev.rhizome.node.peer;

import java.util.List;

/** No peer delivered the commit; {@link #failures()} says what went wrong with each, in the order tried. */
public final class FetchException extends Exception {
    private final List<String> failures;

    public FetchException(String commit, List<String> failures) {
        super(failures.isEmpty()
                ? "cannot fetch " + commit + ": no peers to ask"
                : "cannot fetch " + commit + " from any of " + failures.size() + " peers: " + String.join("; ", failures));
        this.failures = List.copyOf(failures);
    }

    public List<String> failures() {
        return failures;
    }
}
