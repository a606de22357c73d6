package dev.rhizome.node.job;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.seed.MetricParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a harnessed seed in two phases (docs/architecture.md, "The evaluation harness"), so that
 * the metric never comes from code the proposer wrote:
 * <ol>
 * <li>train: the optional protected prepare command, then the edited code's train command, in the
 * checkout, under the budget; training leaves its artefact (weights) in the checkout;</li>
 * <li>evaluate: the protected harness, started from the seed's own copy of its files, and the
 * edited code in serve mode, checkout read-only. This node relays bytes between them (harness
 * stdout to model stdin, model stdout to harness stdin); the harness reveals each held-out token
 * only after the model has committed to a distribution for it, scores the model itself, and
 * writes the metric into a file in a directory the model is not given
 * ({@value #RESULT_FILE_ENV}). Only that file is read for the metric.</li>
 * </ol>
 * Every process goes through the {@link ProcessLauncher}, so a sandboxing launcher confines the
 * model to its read-only checkout and hides the result directory from it; the plain launcher can
 * not stop a process of the same user from writing there by absolute path.
 */
public final class HarnessedRunner {
    /** Where the harness writes its result: {@code <metric>: <value>} lines, or {@code error: <why>}. */
    public static final String RESULT_FILE_ENV = "RHIZOME_RESULT_FILE";
    static final int MAX_RESULT_BYTES = 64 << 10;
    /** The harness's error line, in a signed result's reason: printable ({@link JobText}) and cut. */
    static final int MAX_REASON_CHARS = 1000;
    private static final Duration POLL = Duration.ofMillis(50);
    /** The evaluation's CPU time is read once a second, as a job's ({@link JobRunner}). */
    private static final int POLLS_PER_CPU_CHARGE = 20;
    /** How long a killed evaluation process is waited on for its end, which gives its directories back to the node. */
    private static final Duration GIVE_BACK_WAIT = Duration.ofSeconds(10);
    private static final Pattern ERROR_LINE = Pattern.compile("^error:\\s*(.+)$", Pattern.MULTILINE);

    private final JobRunner runner;
    private final ProcessLauncher launcher;
    private final long maxLogBytes;

    public HarnessedRunner(JobRunner runner, ProcessLauncher launcher) {
        this(runner, launcher, JobRunner.DEFAULT_MAX_LOG_BYTES);
    }

    public HarnessedRunner(JobRunner runner, ProcessLauncher launcher, long maxLogBytes) {
        this.runner = runner;
        // The harness and the model run at once: each takes half of what one job of the slot may.
        this.launcher = launcher.shared(2);
        this.maxLogBytes = maxLogBytes;
    }

    /**
     * Runs every phase within the spec's one time limit, charged as a job's is ({@link JobClock}: time
     * on a CPU, within a wall-clock bound); every process is dead when this returns.
     */
    public HarnessedOutcome run(HarnessedSpec spec, JobProgress progress) throws IOException, InterruptedException {
        long start = System.nanoTime();
        JobClock deadline = new JobClock(spec.timeout(), start);
        Path logFile = spec.logFile().toAbsolutePath();
        Files.createDirectories(logFile.getParent());
        Parts parts = new Parts(logFile);
        try {
            if (!spec.prepareCommand().isEmpty()) {
                JobOutcome prepared = phase(spec, spec.prepareCommand(), deadline, parts.add("prepare"),
                        JobProgress.IGNORE);
                if (prepared.status() != Result.Status.OK) {
                    return finish(parts, start, prepared.status(), prepared.exitCode(), OptionalLong.empty(),
                            OptionalDouble.empty(), "prepare " + prepared.reason());
                }
            }
            JobOutcome trained = phase(spec, spec.trainCommand(), deadline, parts.add("train"), progress);
            if (trained.status() != Result.Status.OK) {
                return finish(parts, start, trained.status(), trained.exitCode(), trained.steps(),
                        OptionalDouble.empty(), "training " + trained.reason());
            }
            return evaluate(spec, deadline, parts, start, trained.steps());
        } finally {
            parts.deleteAll();
        }
    }

    private JobOutcome phase(HarnessedSpec spec, List<String> command, JobClock deadline, Path log,
            JobProgress progress) throws IOException, InterruptedException {
        long now = System.nanoTime();
        Optional<String> used = deadline.overrun(now);
        if (used.isPresent() && deadline.starvedOfCpu(now)) {
            throw new MachineBusyException(used.get() + ", before its next phase could start");
        }
        if (used.isPresent()) {
            Files.writeString(log, "not started: the time limit was used up\n");
            return new JobOutcome(Result.Status.TIMEOUT, OptionalDouble.empty(), 0, new byte[0], -1,
                    OptionalLong.empty(), used.get() + " before it could start");
        }
        return runner.run(new JobSpec(spec.checkout(), command, spec.env(), spec.timeout(), log, ""), progress, deadline);
    }

    private HarnessedOutcome evaluate(HarnessedSpec spec, JobClock deadline, Parts parts, long start, OptionalLong steps)
            throws IOException, InterruptedException {
        Path serveLog = parts.add("serve (the model's stderr)");
        Path harnessLog = parts.add("harness (its stderr)");
        Path resultDir = Files.createDirectories(spec.resultDir().toAbsolutePath());
        Path resultFile = resultDir.resolve("result");
        Files.deleteIfExists(resultFile);
        Map<String, String> harnessEnv = new HashMap<>(environment(spec.harnessDir(), spec.env()));
        harnessEnv.put(RESULT_FILE_ENV, resultFile.toString());
        // The harness's one writable directory: bounded as a job's work directory is, or it could fill the disk.
        WorkDirBudget resultBudget = runner.diskBudget(resultDir, launcher).named("the harness", "its result directory");
        Optional<String> overrun = Optional.empty();

        Optional<String> timedOut = Optional.empty();
        boolean starved = false;
        TreeCpu harnessCpu = new TreeCpu();
        TreeCpu modelCpu = new TreeCpu();
        boolean tooMuchOutput = false;
        Optional<String> broken = Optional.empty();
        Process harness = launcher.start(spec.harnessCommand(),
                new Confinement(spec.harnessDir(), List.of(resultDir), List.of(spec.harnessDir(), JobRunner.javaHome()),
                        harnessEnv),
                Redirect.PIPE, Redirect.PIPE, Redirect.to(harnessLog.toFile()));
        if (harness instanceof JobProcess job && job.descriptors().isPresent()) {
            resultBudget = resultBudget.withDescriptors(job.descriptors().get());
        }
        ProcessTree harnessTree = new ProcessTree(harness);
        ProcessTree modelTree = null;
        Process model = null;
        List<Thread> relays = new ArrayList<>();
        try {
            model = launcher.start(spec.serveCommand(),
                    // Its own checkout, read-only: handed to its uid where it has one of its own, since the
                    // training phase's give-back left it the node's, unreadable to that uid.
                    new Confinement(spec.checkout(), List.of(), List.of(spec.checkout(), JobRunner.javaHome()),
                            environment(spec.checkout(), spec.env()), List.of(spec.checkout())),
                    Redirect.PIPE, Redirect.PIPE, Redirect.to(serveLog.toFile()));
            modelTree = new ProcessTree(model);
            relays.add(Relay.start("relay harness->model", harness.getInputStream(), model.getOutputStream()));
            relays.add(Relay.start("relay model->harness", model.getInputStream(), harness.getOutputStream()));
            for (int polls = 1; !harness.waitFor(POLL.toMillis(), TimeUnit.MILLISECONDS); polls++) {
                harnessTree.look();
                modelTree.look();
                if ((broken = harnessTree.broken().or(modelTree::broken)).isPresent()) {
                    break;
                }
                if (polls % JobRunner.POLLS_PER_DISK_CHECK == 0
                        && (overrun = resultBudget.overrun(harnessTree.alive())).isPresent()) {
                    break;
                }
                if (Files.size(serveLog) + Files.size(harnessLog) > maxLogBytes) {
                    tooMuchOutput = true;
                    break;
                }
                long now = System.nanoTime();
                if (polls % POLLS_PER_CPU_CHARGE == 0) {
                    OptionalLong harnessUsed = harnessCpu.since(harnessTree.alive());
                    OptionalLong modelUsed = modelCpu.since(modelTree.alive());
                    OptionalLong harnessWaited = harnessCpu.waitedForCpu();
                    OptionalLong modelWaited = modelCpu.waitedForCpu();
                    deadline.charge(now, harnessUsed.isPresent() && modelUsed.isPresent()
                            ? OptionalLong.of(harnessUsed.getAsLong() + modelUsed.getAsLong()) : OptionalLong.empty(),
                            harnessWaited.isPresent() && modelWaited.isPresent()
                            ? OptionalLong.of(harnessWaited.getAsLong() + modelWaited.getAsLong()) : OptionalLong.empty());
                }
                if ((timedOut = deadline.overrun(now)).isPresent()) {
                    starved = deadline.starvedOfCpu(now);
                    break;
                }
            }
        } finally {
            harnessTree.kill();
            if (modelTree != null) {
                modelTree.kill();
            }
            closeStreams(harness);
            // Waited on, killed or not: a job process's end is what gives its directories back to the node
            // (a subordinate uid's result directory), before anything here reads or deletes them.
            harness.waitFor(GIVE_BACK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (model != null) {
                model.waitFor(GIVE_BACK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        for (Process p : model == null ? List.of(harness) : List.of(harness, model)) {
            if (p instanceof JobProcess job && job.endFailure().isPresent()) {
                // Still a job uid's: the node could neither read the result nor delete the directory.
                throw new IOException("the evaluation's directories could not be taken back from its uid ("
                        + job.endFailure().get() + "); the run is not reported, as the fault is this machine's, "
                        + "not the commit's");
            }
        }
        for (Thread relay : relays) {
            relay.join(TimeUnit.SECONDS.toMillis(5));
        }
        if (overrun.isEmpty() && timedOut.isEmpty()) {
            overrun = resultBudget.overrun(); // a harness that wrote too much and ended between two checks
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted while evaluating in " + spec.checkout());
        }

        if (starved) {
            throw new MachineBusyException("evaluation " + timedOut.get());
        }
        int exit = harness.isAlive() ? -1 : harness.exitValue();
        String result = readResult(resultFile);
        Files.writeString(parts.add("result (written by the harness)"), result);
        OptionalDouble metric = new MetricParser(spec.metricName()).parse(result);
        if (timedOut.isPresent()) {
            return finish(parts, start, Result.Status.TIMEOUT, exit, steps, OptionalDouble.empty(),
                    "evaluation " + timedOut.get());
        }
        if (overrun.isPresent()) {
            return finish(parts, start, Result.Status.CRASH, exit, steps, OptionalDouble.empty(),
                    "evaluation stopped: " + overrun.get() + " (its limit on this machine)");
        }
        if (tooMuchOutput) {
            return finish(parts, start, Result.Status.CRASH, exit, steps, OptionalDouble.empty(),
                    "evaluation wrote more than " + maxLogBytes + " bytes of log");
        }
        if (broken.isPresent()) {
            return finish(parts, start, Result.Status.CRASH, exit, steps, OptionalDouble.empty(),
                    "evaluation stopped: " + broken.get());
        }
        if (exit != 0 || metric.isEmpty()) {
            Matcher error = ERROR_LINE.matcher(result);
            String why = error.find() ? "the harness says: " + JobText.printable(error.group(1).trim(), MAX_REASON_CHARS)
                    : "the harness exited with status " + exit + " without " + spec.metricName();
            return finish(parts, start, Result.Status.CRASH, exit, steps, OptionalDouble.empty(), why);
        }
        return finish(parts, start, Result.Status.OK, 0, steps, metric, "");
    }

    /** Read after the harness is dead, and only if it is a regular file: {@link JobFiles}. */
    private static String readResult(Path file) throws IOException {
        return JobFiles.readRegular(file, MAX_RESULT_BYTES).map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
    }

    private HarnessedOutcome finish(Parts parts, long start, Result.Status status, int exitCode, OptionalLong steps,
            OptionalDouble metric, String reason) throws IOException {
        long runtimeMs = (System.nanoTime() - start) / 1_000_000;
        byte[] log = parts.combine(maxLogBytes, reason);
        return new HarnessedOutcome(new JobOutcome(status, metric, runtimeMs, sha256(log), exitCode, steps), reason);
    }

    /** The same scrubbed environment the job runner gives: PATH, LANG, HOME in the work dir, the budget. */
    static Map<String, String> environment(Path workDir, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        String path = System.getenv("PATH");
        String lang = System.getenv("LANG");
        if (path != null) {
            env.put("PATH", path);
        }
        env.put("LANG", lang != null ? lang : "C.UTF-8");
        env.put("HOME", workDir.toAbsolutePath().toString());
        env.putAll(extra);
        return env;
    }

    private static void closeStreams(Process p) {
        for (AutoCloseable c : new AutoCloseable[] {p.getOutputStream(), p.getInputStream()}) {
            try {
                c.close();
            } catch (Exception e) {
                // gone with the process
            }
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The per-phase logs, combined at the end into the job's one log with a heading for each. */
    private static final class Parts {
        private final Path logFile;
        private final List<Path> files = new ArrayList<>();
        private final List<String> titles = new ArrayList<>();

        Parts(Path logFile) {
            this.logFile = logFile;
        }

        Path add(String title) throws IOException {
            Path part = logFile.resolveSibling(logFile.getFileName() + "." + files.size());
            Files.deleteIfExists(part);
            Files.createFile(part);
            files.add(part);
            titles.add(title);
            return part;
        }

        /** Writes the job's log, each part cut to the limit, and returns what was written. */
        byte[] combine(long maxBytesEach, String reason) throws IOException {
            try (OutputStream out = Files.newOutputStream(logFile)) {
                for (int i = 0; i < files.size(); i++) {
                    out.write(("## " + titles.get(i) + "\n").getBytes(StandardCharsets.UTF_8));
                    try (InputStream in = Files.newInputStream(files.get(i))) {
                        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytesEach));
                        out.write(bytes);
                        if (bytes.length > 0 && bytes[bytes.length - 1] != '\n') {
                            out.write('\n');
                        }
                    }
                }
                if (!reason.isEmpty()) {
                    out.write(("## outcome\n" + reason + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
            return Files.readAllBytes(logFile);
        }

        void deleteAll() throws IOException {
            for (Path part : files) {
                Files.deleteIfExists(part);
            }
        }
    }
}
