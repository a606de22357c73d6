package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two jobs of one node's run, through the node's evaluator and real sandbox ({@link JobDirPerJobCheck}, in
 * each job-user mode), read their checkouts' host paths in {@code /proc/self/mountinfo} (the kernel prints
 * them; nothing the sandbox binds hides them): beyond the temporary directory they share no name, so
 * neither can tell that the other ran on the same node. A job directory kept for the node's run, with each
 * slot's checkouts in it, was the same name in every job's mountinfo. Each job's directory is one of the
 * start's key, so a node killed during a job finds it at its next start, and it is gone once the job is done.
 */
class JobDirPerJobTest {
    @Test
    void aRootNodesJobs() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "a root node's jobs: the tests run as root here only");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), JobDirPerJobCheck.class.getName()))
                .directory(new File("/")).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as(out).isTrue();
        assertNothingShared(out, "MODE subordinate=false own=true");
    }

    @Test
    void aNodeOfAnOrdinaryUserWithSubordinateIds() throws Exception {
        try (TestUser user = TestUser.withSubordinateIds()) {
            assertNothingShared(user.runJava(JobDirPerJobCheck.class, Map.of(), 5), "MODE subordinate=true");
        }
    }

    @Test
    void aNodeOfAnOrdinaryUserWhoseJobsShareItsUid() throws Exception {
        try (TestUser user = TestUser.withoutSubordinateIds()) {
            assertNothingShared(user.runJava(JobDirPerJobCheck.class, Map.of(), 5), "MODE subordinate=false own=false");
        }
    }

    private static void assertNothingShared(String out, String mode) {
        assertThat(out).as(out).contains(mode);
        assertThat(out.lines().filter(l -> l.equals("STATUS OK")).count()).as(out).isEqualTo(2);
        List<Path> seen = out.lines().filter(l -> l.startsWith("JOB| CHECKOUT "))
                .map(l -> Path.of(l.substring("JOB| CHECKOUT ".length()))).toList();
        assertThat(seen).as(out).hasSize(2);
        Path a = seen.get(0);
        Path b = seen.get(1);
        // <the temporary directory within its file system>/rhizome-<nonce><tag>/<16 hex>, both names new per job
        assertThat(a.toString()).as(out).matches(".*/rhizome-[0-9a-f]{32}/[0-9a-f]{16}");
        assertThat(a.getParent().getParent()).as("the temporary directory, and nothing below it in common")
                .isEqualTo(b.getParent().getParent());
        assertThat(a.getParent().getFileName()).isNotEqualTo(b.getParent().getFileName());
        assertThat(a.getFileName()).isNotEqualTo(b.getFileName());
        String start = line(out, "START ");
        String key = line(out, "KEY ");
        for (Path p : seen) {
            assertThat(p.toString()).doesNotContain(Path.of(start).getFileName().toString());
            assertThat(JobDirNames.madeWith(p.getParent().getFileName().toString(), key))
                    .as("tagged with this start's key, found by the next start").isTrue();
        }
        assertThat(line(out, "TAGGED_AFTER ")).as("each job's directory is gone soon after it is done (off the slot's path)").isEqualTo("[" + start + "]");
        assertThat(line(out, "LEFT_BEHIND_FOUND ")).as(out).isEqualTo("true");
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(out))
                .substring(prefix.length());
    }
}
