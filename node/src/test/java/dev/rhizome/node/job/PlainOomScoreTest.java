package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job of a node run with {@code --no-sandbox} is the OOM killer's first choice as a sandboxed one
 * is ({@link OomScoreTest}): it ran at the node's own adjustment, level with the volunteer's
 * programs. A real child process reads its adjustment, in its first process and in one it started.
 */
class PlainOomScoreTest {
    @TempDir
    Path tmp;

    @Test
    void everyProcessOfAnUnsandboxedJobIsTheOutOfMemoryKillersFirstChoice() throws Exception {
        Path out = tmp.resolve("out");
        Process job = new PlainLauncher().start(List.of("/bin/sh", "-c",
                "echo main $(cat /proc/self/oom_score_adj); /bin/sh -c 'echo child $(cat /proc/self/oom_score_adj)'"),
                new Confinement(tmp, List.of(tmp), List.of(), Map.of("PATH", "/usr/bin:/bin")), Redirect.PIPE,
                Redirect.to(out.toFile()), Redirect.INHERIT);
        job.getOutputStream().close();
        assertThat(job.waitFor(120, TimeUnit.SECONDS)).as("the job ends").isTrue();

        assertThat(Files.readAllLines(out)).containsExactly("main 1000", "child 1000");
    }

    @Test
    void theNodesOwnComputationKeepsItsCallersAdjustment() throws Exception {
        Path out = tmp.resolve("out");
        String own = Files.readString(Path.of("/proc/self/oom_score_adj")).strip();
        Process p = PlainLauncher.atCallersPriority().start(List.of("/bin/sh", "-c", "cat /proc/self/oom_score_adj"),
                new Confinement(tmp, List.of(tmp), List.of(), Map.of("PATH", "/usr/bin:/bin")), Redirect.PIPE,
                Redirect.to(out.toFile()), Redirect.INHERIT);
        p.getOutputStream().close();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(Files.readString(out).strip()).as("a demo's entropy floor is no job to be killed first").isEqualTo(own);
    }
}
