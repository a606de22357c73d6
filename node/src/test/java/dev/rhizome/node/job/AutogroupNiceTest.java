package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** On real processes: a session a job makes is given the job's niceness at the node's next look. */
class AutogroupNiceTest {
    @Test
    void aNewSessionsGroupGetsTheJobsNiceness() throws Exception {
        assumeTrue(AutogroupNice.ownGroupNice().isPresent(), "this kernel groups no tasks by session");
        assumeTrue(SandboxProbe.onPath("setsid").isPresent(), "no setsid here");
        // setsid: a group of its own, which the kernel starts at nice 0 whatever the process's nice.
        Process session = new ProcessBuilder(SandboxProbe.onPath("setsid").get().toString(), "sleep", "60").start();
        try {
            Path file = Path.of("/proc", Long.toString(session.pid()), "autogroup");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> !Files.readString(file).equals(Files.readString(Path.of("/proc/self/autogroup"))));

            assertThat(new AutogroupNice(Path.of("/proc"), 7).check(List.of(session.toHandle()))).isEmpty();

            assertThat(Files.readString(file)).matches("/autogroup-\\d+ nice 7\\s*");
        } finally {
            session.destroyForcibly().waitFor();
        }
    }

    @Test
    void theNodesOwnGroupIsNeverTouched() throws Exception {
        assumeTrue(AutogroupNice.ownGroupNice().isPresent(), "this kernel groups no tasks by session");
        Path own = Path.of("/proc/self/autogroup");
        String before = Files.readString(own);
        int other = before.trim().endsWith(" nice 13") ? 12 : 13;
        // A launcher's first process is still in the node's session (and the volunteer's terminal's).
        Process sameSession = new ProcessBuilder("sleep", "60").start();
        try {
            assertThat(new AutogroupNice(Path.of("/proc"), other).check(List.of(sameSession.toHandle()))).isEmpty();
            assertThat(Files.readString(own).trim()).doesNotEndWith(" nice " + other);
        } finally {
            sameSession.destroyForcibly().waitFor();
        }
    }

    @Test
    void aProcessGoneOrWithoutAGroupIsPassedOver() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        assertThat(new AutogroupNice(Path.of("/proc"), 19).check(List.of(gone.toHandle()))).isEmpty();
    }
}
