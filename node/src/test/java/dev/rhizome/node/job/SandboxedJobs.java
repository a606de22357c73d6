package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.proto.v1.Result;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Real jobs under the real sandbox, for tests that run hostile scripts: this machine's sandbox as
 * the probe finds it, its jobs at the test's own priority ({@link BwrapLauncher#atCallersPriority}) (small limits, so that breaking them is quick and harmless on a shared
 * machine), a checkout of the test's own, and the job's log. Skips the test where the machine
 * cannot sandbox, or has no python3 to run the script.
 */
final class SandboxedJobs implements AutoCloseable {
    static final SandboxLimits SMALL = new SandboxLimits(256L << 20, 64, 16L << 20);

    /**
     * Where the tests' node keeps the key of its job directories (new at each {@link #open}, as at
     * each node start): a job must find it nowhere.
     */
    static final Path KEY_FILE = keyFile();

    final BwrapLauncher sandbox;
    final String tag = UUID.randomUUID().toString().substring(0, 8);
    final Path jobs;
    /** The job directory of this one job (a node makes one per job), the checkout's parent. */
    final Path jobDir;
    final Path checkout;
    private final Path log;
    private final NodeJobDirs dirs;
    /** Whether closing deletes the node's job directories too: the first job's does, a {@link #nextJob}'s its own alone. */
    private final boolean ownsNode;

    private SandboxedJobs(BwrapLauncher sandbox, Path dataDir) throws IOException {
        // Laid out as a node lays out its own (NodeDaemon, Evaluator): a job reads this path in its mountinfo.
        this(sandbox, JobDirs.startNode(KEY_FILE), dataDir, true);
    }

    private SandboxedJobs(BwrapLauncher sandbox, NodeJobDirs dirs, Path dataDir, boolean ownsNode) throws IOException {
        this.sandbox = sandbox;
        this.dirs = dirs;
        this.ownsNode = ownsNode;
        this.jobs = dirs.dir();
        this.jobDir = dirs.next();
        this.checkout = Files.createDirectory(jobDir.resolve(JobDirNames.forOneJob()));
        this.log = dataDir.resolve("logs/job.log");
    }

    private static Path keyFile() {
        try {
            Path dir = Files.createTempDirectory("sandboxed-jobs-key");
            // One folder a test JVM, outside any @TempDir: removed as the JVM ends, not left in /tmp.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Files.deleteIfExists(dir.resolve("jobs.name"));
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // a folder left in the system's temporary directory harms no later run
                }
            }, "sandboxed-jobs-key-cleanup"));
            return dir.resolve("jobs.name");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The key this start's job directory was made with. */
    static String key() throws IOException {
        return Files.readString(KEY_FILE).strip();
    }

    /** A checkout of its own for a test whose node keeps its data in {@code dataDir}. */
    static SandboxedJobs open(Path dataDir) throws IOException {
        return open(dataDir, SMALL);
    }

    /** As {@link #open(Path)}, with jobs held to {@code limits}. */
    static SandboxedJobs open(Path dataDir, SandboxLimits limits) throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 runs the probes");
        // At the test's own priority: a hostile script's limit, not a machine busy with builds, is what ends it.
        return new SandboxedJobs(atJobPriority(limits).atCallersPriority(), dataDir);
    }

    /**
     * This machine's sandbox as the node's start-up trial finds it ({@link SandboxProbe#probe}), its jobs held
     * to {@code limits} at the priority a node gives them; skips the test where the machine cannot sandbox.
     * For the tests that lay out their own checkouts; {@link BwrapLauncher#atCallersPriority} of it runs a
     * hostile script at the test's own priority.
     */
    static BwrapLauncher atJobPriority(SandboxLimits limits) {
        return atJobPriority(limits, NodeLimits.own());
    }

    /** As {@link #atJobPriority(SandboxLimits)}, each share's tasks sized from {@code node}'s own limits. */
    static BwrapLauncher atJobPriority(SandboxLimits limits, NodeLimits node) {
        CgroupV2.Detection detected = CgroupV2.detect();
        // RHIZOME_TEST_BWRAP: a bubblewrap of another version than the PATH's (the build puts /usr/bin first).
        String bwrap = System.getenv("RHIZOME_TEST_BWRAP");
        SandboxReport report = bwrap == null || bwrap.isBlank() ? SandboxProbe.probe(HostView.real(), detected, limits)
                : SandboxProbe.probe(HostView.real(), detected, limits,
                        name -> name.equals("bwrap") ? Optional.of(Path.of(bwrap)) : SandboxProbe.onPath(name));
        assumeTrue(report.ok(), () -> "this machine cannot sandbox jobs:\n" + report.whyNot());
        return new BwrapLauncher(report.plan().get(), detected.cgroup(), HostView.real(), node);
    }

    /**
     * Another job of the same node, as its other slot's would be: its own job directory and checkout beside this
     * one's, started by the same launcher, its node's data in {@code dataDir}. (A second {@link #open} would be
     * a node started anew, which deletes the job directories of the one before.)
     */
    SandboxedJobs nextJob(Path dataDir) throws IOException {
        return new SandboxedJobs(sandbox, dirs, dataDir, false);
    }

    /** Runs {@code python} as the job's {@code probe.py}, then says its metric. */
    JobOutcome runPython(String python, Map<String, String> env) throws IOException, InterruptedException {
        return runPython(python, env, sandbox);
    }

    /** As {@link #runPython(String, Map)}, started through {@code launcher} (a share of {@link #sandbox}). */
    JobOutcome runPython(String python, Map<String, String> env, ProcessLauncher launcher)
            throws IOException, InterruptedException {
        Files.writeString(checkout.resolve("probe.py"), python);
        Files.deleteIfExists(log);
        return new JobRunner(launcher).run(new JobSpec(checkout,
                List.of("/bin/sh", "-c", "/usr/bin/python3 probe.py; echo 'val_bpb: 1.0'", "job-" + tag), env,
                JobBudgets.ENDS_BY_ITSELF, log, "val_bpb"), JobProgress.IGNORE);
    }

    /**
     * Runs {@code python} as {@link #runPython(String, Map)} does, with no environment of its own, and says its
     * log; fails the test, naming the log, where the job did not end OK (a probe that crashed tells nothing).
     */
    String runOk(String python) throws IOException, InterruptedException {
        JobOutcome outcome = runPython(python, Map.of());
        String log = log();
        assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
        return log;
    }

    /** A probe script kept beside these tests, e.g. {@code escape-probe.py}. */
    static String script(String name) throws IOException {
        try (InputStream in = SandboxedJobs.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /** Processes on the host still running with {@code tag} on their command line. */
    static List<Long> processesTagged(String tag) {
        List<Long> found = new ArrayList<>();
        ProcessHandle.allProcesses().filter(ProcessTree::running).forEach(h -> {
            try {
                String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")),
                        StandardCharsets.UTF_8);
                if (cmdline.contains(tag)) {
                    found.add(h.pid());
                }
            } catch (IOException | RuntimeException gone) {
                // exited while we looked
            }
        });
        return found;
    }

    /** Whether anyone connected to {@code server} (it waits half a second for one). */
    static boolean accepted(ServerSocket server) throws IOException {
        server.setSoTimeout(500);
        try (Socket s = server.accept()) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        JobDirs.deleteTree(jobDir);
        if (ownsNode) {
            JobDirs.deleteTree(jobs);
        }
    }
}
