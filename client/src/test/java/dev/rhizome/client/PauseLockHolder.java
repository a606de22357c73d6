package dev.rhizome.client;

import dev.rhizome.node.prefs.PauseLock;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A child JVM that holds a data directory's {@link PauseLock} as a node does between its start's
 * read of the kept pause and its control socket's first answer: the pause point of the race tests.
 * Prints "held" once it holds the lock, and releases it when its standard input ends.
 */
public final class PauseLockHolder {
    private PauseLockHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (PauseLock held = PauseLock.await(Path.of(args[0]), Duration.ofMinutes(1))) {
            System.out.println("held");
            System.out.flush();
            while (System.in.read() >= 0) {
                // held until the test closes our standard input (or kills us)
            }
        }
    }
}
