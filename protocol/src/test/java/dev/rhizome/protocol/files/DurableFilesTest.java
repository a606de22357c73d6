package dev.rhizome.protocol.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFilesTest {
    @TempDir
    Path dir;

    /** Replaces one file over and over with content of alternating size, until killed. */
    public static final class Writer {
        public static void main(String[] args) throws Exception {
            Path target = Path.of(args[0]);
            for (int i = 0; ; i++) {
                byte[] content = new byte[(i % 2 == 0 ? 300_000 : 70_000)];
                Arrays.fill(content, (byte) ('a' + i % 26));
                DurableFiles.replace(target, content);
                Files.writeString(target.resolveSibling("count"), Integer.toString(i));
            }
        }
    }

    @Test
    void aWriterKilledAtAnyMomentLeavesTheOldContentOrTheNewWholeAndTheNextWriteClearsItsTemporaryFile()
            throws Exception {
        Path target = dir.resolve("peers.bin");
        for (int round = 0; round < 5; round++) {
            Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Writer.class.getName(), target.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("writer.log").toFile()).start();
            int seen = round;
            await().atMost(Duration.ofSeconds(60)).until(() -> count() > seen * 3 + 3 || !writer.isAlive());
            assertThat(writer.isAlive()).as("the writer runs").isTrue();
            writer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);  // SIGKILL, mid-write more often than not

            byte[] content = Files.readAllBytes(target);
            assertThat(content.length).isIn(300_000, 70_000);
            byte first = content[0];
            for (byte b : content) {
                assertThat(b).isEqualTo(first);
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList())
                        .as("at most the one fixed temporary name is left").isSubsetOf("peers.bin.tmp");
            }
        }
        DurableFiles.replace(target, "new".getBytes());
        assertThat(Files.readString(target)).isEqualTo("new");
        assertThat(dir.resolve("peers.bin.tmp")).doesNotExist();
    }

    private int count() {
        try {
            return Integer.parseInt(Files.readString(dir.resolve("count")).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Threads of one process replacing one file at once (a node's claim and its gossip both keeping
     * the network id they learnt): each deleted the other's temporary file, and one of them failed
     * with "network.tmp -> network" (a claim given up), or renamed the other's half-written file
     * into place. Every write now succeeds and the file is always one of them, whole.
     */
    @Test
    void threadsReplacingOneFileAtOnceAllSucceedAndLeaveOneWriteWhole() throws Exception {
        Path target = dir.resolve("network");
        int threads = 4;
        int writes = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                byte fill = (byte) ('a' + t);
                int size = 1_000 * (t + 1);
                done.add(pool.submit(() -> {
                    byte[] content = new byte[size];
                    Arrays.fill(content, fill);
                    for (int i = 0; i < writes; i++) {
                        DurableFiles.replace(target, content);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);  // a failed write is thrown here
            }
        } finally {
            pool.shutdownNow();
        }
        byte[] content = Files.readAllBytes(target);
        assertThat(content.length).isIn(1_000, 2_000, 3_000, 4_000);
        for (byte b : content) {
            assertThat(b).isEqualTo(content[0]);
        }
        assertThat(content.length).isEqualTo(1_000 * (content[0] - 'a' + 1));
        assertThat(dir.resolve("network.tmp")).doesNotExist();
    }

    @Test
    void leftoversOfInterruptedWritesAreRemovedAndNothingElse() throws IOException {
        Files.writeString(dir.resolve("node.json.tmp"), "half");
        Files.writeString(dir.resolve("peers.bin123456.tmp"), "an older version's random name");
        Files.writeString(dir.resolve("node.json"), "{}");
        Files.createDirectories(dir.resolve("sub.tmp"));
        assertThat(DurableFiles.removeLeftovers(dir)).isEqualTo(2);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("node.json", "sub.tmp");
        }
        assertThat(DurableFiles.removeLeftovers(dir.resolve("missing"))).isZero();
    }

    @Test
    void moveForcesBothDirectoriesAndReplaces() throws IOException {
        Path from = Files.writeString(dir.resolve("a.result"), "result");
        Path refused = Files.createDirectories(dir.resolve("refused"));
        Files.writeString(refused.resolve("a.result"), "older");
        DurableFiles.move(from, refused.resolve("a.result"));
        assertThat(Files.readString(refused.resolve("a.result"))).isEqualTo("result");
        assertThat(from).doesNotExist();
        DurableFiles.forceDirectory(dir);
        DurableFiles.delete(refused.resolve("a.result"));
        assertThat(refused.resolve("a.result")).doesNotExist();
    }
}
