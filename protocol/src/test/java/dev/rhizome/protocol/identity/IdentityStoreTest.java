package dev.rhizome.protocol.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityStoreTest {
    @TempDir
    Path dir;

    @Test
    void createsKeyOnFirstUseWithOwnerOnlyPermissionsAndReloadsIt() throws IOException {
        Path data = dir.resolve("data");
        Identity first = IdentityStore.loadOrCreate(data);
        Path key = data.resolve(IdentityStore.FILE_NAME);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
        assertThat(IdentityStore.loadOrCreate(data).publicId()).isEqualTo(first.publicId());
    }

    /**
     * Processes started together on a new directory (a node and an agent's command) all end up with
     * the one key that won. With one temporary name shared by all, one deleted and recreated it while
     * another wrote it, and the other linked an empty file into place: "malformed", for good.
     */
    @Test
    void startsRacingOnANewDirectoryAllLoadTheOneKeyThatWon() throws Exception {
        int racers = 6;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            for (int round = 0; round < 20; round++) {
                Path data = dir.resolve("race-" + round);
                CyclicBarrier together = new CyclicBarrier(racers);
                List<Future<Identity>> started = new ArrayList<>();
                for (int i = 0; i < racers; i++) {
                    started.add(pool.submit(() -> {
                        together.await();
                        return IdentityStore.loadOrCreate(data);
                    }));
                }
                List<Identity> loaded = new ArrayList<>();
                for (Future<Identity> f : started) {
                    loaded.add(f.get());
                }
                Identity kept = IdentityStore.load(data.resolve(IdentityStore.FILE_NAME));
                int r = round;
                assertThat(loaded).as("round %d", r).allSatisfy(id -> assertThat(id.publicId()).isEqualTo(kept.publicId()));
                try (Stream<Path> files = Files.list(data)) {
                    assertThat(files.map(p -> p.getFileName().toString())).as("round %d", r)
                            .containsExactly(IdentityStore.FILE_NAME);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesKeyReadableByOthers() throws IOException {
        IdentityStore.loadOrCreate(dir);
        Path key = dir.resolve(IdentityStore.FILE_NAME);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> IdentityStore.loadOrCreate(dir))
                .isInstanceOf(IOException.class).hasMessageContaining("permissions");
    }

    @Test
    void refusesMalformedKeyFile() throws IOException {
        Path key = dir.resolve(IdentityStore.FILE_NAME);
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, "not hex");

        assertThatThrownBy(() -> IdentityStore.loadOrCreate(dir))
                .isInstanceOf(IOException.class).hasMessageContaining("malformed");
    }

    @Test
    void aKeyFileThatIsNoKeySaysWhatAKeyLooksLikeNotWhatTheParserThought() throws IOException {
        Path key = dir.resolve(IdentityStore.FILE_NAME);
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(key, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2});

        assertThatThrownBy(() -> IdentityStore.loadOrCreate(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(key.toString())
                .hasMessageContaining("not a rhizome identity key")
                .hasMessageContaining("64 hex digits");
    }

    @Test
    void aKeyPathThatIsADirectoryIsNotToldToChmod() throws IOException {
        Files.createDirectories(dir.resolve(IdentityStore.FILE_NAME));

        assertThatThrownBy(() -> IdentityStore.loadOrCreate(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a regular file")
                .hasMessageNotContaining("chmod");
    }

    @Test
    void aDataDirectoryThatIsAFileIsNamedAsSuch() throws IOException {
        Path file = Files.writeString(dir.resolve("data"), "x");

        assertThatThrownBy(() -> IdentityStore.loadOrCreate(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("is a file, not a directory");
    }

    @Test
    void publicIdRoundTripsThroughHex() {
        PublicId id = Identity.generate().publicId();
        assertThat(PublicId.parse(id.toString())).isEqualTo(id);
        assertThatThrownBy(() -> PublicId.parse("abc")).hasMessageContaining("64 hex digits");
    }

    @Test
    void everyUnusableKeyIsOneTypeNamingTheFileTheProblemAndTheRemedy() throws IOException {
        IdentityStore.loadOrCreate(dir);
        Path key = dir.resolve(IdentityStore.FILE_NAME);
        String before = Files.readString(key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw-rw-"));

        assertThatThrownBy(() -> IdentityStore.loadOrCreate(dir)).isInstanceOfSatisfying(UnusableKey.class, e -> {
            assertThat(e.file()).isEqualTo(key);
            assertThat(e.problem()).contains("rw-rw-rw-");
            assertThat(e.remedy()).contains("chmod 600");
        });
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(key, before.trim() + "00\n");  // a byte too long

        assertThatThrownBy(() -> IdentityStore.loadOrCreate(dir)).isInstanceOfSatisfying(UnusableKey.class, e -> {
            assertThat(e.problem()).contains("64 hex digits");
            assertThat(e.remedy()).contains("move " + key + " away");
        });
        assertThat(Files.readString(key)).as("an unusable key is never replaced").isEqualTo(before.trim() + "00\n");
    }
}
