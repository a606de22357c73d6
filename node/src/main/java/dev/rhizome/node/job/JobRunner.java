package dev.rhizome.node.job;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.seed.MetricParser;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Runs a seed's command as a child process and judges the outcome: OK (exit 0 and a metric),
 * CRASH (anything else) or TIMEOUT (killed at the deadline).
 *
 * <p>The job is code a stranger wrote. Its {@link ProcessLauncher} decides what of the machine it
 * sees ({@link BwrapLauncher}: nearly nothing); this class gives it an environment scrubbed down
 * to PATH, LANG and the budget (the node's own variables may hold tokens or proxies), HOME
 * pointing at the work dir (tools write their dotfiles and caches there, not in the volunteer's
 * home), the work dir as its only writable directory, and the JDK read-only, since "java" in a
 * seed's command means this node's own. Time and output size are measured and bounded here,
 * outside the job, because a job can lie about its own timers.
 */
public final class JobRunner {
    public static final long DEFAULT_MAX_LOG_BYTES = 16L << 20;
    private static final Duration POLL = Duration.ofMillis(50);
    /** The work directory is walked once a second, not every poll: a checkout can hold many files. */
    static final int POLLS_PER_DISK_CHECK = 20;
    /** The job's CPU time is read once a second: {@code /proc} counts it in hundredths of a second. */
    private static final int POLLS_PER_CPU_CHARGE = 20;

    private final ProcessLauncher launcher;
    private final long maxLogBytes;
    private final long maxWorkBytes;
    /** This runner's jobs' share of the node's disk budget, as its launcher's are of the rest. */
    private final NodeShare share;

    public JobRunner(ProcessLauncher launcher) {
        this(launcher, DEFAULT_MAX_LOG_BYTES);
    }

    public JobRunner(ProcessLauncher launcher, long maxLogBytes) {
        this(launcher, maxLogBytes, Long.MAX_VALUE);
    }

    /**
     * A job whose output grows past maxLogBytes is killed, its log cut to that size, and it counts
     * as a crash: unbounded output would fill the volunteer's disk.
     */
    /**
     * @param maxWorkBytes what a job may write to its work directory at most; it gets less when the
     *                     disk has less to spare ({@link WorkDirBudget}), and is killed past it
     */
    /** How long the last of a killed job's output may take to reach its log (a sandbox copies it there). */
    private static final Duration LOG_DRAIN = Duration.ofSeconds(10);

    public JobRunner(ProcessLauncher launcher, long maxLogBytes, long maxWorkBytes) {
        this(launcher, maxLogBytes, maxWorkBytes, NodeShare.ALONE);
    }

    private JobRunner(ProcessLauncher launcher, long maxLogBytes, long maxWorkBytes, NodeShare share) {
        this.launcher = Objects.requireNonNull(launcher, "launcher");
        this.share = share;
        if (maxLogBytes <= 0) {
            throw new IllegalArgumentException("maxLogBytes must be positive");
        }
        if (maxWorkBytes <= 0) {
            throw new IllegalArgumentException("maxWorkBytes must be positive");
        }
        this.maxLogBytes = maxLogBytes;
        this.maxWorkBytes = maxWorkBytes;
    }

    /**
     * A runner for one of {@code ways} jobs that run at once (a node's slots), each taking a
     * {@code ways}-th of what this one's may: of the disk ({@link WorkDirBudget}) and, through
     * {@link ProcessLauncher#shared}, of everything its launcher bounds. Without it every slot's job
     * had half of what was free at its start, so three took more than the disk had to spare.
     */
    public JobRunner shared(int ways) {
        return new JobRunner(launcher.shared(ways), maxLogBytes, maxWorkBytes, share.times(ways));
    }

    /** This runner with its jobs held to {@code cpus} ({@link ProcessLauncher#pinnedTo}): a slot's share of the node's CPUs. */
    public JobRunner pinnedTo(CpuShare cpus) {
        return new JobRunner(launcher.pinnedTo(cpus), maxLogBytes, maxWorkBytes, share);
    }

    /** This runner with its jobs held to a slot's share of the node's CPUs, divided at each launch ({@link SlotCpus}). */
    public JobRunner pinnedTo(SlotCpus place) {
        return new JobRunner(launcher.pinnedTo(place), maxLogBytes, maxWorkBytes, share);
    }

    /** This runner for slot {@code slot}'s jobs ({@link ProcessLauncher#forSlot}): the same share, the slot's uid. */
    public JobRunner forSlot(int slot) throws IOException {
        return new JobRunner(launcher.forSlot(slot), maxLogBytes, maxWorkBytes, share);
    }

    /** The launcher this runner's jobs start through: its share of the node's ({@link #shared}). */
    public ProcessLauncher launcher() {
        return launcher;
    }

    /**
     * What a job of this runner's starting now in {@code dir} may have there: its share of what the
     * disk spares, or of the runner's cap when less ({@link WorkDirBudget#shareOf}). A checkout is
     * bounded by it before the job starts, since the job's own budget counts only what it adds.
     */
    public long workBytesAt(Path dir) throws IOException {
        return WorkDirBudget.shareOf(dir, maxWorkBytes, share);
    }

    /**
     * What the processes of one of this runner's jobs, started through {@code through}, may write to {@code dir} from
     * now on: a job's work directory, or another directory a job is given to write (a harness's result directory),
     * each bounded alike ({@link WorkDirBudget}).
     */
    WorkDirBudget diskBudget(Path dir, ProcessLauncher through) throws IOException {
        return WorkDirBudget.forJob(dir, maxWorkBytes, share).withDescriptors(through.descriptors())
                .walkedBy(through.treeUsage());
    }

    /** How many files and directories a job of this runner's may have in its work directory: its share of the node's. */
    public int workEntries() {
        return WorkDirBudget.entriesFor(share);
    }

    /**
     * Runs the job to its end, its time limit ({@link JobClock}: the spec's timeout in time on a CPU,
     * within a wall-clock bound above it) or its log limit. Whatever happens, including an
     * interrupt of the calling thread or an exception from {@code progress}, the job and every
     * descendant it was seen with are dead when this returns or throws. A job this machine kept off
     * a CPU until the wall-clock bound is no outcome of the commit's: {@link MachineBusyException}.
     */
    public JobOutcome run(JobSpec spec, JobProgress progress) throws IOException, InterruptedException {
        return run(spec, progress, null);
    }

    /** The same, charged to {@code clock} (null: one of its own, from the spec's timeout), which a harnessed run's phases share. */
    JobOutcome run(JobSpec spec, JobProgress progress, JobClock clock) throws IOException, InterruptedException {
        Path log = spec.logFile().toAbsolutePath();
        Files.createDirectories(log.getParent());
        Path workDir = spec.workDir().toAbsolutePath();
        Confinement confinement = new Confinement(workDir, List.of(workDir), List.of(javaHome()), environment(spec));
        // Each stream to a file of its own, so that a reason can say which said what (a traceback is
        // standard error's); the log keeps both, standard error after standard output (StreamLogs).
        Path errLog = StreamLogs.stderrOf(log);
        for (Path file : List.of(log, errLog)) {
            try (RandomAccessFile truncate = new RandomAccessFile(file.toFile(), "rw")) {
                truncate.setLength(0);
            }
        }
        Redirect toLog = Redirect.appendTo(log.toFile());
        Redirect toErrLog = Redirect.appendTo(errLog.toFile());

        WorkDirBudget disk = diskBudget(workDir, launcher);
        Optional<String> overrun = Optional.empty();
        long start = System.nanoTime();
        JobClock time = clock != null ? clock : new JobClock(spec.timeout(), start);
        Process process = launcher.start(resolve(spec.command()), confinement, Redirect.PIPE, toLog, toErrLog);
        if (process instanceof JobProcess job && job.descriptors().isPresent()) {
            // The look its rules take each second, shared: a third read of every descriptor would be the disk check's own.
            disk = disk.withDescriptors(job.descriptors().get());
        }
        ProcessTree tree = new ProcessTree(process);
        TreeCpu cpu = new TreeCpu();
        Optional<String> timeUp = Optional.empty();
        boolean timedOut = false;
        boolean starved = false;
        boolean logTooLarge = false;
        long runtimeMs;
        try (LogTail tail = new LogTail(log, progress, maxLogBytes);
                LogTail errTail = new LogTail(errLog, progress, maxLogBytes)) {
            process.getOutputStream().close(); // no input: a job that reads stdin sees its end at once
            // The size is checked before reading: a job that floods its output is killed within one poll.
            for (int polls = 1; !process.waitFor(POLL.toMillis(), TimeUnit.MILLISECONDS); polls++) {
                tree.look();
                if ((overrun = tree.broken()).isPresent()) {
                    break;
                }
                if (tail.size() + errTail.size() > maxLogBytes) {
                    break;
                }
                if (polls % POLLS_PER_DISK_CHECK == 0 && (overrun = disk.overrun(tree.alive())).isPresent()) {
                    break;
                }
                tail.poll();
                errTail.poll();
                long now = System.nanoTime();
                if (polls % POLLS_PER_CPU_CHARGE == 0) {
                    time.charge(now, cpu.since(tree.alive()), cpu.waitedForCpu());
                }
                if ((timeUp = time.overrun(now)).isPresent()) {
                    timedOut = true;
                    starved = time.starvedOfCpu(now);
                    break;
                }
            }
            runtimeMs = (System.nanoTime() - start) / 1_000_000;
            tree.kill(); // before the last read, so that nothing writes behind it
            process.waitFor(LOG_DRAIN.toMillis(), TimeUnit.MILLISECONDS); // nor a launcher's copy of its output
            if (overrun.isEmpty()) {
                overrun = disk.overrun(); // a job that wrote too much and ended between two checks
            }
            logTooLarge = cutToLimit(log, maxLogBytes);
            logTooLarge |= cutToLimit(errLog, maxLogBytes - Math.min(maxLogBytes, Files.size(log)));
            if (overrun.isPresent()) {
                note(log, "rhizome: job stopped: " + overrun.get() + " (its limit on this machine)");
            }
            tail.finish();
            errTail.finish();
        } finally {
            tree.kill();
        }
        // one log again, whatever comes of the run: its file of standard error never outlives it
        byte[] stdout = readAll(log);
        byte[] stderr = readAll(errLog);
        byte[] bytes = StreamLogs.merge(log, stdout, stderr);
        Files.deleteIfExists(errLog);
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted while running " + spec.command());
        }

        if (process instanceof JobProcess job && job.endFailure().isPresent()) {
            // Still the job's uid's: the node could neither read its result nor delete it.
            throw new IOException("the job's checkout could not be taken back from its uid (" + job.endFailure().get()
                    + "); the run is not reported, as the fault is this machine's, not the commit's");
        }
        if (process instanceof JobProcess job && job.logFailure().isPresent()) {
            // Judged on a log missing its end, the run would be a CRASH charged to the proposer.
            throw new IOException("the job's output could not be kept (" + job.logFailure().get()
                    + "); the run is not reported, as the fault is this machine's, not the commit's");
        }
        if (starved) {
            throw new MachineBusyException(timeUp.get());
        }
        String stdoutText = new String(stdout, StandardCharsets.UTF_8);
        String stderrText = new String(stderr, StandardCharsets.UTF_8);
        // A metric or step count printed to either stream counts, as when both shared one file.
        String output = stdoutText + "\n" + stderrText;
        int exitCode = process.isAlive() ? -1 : process.exitValue(); // -1: it outlived even SIGKILL's grace
        // No metric name: a phase whose exit status alone says whether it worked (a harnessed seed's training).
        OptionalDouble metric = spec.metricName().isEmpty() ? OptionalDouble.empty()
                : new MetricParser(spec.metricName()).parse(output);
        Result.Status status;
        if (timedOut) {
            status = Result.Status.TIMEOUT;
        } else if (!logTooLarge && overrun.isEmpty() && exitCode == 0 && (metric.isPresent() || spec.metricName().isEmpty())) {
            status = Result.Status.OK;
        } else {
            status = Result.Status.CRASH;
        }
        Optional<String> stopped = timeUp;
        if (stopped.isEmpty() && overrun.isPresent()) {
            stopped = Optional.of("stopped: " + overrun.get() + " (its limit on this machine)");
        } else if (stopped.isEmpty() && logTooLarge) {
            stopped = Optional.of("stopped: it wrote more than " + maxLogBytes + " bytes of output");
        }
        String reason = status == Result.Status.OK ? "" : JobReason.of(stopped, exitCode, spec.metricName(), stdoutText,
                stderrText);
        return new JobOutcome(status, status == Result.Status.OK ? metric : OptionalDouble.empty(), runtimeMs,
                sha256(bytes), exitCode, steps(output), reason);
    }

    // The log is handled through RandomAccessFile, never a FileChannel: an interrupt would close a
    // channel under us and surface as an IOException instead of an InterruptedException.

    /** Cuts a log that grew past {@code limit} back to it, and says whether it had to. */
    private static boolean cutToLimit(Path log, long limit) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "rw")) {
            if (file.length() <= limit) {
                return false;
            }
            file.setLength(limit);
            return true;
        }
    }

    /** A line of the node's own at the end of the job's log, so whoever reads it knows why it stopped. */
    private static void note(Path log, String line) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "rw")) {
            file.seek(file.length());
            file.write(("\n" + line + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static byte[] readAll(Path log) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            byte[] bytes = new byte[(int) file.length()];
            file.readFully(bytes);
            return bytes;
        }
    }

    /** "java" means this node's own JVM, so a seed runs on the Java the volunteer already has. */
    static List<String> resolve(List<String> command) {
        List<String> resolved = new ArrayList<>(command);
        if (resolved.get(0).equals("java")) {
            resolved.set(0, javaHome().resolve("bin").resolve("java").toString());
        }
        return resolved;
    }

    static Path javaHome() {
        return Path.of(System.getProperty("java.home"));
    }

    private static Map<String, String> environment(JobSpec spec) {
        String path = System.getenv("PATH");
        String lang = System.getenv("LANG");
        Map<String, String> env = new HashMap<>();
        if (path != null) {
            env.put("PATH", path);
        }
        env.put("LANG", lang != null ? lang : "C.UTF-8");
        env.put("HOME", spec.workDir().toAbsolutePath().toString());
        env.putAll(spec.env());
        return env;
    }

    private static OptionalLong steps(String output) {
        OptionalDouble steps = new MetricParser("num_steps").parse(output);
        if (steps.isEmpty() || steps.getAsDouble() < 0 || steps.getAsDouble() != Math.rint(steps.getAsDouble())) {
            return OptionalLong.empty();
        }
        return OptionalLong.of((long) steps.getAsDouble());
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
