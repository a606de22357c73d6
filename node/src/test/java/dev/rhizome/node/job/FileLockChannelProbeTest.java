package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round 34: file locks on what every job sees read-only, in the real sandbox, between two jobs of one node that
 * run at once and between a job and the host, each way. A lock is the inode's, and a bind shows the host's
 * inode: round 33 sent 10 bits a second from one job to another through {@code flock} on
 * {@code /usr/bin/python3}. Each job now has its own copy of {@code /etc}'s small files, whatever bubblewrap it
 * has, and, where bubblewrap makes overlays (0.11), its own overlay of {@code /usr} and the JDK
 * ({@link SharedTrees}): no lock there meets another's. Where it makes none, the doctor's {@code file locks}
 * check says so, and this test holds it to its word: the channel through {@code /usr} is there exactly when
 * the check fails, and the one through {@code /dev/null}, which the check names, always. Round 35: a POSIX read
 * lock, which a read-only descriptor takes, is met as a {@code flock} is (another's {@code F_GETLK} for a write
 * lock sees it), and so is a lock on a directory.
 */
class FileLockChannelProbeTest {
    /** Takes every kind of lock a read-only file allows, says so in its checkout, and holds them until told. */
    private static final String HOLDER = """
            import fcntl, os, sys, time
            held = []
            for path in os.environ['LOCK_FILES'].split(':'):
                if not os.path.exists(path):
                    print('MISSING', path, flush=True)
                    continue
                f = os.open(path, os.O_RDONLY)
                fcntl.flock(f, fcntl.LOCK_EX)
                fcntl.lockf(f, fcntl.LOCK_SH)
                held.append(f)
                print('HELD', path, flush=True)
            open('held', 'w').close()
            end = time.monotonic() + 240
            while not os.path.exists('done') and time.monotonic() < end:
                time.sleep(0.05)
            """;

    /** Tries each file as the other side would: flock without waiting, and the POSIX test for a writer. */
    static final String PROBER = """
            import fcntl, os, struct
            for path in os.environ['LOCK_FILES'].split(':'):
                if not os.path.exists(path):
                    print('MISSING', path, flush=True)
                    continue
                f = os.open(path, os.O_RDONLY)
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(f, fcntl.LOCK_UN)
                    print('FLOCK', path, 'FREE', flush=True)
                except OSError as e:
                    print('FLOCK', path, 'HELD', e.errno, flush=True)
                want = struct.pack('hhqqi4x', fcntl.F_WRLCK, 0, 0, 0, 0)
                got = struct.unpack('hhqqi4x', fcntl.fcntl(f, fcntl.F_GETLK, want))[0]
                print('POSIX', path, 'FREE' if got == fcntl.F_UNLCK else 'HELD', flush=True)
            """;

    @TempDir
    Path dataDir;
    @TempDir
    Path otherData;

    /**
     * The shared files both sides lock: a program of /usr and its directory (a directory opened to read takes
     * either lock as a file does), the loader's cache, a file of this JDK, and /dev/null, which every bubblewrap
     * binds from the host ({@code --dev}: a job's user namespace makes no device).
     */
    private static List<String> files() {
        List<String> files = new ArrayList<>(List.of("/usr/bin/python3", "/usr/bin", "/etc/ld.so.cache", "/dev/null"));
        Path release = JobRunner.javaHome().resolve("release");
        if (Files.isRegularFile(release)) {
            files.add(release.toString());
        }
        return files;
    }

    /**
     * Whether the jobs' shared directories are overlays; {@code RHIZOME_REQUIRE_OVERLAYS=1} fails the test where
     * they are not (a machine whose bubblewrap is 0.11 or later), as {@code RHIZOME_REQUIRE_PG} does for PostgreSQL.
     */
    private static boolean overlays(SandboxedJobs jobs) {
        boolean overlays = jobs.sandbox.plan().overlays();
        if ("1".equals(System.getenv("RHIZOME_REQUIRE_OVERLAYS"))) {
            assertThat(overlays).as("RHIZOME_REQUIRE_OVERLAYS: the plan " + jobs.sandbox.plan().summary()).isTrue();
        }
        return overlays;
    }

