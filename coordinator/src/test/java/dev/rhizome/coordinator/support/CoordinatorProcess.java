package dev.rhizome.coordinator.support;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A coordinator in a process of its own, for tests that need one: {@code DATA_DIR STORE}; writes
 * its URL to {@code DATA_DIR/coordinator.url} once it listens, and runs until killed.
 */
public final class CoordinatorProcess {
    private CoordinatorProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir).withStore(args[1]));
        Path tmp = Files.writeString(dir.resolve("coordinator.url.tmp"), coordinator.url(), StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve("coordinator.url"), StandardCopyOption.ATOMIC_MOVE);  // never read half written
        Thread.currentThread().join();
    }
}
