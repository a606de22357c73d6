package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.proto.v1.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root node's jobs, each slot's as a uid of its own ({@link JobUids}), run for real under
 * bubblewrap: what the kernel counts per uid is no longer shared with another slot's jobs nor with
 * the machine's {@code nobody}, which jobs ran as before, and no slot's uid may signal another's.
 */
class JobUidIsolationTest {
    private static final Duration JOB_BUDGET = Duration.ofSeconds(300);
    private static final SandboxLimits SMALL = new SandboxLimits(256L << 20, 64, 16L << 20);
    private static BwrapLauncher sandbox;
    private static Path setpriv;

    @TempDir
    Path dataDir;

    private Path jobs;

    @BeforeAll
    static void buildSandbox() throws IOException {
        assumeTrue(JobDirs.myUid() == 0, "only a node running as root gives its jobs uids of their own");
        // At the test's own priority: which uid a job runs as does not depend on its niceness, and at a
        // volunteer's nice 19 the jobs got next to nothing of a machine busy with the build's JVMs.
        sandbox = SandboxedJobs.atJobPriority(SMALL).atCallersPriority();
        setpriv = SandboxProbe.onPath("setpriv").orElseThrow();
    }

    @BeforeEach
    void node() throws IOException {
        jobs = JobDirs.prepare("uids-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @AfterEach
    void cleanUp() throws IOException {
        JobDirs.deleteTree(jobs);
    }

    @Test
    void eachSlotsJobsRunAsAUidOfTheirOwnNeitherTheNodesNorNobodys() throws Exception {
        assertThat(sandbox.plan().ownUid()).isTrue();
        List<Integer> uids = new ArrayList<>();
        for (int slot : new int[] {0, 1}) {
            Path checkout = Files.createDirectories(jobs.resolve("slot" + slot + "/unit"));
            Path log = dataDir.resolve("slot" + slot + ".log");
            BwrapLauncher slotLauncher = sandbox.forSlot(slot); // the uid it holds (JobUidLeases)
            int uid = slotLauncher.plan().jobUid().getAsInt();
            uids.add(uid);
            JobOutcome outcome = new JobRunner(slotLauncher).run(new JobSpec(checkout,
                    List.of("/bin/sh", "-c", "echo UID $(id -u) GID $(id -g) && echo made > made && echo 'val_bpb: 1.0'"),
                    Map.of("PATH", "/usr/bin:/bin"), JOB_BUDGET, log, "val_bpb"), JobProgress.IGNORE);

            String text = Files.readString(log);
            assertThat(outcome.status()).as(text).isEqualTo(Result.Status.OK);
            assertThat(text).contains("UID " + uid + " GID " + JobUids.GID);
            assertThat(Files.getAttribute(checkout.resolve("made"), "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(uid);
        }
        assertThat(uids).doesNotHaveDuplicates().allMatch(JobUids::isJobUid);
    }

    @Test
    void descriptorsAJobHoldsInFlightStopNoOtherUidFromPassingOneNorMaySignalItsProcesses() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 holds the descriptors");
        Path checkout = Files.createDirectories(jobs.resolve("slot0/unit"));
        Path log = dataDir.resolve("hold.log");
        // Sent and never received: each counts for the sender's uid on the whole machine, and a send is
        // refused while that count is past the sender's RLIMIT_NOFILE (the job's 4,096). Past it, the
        // job's own next send is refused too: it holds what it can.
        String hold = """
                import os, socket, time
                a, b = socket.socketpair()
                null = os.open('/dev/null', os.O_RDONLY)
                held = 0
                try:
                    while held < 20000:
                        socket.send_fds(a, [b'x'], [null] * 250)
                        held += 250
                except OSError as e:
                    print('STOPPED', e.errno, flush=True)
                print('HELD', held, 'PID', os.getpid(), flush=True)
                time.sleep(600)
                """;
        BwrapLauncher slot0 = sandbox.forSlot(0);
        int uid0 = slot0.plan().jobUid().getAsInt();
        BwrapLauncher slot1 = sandbox.forSlot(1); // held to the end, so that no other node's slot takes its uid meanwhile
        int uid1 = slot1.plan().jobUid().getAsInt();
        Process job = slot0.start(List.of("/usr/bin/python3", "-c", hold),
                new Confinement(checkout, List.of(checkout), List.of(), Map.of("PATH", "/usr/bin:/bin")),
                ProcessBuilder.Redirect.PIPE, ProcessBuilder.Redirect.appendTo(log.toFile()),
                ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(log).contains("HELD"));
            int held = Integer.parseInt(Files.readString(log).replaceAll("(?s).*HELD (\\d+).*", "$1"));
            assertThat(held).as(Files.readString(log)).isGreaterThan(BwrapCommand.OPEN_FILES);

            String pass = "import socket\na, b = socket.socketpair()\ntry:\n    socket.send_fds(a, [b'x'], [0]); print('PASSED')\n"
                    + "except OSError as e:\n    print('REFUSED', e.errno)\n";
            // The attack is real: a process of the job's own uid with systemd's soft limit cannot pass one.
            String sameUid = asUid(uid0, List.of("/usr/bin/python3", "-c", pass));
            assumeTrue(sameUid.contains("REFUSED"), "this kernel does not refuse a uid past its in-flight descriptors: "
                    + sameUid);
            // nobody's processes (what jobs ran as before) and another slot's jobs pass theirs.
            assertThat(asUid(SandboxProbe.NOBODY, List.of("/usr/bin/python3", "-c", pass))).isEqualTo("PASSED");
            assertThat(asUid(uid1, List.of("/usr/bin/python3", "-c", pass))).isEqualTo("PASSED");

            // Another slot's uid may neither signal the job's processes nor read what ptrace's check guards.
            long pid = pythonOf(job).orElseThrow(() -> new AssertionError("no python3 under the job"));
            String signal = "import os, sys\npid = int(sys.argv[1])\ntry:\n    os.kill(pid, 0); print('SIGNALLED')\n"
                    + "except OSError as e:\n    print('SIGNAL', e.errno)\ntry:\n    open('/proc/%d/environ' % pid, 'rb').read(); print('READ')\n"
                    + "except OSError as e:\n    print('READ', e.errno)\n";
            assertThat(asUid(uid1, List.of("/usr/bin/python3", "-c", signal, Long.toString(pid))))
                    .isEqualTo("SIGNAL 1\nREAD 13");
            assertThat(asUid(uid0, List.of("/usr/bin/python3", "-c", signal, Long.toString(pid))))
                    .startsWith("SIGNALLED"); // its own uid may: the check above can fail
        } finally {
            job.destroyForcibly();
            job.waitFor();
            slot0.releaseUid();
            slot1.releaseUid();
        }
    }

    /** The host pid of the job's python3, which bubblewrap runs below itself. */
    private static Optional<Long> pythonOf(Process job) {
        return job.descendants().filter(h -> h.info().command().map(c -> c.contains("python3")).orElse(false))
                .map(ProcessHandle::pid).findFirst();
    }

    /** What {@code command} prints run on the host as {@code uid} (its own group), with systemd's soft limit of descriptors. */
    private static String asUid(int uid, List<String> command) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(setpriv.toString(), "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "--", "/usr/bin/prlimit", "--nofile=1024:1024", "--"));
        argv.addAll(command);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).directory(Path.of("/").toFile()).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