    /** What the log or output says of {@code path}, per kind ("FLOCK"/"POSIX"): HELD where the other side's lock was met. */
    private static void assertMet(String output, String path, boolean met) {
        for (String kind : new String[] {"FLOCK", "POSIX"}) {
            assertThat(output).as(output).containsPattern(kind + " " + path + " " + (met ? "HELD" : "FREE"));
        }
    }

    @Test
    void aJobsLocksOnSharedFilesMeetNoOtherJobsWhereTheDoctorSaysSoAndEtcsNever() throws Exception {
        String files = String.join(":", files());
        try (SandboxedJobs holder = SandboxedJobs.open(dataDir); SandboxedJobs prober = holder.nextJob(otherData)) {
            CompletableFuture<JobOutcome> held = CompletableFuture.supplyAsync(() -> {
                try {
                    return holder.runPython(HOLDER, Map.of("LOCK_FILES", files));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                await().atMost(Duration.ofMinutes(3)).until(() -> Files.exists(holder.checkout.resolve("held"))
                        || held.isDone());
                assertThat(held).as("the holder ended before it held its locks").isNotDone();
                // The other job, while the first holds its locks.
                String log = prober.runOk(PROBER.replace("os.environ['LOCK_FILES']", "'" + files + "'"));
                assertMet(log, "/etc/ld.so.cache", false);
                assertMet(log, "/usr/bin/python3", !overlays(holder));
                assertMet(log, "/usr/bin", !overlays(holder));
                assertMet(log, "/dev/null", true);
                // The host, while the job holds them.
                String host = onHost(PROBER, files);
                assertMet(host, "/etc/ld.so.cache", false);
                assertMet(host, "/usr/bin/python3", !overlays(holder));
                assertMet(host, "/usr/bin", !overlays(holder));
                assertMet(host, "/dev/null", true);
            } finally {
                Files.writeString(holder.checkout.resolve("done"), "");
            }
            assertThat(held.get(4, TimeUnit.MINUTES).status()).as(holder.log()).isEqualTo(Result.Status.OK);
        }
    }

    @Test
    void theHostsLocksOnSharedFilesMeetNoJobWhereTheDoctorSaysSo() throws Exception {
        List<String> files = files();
        // The host holds each lock in a process of its own, as a volunteer's program would.
        ProcessBuilder holder = new ProcessBuilder("/usr/bin/python3", "-c", HOLDER.replace("'held'", "sys.argv[1]")
                .replace("'done'", "sys.argv[2]"), dataDir.resolve("held").toString(), dataDir.resolve("done").toString())
                .redirectErrorStream(true).redirectOutput(dataDir.resolve("holder.log").toFile());
        holder.environment().put("LOCK_FILES", String.join(":", files));
        Process host = holder.start();
        try (SandboxedJobs job = SandboxedJobs.open(otherData)) {
            await().atMost(Duration.ofMinutes(1)).until(() -> Files.exists(dataDir.resolve("held")) || !host.isAlive());
            assertThat(host.isAlive()).as("the host's holder ended before it held its locks").isTrue();
            String log = job.runOk(PROBER.replace("os.environ['LOCK_FILES']", "'" + String.join(":", files) + "'"));
            assertMet(log, "/etc/ld.so.cache", false);
            assertMet(log, "/usr/bin/python3", !overlays(job));
            assertMet(log, "/usr/bin", !overlays(job));
            assertMet(log, "/dev/null", true);
        } finally {
            Files.writeString(dataDir.resolve("done"), "");
            host.waitFor(1, TimeUnit.MINUTES);
            host.destroyForcibly();
        }
    }

    private static String onHost(String python, String files) throws Exception {
        ProcessBuilder b = new ProcessBuilder("/usr/bin/python3", "-c", python).redirectErrorStream(true);
        b.environment().put("LOCK_FILES", files);
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return out;
    }
}
