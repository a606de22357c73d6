package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A real job, in each job-user mode ({@link JobPathsCheck}), runs in its checkout at {@code /job}, with
 * {@code HOME} there and {@code TMPDIR} {@code /tmp}, and finds no host path of the node's in its working
 * directory, environment or command line (the node's temporary directory, the job directory's random name,
 * the {@code rhizome-jobs-<uid>-} prefix); the path into its checkout its command was handed still leads there.
 */
class JobPathsTest {
    @Test
    void aRootNodesJob() throws Exception {
        assumeTrue(JobDirs.myUid() == 0, "a root node's jobs: the tests run as root here only");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), JobPathsCheck.class.getName(),
                UUID.randomUUID().toString().substring(0, 8))).directory(new File("/")).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as(out).isTrue();
        assertHidden(out, "MODE subordinate=false own=true");
    }

    @Test
    void aNodeOfAnOrdinaryUserWithSubordinateIds() throws Exception {
        try (TestUser user = TestUser.withSubordinateIds()) {
            assertHidden(user.runJava(JobPathsCheck.class, Map.of(), 5, user.name()), "MODE subordinate=true");
        }
    }

    @Test
    void aNodeOfAnOrdinaryUserWhoseJobsShareItsUid() throws Exception {
        try (TestUser user = TestUser.withoutSubordinateIds()) {
            assertHidden(user.runJava(JobPathsCheck.class, Map.of(), 5, user.name()), "MODE subordinate=false own=false");
        }
    }

    private static void assertHidden(String out, String mode) {
        String job = out.lines().filter(l -> l.startsWith("JOB| ")).collect(Collectors.joining("\n"));
        String[] host = out.lines().filter(l -> l.startsWith("HOST_PATHS ")).findFirst().orElseThrow()
                .substring("HOST_PATHS ".length()).split(" ");
        assertThat(out).as(out).contains(mode, "STATUS OK OptionalDouble[1.5]\n");
        assertThat(job).as(out).contains("JOB| PWD /job\n", "JOB| HOME /job\n", "JOB| TMPDIR /tmp\n",
                "JOB| ARGV /job/job.py /job/data.txt\n", "JOB| READ DATA-READ\n", "HOME=/job ", "TMPDIR=/tmp ")
                .doesNotContain(host).doesNotContain("rhizome-jobs-");
    }
}
