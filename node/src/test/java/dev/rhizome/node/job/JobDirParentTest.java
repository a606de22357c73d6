package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job reads its checkout's host path in {@code /proc/self/mountinfo}: the job directories' parent
 * names no user ({@link JobDirParent}), even where the volunteer set the JVM's temporary directory under
 * a home.
 */
class JobDirParentTest {
    private static final Path HOME = Path.of("/home/ada");
    private static final List<Path> SYSTEM = JobDirParent.SYSTEM;

    @TempDir
    Path tmp;

    @Test
    void theTemporaryDirectoryIsKeptWhenItNamesNoUser() {
        assertThat(JobDirParent.choose(Path.of("/tmp"), HOME, "ada", SYSTEM, p -> true)).isEqualTo(Path.of("/tmp"));
        assertThat(JobDirParent.choose(Path.of("/scratch/big"), HOME, "ada", SYSTEM, p -> true))
                .isEqualTo(Path.of("/scratch/big"));
    }

    @Test
    void aTemporaryDirectoryUnderTheHomeOrNamingTheUserGivesWayToTheSystemsOnDiskFirst() {
        assertThat(JobDirParent.choose(Path.of("/home/ada/tmp"), HOME, "ada", SYSTEM, p -> true))
                .isEqualTo(Path.of("/var/tmp"));
        assertThat(JobDirParent.choose(Path.of("/scratch/ada/tmp"), HOME, "ada", SYSTEM, p -> true))
                .isEqualTo(Path.of("/var/tmp"));
        assertThat(JobDirParent.choose(Path.of("/home/ada/../ada/tmp"), HOME, "ada", SYSTEM, p -> true))
                .isEqualTo(Path.of("/var/tmp"));
        // /var/tmp missing, a link or not writable: /tmp
        assertThat(JobDirParent.choose(Path.of("/home/ada/tmp"), HOME, "ada", SYSTEM, p -> p.equals(Path.of("/tmp"))))
                .isEqualTo(Path.of("/tmp"));
        // neither: the node still runs, in its own temporary directory
        assertThat(JobDirParent.choose(Path.of("/home/ada/tmp"), HOME, "ada", SYSTEM, p -> false))
                .isEqualTo(Path.of("/home/ada/tmp"));
    }

    @Test
    void aHomeOfSlashAloneNamesNothing() {
        assertThat(JobDirParent.namesUser(Path.of("/tmp"), Path.of("/"), "nobody")).isFalse();
        assertThat(JobDirParent.namesUser(Path.of("/tmp/nobody"), Path.of("/"), "nobody")).isTrue();
    }

    /** A real job of a node whose temporary directory is set under its user's home reads no path of that home. */
    @Test
    void aJobOfANodeWhoseTemporaryDirectoryIsUnderItsHomeReadsNoPathOfTheHomeInItsMounts() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home").resolve("volunteer"));
        Path underHome = Files.createDirectories(home.resolve("tmp"));
        // a home other users pass (0711, as many distributions make them), so jobs of their own uid could work there
        for (Path d : List.of(tmp, tmp.resolve("home"), home, underHome)) {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx--x--x"));
        }
        String tmpDir = System.getProperty("java.io.tmpdir");
        String userHome = System.getProperty("user.home");
        System.setProperty("java.io.tmpdir", underHome.toString());
        System.setProperty("user.home", home.toString());
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp.resolve("data"))) {
            JobOutcome outcome = jobs.runPython("print(open('/proc/self/mountinfo').read())\n", Map.of());
            String log = jobs.log();
            assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
            assertThat(log).contains(" /job ").doesNotContain(home.getFileName() + "/tmp", "/home/");
            assertThat(jobs.jobs.startsWith(home)).as("the job directory " + jobs.jobs).isFalse();
        } finally {
            System.setProperty("java.io.tmpdir", tmpDir);
            System.setProperty("user.home", userHome);
        }
    }
}
