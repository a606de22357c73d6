package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's stop during a job directory's delete leaves no trash ({@code .<name>.deleting-*}) in the
 * temporary directory: the delete undoes what it started, and the job directory, tagged with the start's
 * key, is deleted by the next start (the kill27 PostgreSQL storm found an empty trash after a node's last
 * stop, left by the delete thread the process's end cut).
 */
class NodeJobDirsStopTest {
    @TempDir
    Path dataDir;

    @Test
    void aStopDuringADeleteLeavesTheJobDirectoryWholeForTheNextStartAndNoTrash() throws Exception {
        Path keyFile = dataDir.resolve("jobs.name");
        NodeJobDirs start = JobDirs.startNode(keyFile);
        start.leftoversDeleted().get(60, TimeUnit.SECONDS);
        Path job = start.next();
        // enough directories that the delete is still under way when the stop comes
        for (int i = 0; i < 10_000; i++) {
            Files.createDirectories(job.resolve("a" + i).resolve("b"));
        }
        Files.writeString(job.resolve("a0").resolve("b").resolve("file"), "a job's file");
        NodeJobDirs next = null;
        try {
            start.done(job);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1)).until(() -> !trashOf(job).isEmpty());

            start.stop(Duration.ofSeconds(60));

            assertThat(trashOf(job)).as("the trash beside the job directory").isEmpty();
            assertThat(job).as("the job directory, undone").isDirectory();
            next = JobDirs.startNode(keyFile);
            assertThat(next.leftoversDeleted().get(120, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(1);
            assertThat(job).doesNotExist();
            assertThat(trashOf(job)).isEmpty();
        } finally {
            JobDirs.deleteTree(job);
            JobDirs.delete(start.dir());
            if (next != null) {
                JobDirs.delete(next.dir());
            }
        }
    }

    private static java.util.List<Path> trashOf(Path root) throws java.io.IOException {
        String prefix = JobDirs.trashPrefix(root);
        try (Stream<Path> list = Files.list(root.getParent())) {
            return list.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
    }
}
