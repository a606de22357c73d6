package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The count of a sandbox's memory mounts, on a root laid out as files. */
class MemoryFilesTest {
    @TempDir
    Path root;

    @Test
    void entriesOfBothMountsCountTogetherUpToTheBound() throws Exception {
        Path tmp = Files.createDirectories(root.resolve("tmp/a/b"));
        Path shm = Files.createDirectories(root.resolve("dev/shm"));
        for (int i = 0; i < 4; i++) {
            Files.createFile(tmp.resolve("f" + i));
            Files.createFile(shm.resolve("f" + i));
        }
        Files.createSymbolicLink(shm.resolve("link"), Path.of("/etc")); // a link is an entry, never followed
        MemoryFiles files = new MemoryFiles(Path.of("/proc"), 11); // a, b, 8 files, the link

        assertThat(files.count(root)).isEmpty();

        Files.createFile(tmp.resolve("one-more"));
        assertThat(files.count(root)).hasValue("it made more than 11 files in its /tmp and /dev/shm");
    }

    @Test
    void aRootWithoutTheMountsOrAProcessOfTheNodesOwnCountsNothing() throws Exception {
        assertThat(new MemoryFiles(Path.of("/proc"), 1).count(root)).isEmpty();
        // The node's own process is in the node's mount namespace: it is not a sandbox to count.
        assertThat(new MemoryFiles(Path.of("/proc"), 1).check(List.of(ProcessHandle.current()))).isEmpty();
    }
}
