package dev.rhizome.protocol.identity;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An identity key file that exists but cannot be used (malformed, wrong size, too open, not a
 * file, unreadable). Its own type, so that every command can answer it with the file and the
 * remedy instead of a generic I/O failure: the key is the volunteer's credit and reputation, so
 * the remedy is never to overwrite it silently.
 */
public final class UnusableKey extends IOException {
    private final transient Path file;
    private final String problem;
    private final String remedy;

    public UnusableKey(Path file, String problem, String remedy) {
        super("identity key " + file + " is unusable: " + problem + " (" + remedy + ")");
        this.file = file;
        this.problem = problem;
        this.remedy = remedy;
    }

    public Path file() {
        return file;
    }

    /** What is wrong with the file, e.g. "its permissions are rw-r--r--". */
    public String problem() {
        return problem;
    }

    /** What to do about it, e.g. "chmod 600 it". */
    public String remedy() {
        return remedy;
    }
}
