package dev.rhizome.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A first start SIGKILLed while it makes its identity key (a real child process, stopped at a crash
 * point): after the key's temporary file is written and before it is linked into place, or after
 * the link and before the temporary file goes. The next start must start (no half-written key, no
 * refusal), keep a key that was already in place, and leave no copy of a private key lying in the
 * directory: a copy left after the link stayed there for good, since a directory holding its key
 * was never cleaned by a command other than the node.
 */
class KeyCreationKillTest {
    @TempDir
    Path tmp;

    /** The child: a first start's key creation. */
    public static final class FirstStart {
        public static void main(String[] args) throws Exception {
            System.out.println("key " + IdentityStore.loadOrCreate(Path.of(args[0])).publicId());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {CrashPoints.KEY_WRITTEN, CrashPoints.KEY_LINKED})
    void aStartKilledWhileMakingItsKeyLeavesADirectoryTheNextStartUses(String point) throws Exception {
        Path dataDir = tmp.resolve("data");
        Path key = dataDir.resolve(IdentityStore.FILE_NAME);
        KillableChild child = KillableChild.start(FirstStart.class, List.of("-Drhizome.crash-point=" + point),
                line -> { }, dataDir.toString());
        boolean linked = point.equals(CrashPoints.KEY_LINKED);
        child.killWhen(() -> temporaryKeys(dataDir).size() == 1 && Files.exists(key) == linked, Duration.ofMinutes(2),
                "first start");
        assertThat(temporaryKeys(dataDir)).as("the killed start's temporary key").hasSize(1);
        assertThat(Files.exists(key)).as("the key in place at the kill").isEqualTo(linked);
        Identity before = linked ? IdentityStore.load(key) : null;

        Identity next = IdentityStore.loadOrCreate(dataDir);
        if (before != null) {
            assertThat(next.publicId()).as("the key already in place, kept").isEqualTo(before.publicId());
        }
        assertThat(IdentityStore.loadOrCreate(dataDir).publicId()).as("loaded again").isEqualTo(next.publicId());
        assertThat(temporaryKeys(dataDir)).as("copies of a private key left").isEmpty();
    }

    private static List<Path> temporaryKeys(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();  // a file renamed during the listing: look again
        }
    }
}
