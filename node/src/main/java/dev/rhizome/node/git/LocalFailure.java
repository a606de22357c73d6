package dev.rhizome.node.git;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.Set;

/**
 * Tells a failure of this machine (disk full, quota, read-only file system, out of file handles)
 * from a bad bundle, where JGit wraps both in the same TransportException: a bundle that could not
 * be stored here is not its sender's fault, and blaming it would get honest peers banned by a node
 * whose own disk is full.
 */
final class LocalFailure {
    private static final Set<String> OS_MESSAGES = Set.of(
            "No space left on device", "Disk quota exceeded", "Read-only file system", "Too many open files",
            "Input/output error");

    private LocalFailure() {
    }

    static boolean in(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof FileSystemException) {
                return true;
            }
            // The JDK's own write errors carry the OS's message and nothing else; a message
            // merely containing those words (a ref name in a JGit message) is the sender's text.
            if (t.getClass() == IOException.class && OS_MESSAGES.contains(t.getMessage())) {
                return true;
            }
        }
        return false;
    }
}
