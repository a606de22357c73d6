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
 * A node's stop during a job directory's delete leaves nothing in the temporary directory: it finishes
 * the delete within its wait (the kill30 storm's node, stopped mid-delete after its last run, left its job
 * directory whole, undone for a next start that never came); past the wait, the delete undoes what it
 * started, leaving no trash ({@code .<name>.deleting-*}), and the job directory, tagged with the start's
 * key, is deleted by the next start (the kill27 PostgreSQL storm found an empty trash after a node's last
 * stop, left by the delete thread the process's end cut).
 */
class NodeJobDirsStopTest {
    @TempDir
    Path dataDir;

    @Test
    void aStopDuringADeleteFinishesItWithinItsWaitLeavingNothing() throws Exception {
        Path keyFile = dataDir.resolve("jobs.name");
        NodeJobDirs start = JobDirs.startNode(keyFile);
        start.leftoversDeleted().get(60, TimeUnit.SECONDS);
        Path job = start.next();
        Path queued = start.next();
        for (int i = 0; i < 10_000; i++) {
            Files.createDirectories(job.resolve("a" + i).resolve("b"));
        }
        Files.writeString(queued.resolve("Harness.java"), "a job's file");
        try {
            start.done(job);
            start.done(queued);  // behind the first on the one deleter: not begun when the stop comes
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1)).until(() -> !trashOf(job).isEmpty());

            start.stop(Duration.ofSeconds(300));  // a bound at load 30: the delete takes a second or two when idle

            assertThat(job).as("the job directory, deleted by the stop").doesNotExist();
            assertThat(queued).as("the one queued behind it, deleted too").doesNotExist();
            assertThat(trashOf(job)).as("the trash beside the job directory").isEmpty();
            assertThat(trashOf(queued)).isEmpty();
        } finally {
            JobDirs.deleteTree(job);
            JobDirs.deleteTree(queued);
            JobDirs.delete(start.dir());
        }
    }

    @Test
    void aStopWhoseWaitRunsOutLeavesTheJobDirectoryWholeForTheNextStartAndNoTrash() throws Exception {
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

            start.stop(Duration.ZERO);

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

    /**
     * "The delete of an earlier run's leftovers does not stop cleanly" (Known gaps, round 27): a node stopped
     * while its start deleted a killed run's job directory let that delete run on to the process's end,
     * which cut it, its trash left in the temporary directory. The stop now stops it too, and the next
     * start, which still has the killed run's key kept, finishes it. (A stop given time finishes it
     * itself, as it does a job directory's.)
     */
    @Test
    void aStopDuringTheDeleteOfAnEarlierRunsLeftoversStopsItAndTheNextStartResumesIt() throws Exception {
        Path keyFile = dataDir.resolve("jobs.name");
        NodeJobDirs killed = JobDirs.startNode(keyFile);
        killed.leftoversDeleted().get(60, TimeUnit.SECONDS);
        Path job = killed.next();
        for (int i = 0; i < 4_000; i++) {
            Files.createDirectories(job.resolve("a" + i).resolve("b"));
        }
        NodeJobDirs restarted = null;
        NodeJobDirs next = null;
        try {
            restarted = JobDirs.startNode(keyFile); // the killed run's job directory is its leftover
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1)).until(() -> !trashOf(job).isEmpty());

            restarted.stop(Duration.ZERO);  // no time to finish it: undone

            assertThat(restarted.leftoversDeleted()).as("the leftovers' delete, stopped").isDone();
            assertThat(trashOf(job)).as("the trash beside the leftover").isEmpty();
            assertThat(job).as("the leftover, undone").isDirectory();
            next = JobDirs.startNode(keyFile);
            assertThat(next.leftoversDeleted().get(120, TimeUnit.SECONDS)).as("the killed run's directory and the "
                    + "stopped start's").isGreaterThanOrEqualTo(2);
            assertThat(job).as("the leftover, deleted by the next start").doesNotExist();
            assertThat(trashOf(job)).isEmpty();
        } finally {
            JobDirs.deleteTree(job);
            JobDirs.delete(killed.dir());
            for (NodeJobDirs d : new NodeJobDirs[] {restarted, next}) {
                if (d != null) {
                    JobDirs.delete(d.dir());
                }
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
