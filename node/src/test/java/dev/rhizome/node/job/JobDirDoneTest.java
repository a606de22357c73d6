package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's directory is deleted off its slot's path once the job is done: the slot deleted it before
 * claiming again, and a tree of 200,000 entries held the slot for 73 s. A directory whose delete a
 * kill cut short, or never began, is found and deleted by the node's next start.
 */
class JobDirDoneTest {
    @TempDir
    Path dataDir;

    @Test
    void aDoneJobsDirectoryIsDeletedByTheStartsDeleter() throws Exception {
        NodeJobDirs start = JobDirs.startNode(dataDir.resolve("jobs.name"));
        try {
            Path job = start.next();
            Files.writeString(Files.createDirectories(job.resolve("checkout/a/b")).resolve("file"), "a job's file");

            start.done(job);

            await().atMost(Duration.ofSeconds(60)).until(() -> !Files.exists(job));
        } finally {
            JobDirs.delete(start.dir());
        }
    }

    @Test
    void theSlotGoesOnBeforeTheDeleteAndANextStartDeletesWhatAKillLeft() throws Exception {
        Path keyFile = dataDir.resolve("jobs.name");
        NodeJobDirs first = JobDirs.startNode(keyFile);
        first.leftoversDeleted().get(60, TimeUnit.SECONDS);
        List<Runnable> queued = new ArrayList<>();
        // the start's own deleter, held: its turn never comes before the kill
        NodeJobDirs killed = new NodeJobDirs(first.dir(), JobDirs.nameIn(keyFile), made -> made,
                CompletableFuture.completedFuture(0), queued::add);
        Path job = killed.next();
        Files.writeString(Files.createDirectories(job.resolve("checkout")).resolve("file"), "a job's file");
        NodeJobDirs next = null;
        try {
            killed.done(job);
            assertThat(queued).as("the delete handed over, not done on the slot's path").hasSize(1);
            assertThat(job.resolve("checkout/file")).as("still there as the slot goes on").exists();

            next = JobDirs.startNode(keyFile);  // the node killed, started again

            assertThat(next.leftoversDeleted().get(60, TimeUnit.SECONDS)).as("the start's directory and the job's")
                    .isEqualTo(2);
            assertThat(job).doesNotExist();
            queued.get(0).run();  // a delete that lost the race to the next start finds nothing, and says nothing
            assertThat(job).doesNotExist();
        } finally {
            JobDirs.delete(first.dir());
            JobDirs.delete(job);
            if (next != null) {
                JobDirs.delete(next.dir());
            }
        }
    }
}
