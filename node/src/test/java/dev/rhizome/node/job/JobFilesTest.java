package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node reads a harness's result file ({@link JobFiles#readRegular}) outside the sandbox, with its own rights.
 * A process of the job that survived could swap what it looked at for something else before the read: a FIFO,
 * whose plain open waits for a writer for ever (and the slot's thread with it), or a link to the node's key.
 * Each swap is made here exactly between the node's look and its read, where a live job would have to win a race.
 */
class JobFilesTest {
    /** Far past what any of these reads takes, even at load 30: a read that waits on a FIFO never ends. */
    private static final Duration NEVER = Duration.ofMinutes(2);

    @TempDir
    Path root;

    @Test
    void aRegularFileIsReadUpToTheBound() throws Exception {
        Path file = resultFile();
        Files.writeString(file, "val_bpb: 0.5\nmore");

        assertThat(JobFiles.readRegular(file, 12)).map(b -> new String(b, StandardCharsets.UTF_8))
                .contains("val_bpb: 0.5");
        assertThat(JobFiles.readRegular(file.resolveSibling("none"), 12)).isEmpty();
        assertThat(JobFiles.readRegular(root.resolve("gone/result"), 12)).isEmpty();
    }

    @Test
    void aFifoSwappedInAfterTheLookIsNoResultAndDoesNotHoldTheNode() throws Exception {
        Path file = resultFile();
        Files.writeString(file, "val_bpb: 0.5\n");

        Optional<byte[]> read = assertTimeoutPreemptively(NEVER,
                () -> JobFiles.readRegular(file, 1024, () -> swap(file, "mkfifo")));

        assertThat(read).isEmpty();
        assertThat(leftBeside(file)).as("nothing of the read is left beside the result directory").isEmpty();
    }

    @Test
    void aLinkToTheNodesKeySwappedInAfterTheLookIsNotFollowed() throws Exception {
        Path key = Files.writeString(root.resolve("identity.key"), "SECRET");
        Path file = resultFile();
        Files.writeString(file, "val_bpb: 0.5\n");

        Optional<byte[]> read = assertTimeoutPreemptively(NEVER, () -> JobFiles.readRegular(file, 1024, () -> {
            try {
                Files.delete(file);
                Files.createSymbolicLink(file, key);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));

        assertThat(read).isEmpty();
        assertThat(key).hasContent("SECRET");
    }

    @Test
    void aDirectorySwappedInAfterTheLookIsNoResult() throws Exception {
        Path file = resultFile();
        Files.writeString(file, "val_bpb: 0.5\n");

        Optional<byte[]> read = assertTimeoutPreemptively(NEVER, () -> JobFiles.readRegular(file, 1024, () -> {
            try {
                Files.delete(file);
                Files.createDirectories(file.resolve("inside"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));

        assertThat(read).isEmpty();
    }

    /** The result file in a directory of its own, as the node lays out a harness's result directory. */
    private Path resultFile() throws IOException {
        return Files.createDirectories(root.resolve("slot/unit.result")).resolve("result");
    }

    /** What the node's directory holds beside the result directory (the key file the tests make aside). */
    private static java.util.List<Path> leftBeside(Path file) throws IOException {
        try (Stream<Path> s = Files.list(file.getParent().getParent())) {
            return s.filter(p -> !p.equals(file.getParent())).toList();
        }
    }

    private static void swap(Path file, String tool) {
        try {
            Files.delete(file);
            Process p = new ProcessBuilder(tool, file.toString()).inheritIO().start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException(tool + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
