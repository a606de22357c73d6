package dev.rhizome.node.work;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.BudgetEnv;
import dev.rhizome.node.job.HarnessedOutcome;
import dev.rhizome.node.job.HarnessedRunner;
import dev.rhizome.node.job.HarnessedSpec;
import dev.rhizome.node.git.CheckoutTooLargeException;
import dev.rhizome.node.job.JobDirNames;
import dev.rhizome.node.job.JobOutcome;
import dev.rhizome.node.job.JobProgress;
import dev.rhizome.node.job.JobRoots;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.JobSpec;
import dev.rhizome.node.job.JobText;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.node.job.WorkDirBudget;
import dev.rhizome.node.job.ProcessLauncher;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.protocol.seed.MetricRange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one EVALUATE unit: fetch the commit from peers (its tip verified on import), check it
 * against the seed's policy, check it out into a fresh work directory, run the seed's command
 * under its budget, and build the Result that the loop signs and reports.
 *
 * <p>A harnessed seed ({@link Manifests#harnessed}) is run by {@link HarnessedRunner}: its metric
 * comes from the protected harness, whose files are taken from the seed's commit and never from
 * the candidate's tree; a commit that touches a protected file is refused. A single-command seed
 * runs as before and its results are marked {@code SELF_REPORTED}.
 */
public final class Evaluator {
    private static final Logger log = LoggerFactory.getLogger(Evaluator.class);
    /** An unfetchable report names every peer tried and why; a long list is cut, not the report. */
    static final int MAX_REASON_CHARS = 2000;
    /** A job's progress line in the node's log: its own text, made printable ({@link JobText}) and cut. */
    static final int MAX_STEP_CHARS = 200;

    private final Identity identity;
    private final NodeRepository repository;
    private final CommitFetcher fetcher;
    private final JobRunner runner;
    private final HarnessedRunner harnessed;
    private final String hardwareClass;
    private final JobRoots roots;
    private final Path logRoot;
    private final Clock clock;
    private final Map<String, String> slotEnv;

    /** The launcher starts the harness and the model of a harnessed seed (the train phase runs through the runner). */
    public Evaluator(Identity identity, NodeRepository repository, CommitFetcher fetcher, JobRunner runner,
            ProcessLauncher launcher, String hardwareClass, Path workRoot, Path logRoot, Clock clock)
            throws IOException {
        this(identity, repository, fetcher, runner, launcher, hardwareClass, workRoot, logRoot, clock, Map.of());
    }

    /**
     * An evaluator for one slot of the node: its jobs run in the slot's hardware class with the
     * slot's environment on top of the budget's (which GPU: {@link SlotEnv}).
     */
    public Evaluator(Identity identity, NodeRepository repository, CommitFetcher fetcher, JobRunner runner,
            ProcessLauncher launcher, String hardwareClass, Path workRoot, Path logRoot, Clock clock,
            Map<String, String> slotEnv) throws IOException {
        this(identity, repository, fetcher, runner, launcher, hardwareClass, JobRoots.under(workRoot), logRoot, clock,
                slotEnv);
    }

    /**
     * An evaluator for one slot of a node, each job's directories in a new directory of {@code roots}
     * ({@link dev.rhizome.node.job.NodeJobDirs}): a job reads its checkout's host path, and one of the slot's for all its jobs
     * let them tell that they ran on the same node.
     */
    public Evaluator(Identity identity, NodeRepository repository, CommitFetcher fetcher, JobRunner runner,
            ProcessLauncher launcher, String hardwareClass, JobRoots roots, Path logRoot, Clock clock,
            Map<String, String> slotEnv) throws IOException {
        this.slotEnv = Map.copyOf(slotEnv);
        this.identity = identity;
        this.harnessed = new HarnessedRunner(runner, launcher);
        this.repository = repository;
        this.fetcher = fetcher;
        this.runner = runner;
        this.hardwareClass = hardwareClass;
        this.roots = roots;
        this.logRoot = Files.createDirectories(logRoot);
        this.clock = clock;
    }

    public Result evaluate(WorkUnit unit) throws IOException, FetchException, InterruptedException {
        String commit = CommitId.require(unit.getCommit(), "unit commit");
        fetcher.fetch(commit, unit.getPeersList());
        Manifest manifest = unit.getManifest();
        Result.Builder result = base(unit, commit);

        if (!unit.getSeedCommit().equals(commit) && !Manifests.trusts(manifest, unit.getProposer())) {
            return refuse(result, commit, "the seed does not trust its proposer " + PublicId.hex(unit.getProposer()));
        }
        boolean harness = Manifests.harnessed(manifest);
        if (harness && !CommitId.isValid(unit.getSeedCommit())) {
            return refuse(result, commit, "the unit names no seed commit to take the protected harness from");
        }
        if (CommitId.isValid(unit.getSeedCommit()) && !unit.getSeedCommit().equals(commit)) {
            Set<String> changed = repository.changedPaths(unit.getSeedCommit(), commit);
            Set<String> touched = CommitPolicy.protectedChanges(changed, manifest);
            if (!touched.isEmpty()) {
                return refuse(result, commit, CommitPolicy.protectedReason(touched));
            }
            Set<String> forbidden = CommitPolicy.forbiddenChanges(changed, manifest.getEditableFilesList());
            if (!forbidden.isEmpty()) {
                return refuse(result, commit, "it changes " + String.join(", ", new TreeSet<>(forbidden))
                        + ", which the seed does not allow (editable: "
                        + String.join(", ", manifest.getEditableFilesList()) + ")");
            }
            List<String> regions = CommitPolicy.protectedRegionViolations(repository, manifest, unit.getSeedCommit(),
                    commit);
            if (!regions.isEmpty()) {
                return refuse(result, commit, String.join("; ", regions));
            }
        }
        if (harness) {
            return evaluateHarnessed(unit, commit, manifest, result);
        }

        // A directory of this job's alone, random names, not the unit's: the job reads its checkout's host
        // path in /proc/self/mountinfo.
        Path root = roots.next();
        Path workDir = root.resolve(JobDirNames.forOneJob());
        try {
            checkout(commit, workDir);
        } catch (CheckoutTooLargeException e) {
            roots.done(root);
            return refuse(result, commit, e.getMessage());
        } catch (IOException | RuntimeException e) {
            roots.done(root);
            throw e;
        }
        Path logFile = logFile(logRoot, unit.getId());
        JobSpec spec = new JobSpec(workDir, manifest.getCommandList(),
                SlotEnv.merge(BudgetEnv.of(unit.getBudget(), unit.getRandomSeed()), slotEnv),
                Duration.ofSeconds(Math.max(1, manifest.getTimeoutSeconds())), logFile,
                manifest.getMetric().getName());
        String tag = CommitId.abbreviate(commit);
        log.info("running {} ({} on {}, attempt {})", tag, unit.getDirection(), unit.getSeed(), unit.getAttempt());
        JobOutcome outcome;
        try {
            outcome = runner.run(spec, stepLines(tag));
        } finally {
            roots.done(root);
        }
        return measured(result, outcome, Result.Measurement.SELF_REPORTED, outcome.reason(), manifest, tag);
    }

    /** The result of a run that ended (well or not), as measured by the job itself or the harness. */
    private Result measured(Result.Builder result, JobOutcome outcome, Result.Measurement measuredBy,
            String runReason, Manifest manifest, String tag) {
        // The one way out for every run's reason, to the log and into the signed result: each part the job could
        // shape is made printable where it is written, and this holds for any part a later change adds.
        String reason = JobText.printable(runReason, MAX_REASON_CHARS);
        if (!reason.isEmpty()) {
            log.info("  {} {}: {}", tag, outcome.status(), reason);
        }
        result.setStatus(outcome.status())
                .setMeasuredBy(measuredBy)
                .setReason(reason)
                .setRuntimeMs(outcome.runtimeMs())
                .setLogSha256(ByteString.copyFrom(outcome.logSha256()))
                .setTimeMs(clock.millis());
        outcome.metric().ifPresent(result::setMetric);
        outcome.steps().ifPresent(result::setSteps);
        return inSeedRange(result, manifest, tag).build();
    }

    /**
     * A run whose metric the seed's range says no measurement can have ({@link MetricRange}: a
     * diverged run's huge loss, a bits-per-byte below 0) is the commit's crash, reported as one:
     * sent as OK it would be refused by the coordinator and the unit left leased to this node until
     * its deadline, which counts against this node.
     */
    private Result.Builder inSeedRange(Result.Builder result, Manifest manifest, String tag) {
        if (result.getStatus() != Result.Status.OK) {
            return result;
        }
        Optional<String> violation = MetricRange.violation(manifest.getMetric(), result.getMetric());
        if (violation.isEmpty()) {
            return result;
        }
        String reason = violation.get() + " (the seed's range " + MetricRange.describe(manifest.getMetric()) + ")";
        log.info("  {} CRASH: {}", tag, reason);
        return result.setStatus(Result.Status.CRASH).clearMetric().setReason(reason);
    }

    /**
     * The report for a unit whose commit no peer served: not a measurement but a failed attempt,
     * so the coordinator can reissue the unit to a node that may reach other peers, and give it up
     * after a bounded number of attempts, instead of waiting for this lease to run out.
     */
    public Result unfetchable(WorkUnit unit, FetchException failure) {
        log.warn("cannot fetch {} for unit {}; reporting it unfetchable: {}", CommitId.abbreviate(unit.getCommit()),
                unit.getId(), failure.getMessage());
        return unfetchable(unit, hardwareClass, identity, failure.getMessage(), clock.millis());
    }

    /** The same report, for whoever else claimed an EVALUATE unit it could not fetch (`rhizome claim`). */
    public static Result unfetchable(WorkUnit unit, String hardwareClass, Identity runner, String reason, long timeMs) {
        // The reason quotes what peers answered; the coordinator refuses text that is not printable.
        String shown = JobText.printable(reason, MAX_REASON_CHARS);
        return base(unit, unit.getCommit(), hardwareClass, runner).setStatus(Result.Status.UNFETCHABLE).setReason(shown)
                .setTimeMs(timeMs).build();
    }

    /**
     * The TIMEOUT of a job kept off a CPU to its wall-clock bound whose unit came leased with {@code
     * charge_if_starved} (given back so from three networks already): what an unstarved run that used
     * its time would report, its reason saying how it was starved. The log is not kept, as for any
     * starved run.
     */
    public Result starvedTimeout(WorkUnit unit, String starvedReason, long runtimeMs) {
        String reason = JobText.printable("timed out on a busy machine: " + starvedReason + "; the unit was given back "
                + "starved from other networks already, so its run is the commit's", MAX_REASON_CHARS);
        log.warn("unit {}: {}", unit.getId(), reason);
        return base(unit, unit.getCommit()).setStatus(Result.Status.TIMEOUT).setReason(reason).setRuntimeMs(runtimeMs)
                .setTimeMs(clock.millis()).build();
    }

    private Result.Builder base(WorkUnit unit, String commit) {
        return base(unit, commit, hardwareClass, identity);
    }

    private static Result.Builder base(WorkUnit unit, String commit, String hardwareClass, Identity identity) {
        Manifest manifest = unit.getManifest();
        return Result.newBuilder()
                .setWorkUnitId(unit.getId())
                .setSeed(unit.getSeed())
                .setDirection(unit.getDirection())
                .setCommit(commit)
                .setParent(unit.getParent())
                .setMetricName(manifest.getMetric().getName())
                .setHardwareClass(hardwareClass)
                .setRunner(identity.publicId().toByteString())
                .setProposer(unit.getProposer())
                .setBudget(unit.getBudget())
                .setRandomSeed(unit.getRandomSeed())
                // signed back as leased: the runner's word that the commitment preceded its run
                .setSeedCommitment(unit.getSeedCommitment())
                .setAttestsSeedCommitment(true);
    }

    /**
     * A refusal's reason names paths of the candidate's tree, which a stranger chose: a file name may
     * hold terminal escapes or line breaks (git forbids only NUL and '/'), and the reason reaches
     * the volunteer's terminal through the node's log and goes into a signed result. Made printable.
     */
    private Result refuse(Result.Builder result, String commit, String reason) {
        String shown = JobText.printable(reason, MAX_REASON_CHARS);
        log.warn("refusing to run {}: {}", CommitId.abbreviate(commit), shown);
        return result.setStatus(Result.Status.REFUSED).setReason(shown).setTimeMs(clock.millis()).build();
    }

    /**
     * Train in the checkout, then let the seed's harness question the trained model. The protected
     * files are written over the checkout from the seed's commit (they can only differ there if the
     * policy above was bypassed) and into a separate directory the harness runs from, which the
     * job's own code never gets to write.
     */
    /**
     * The harness directory, shown to the harness read-only and never handed over to the job's uid, is
     * made readable by every uid whatever the volunteer's umask: under 027 it was 0750 with 0640 files,
     * which a job of a uid and group of its own (a root node's, a subordinate uid's) could not enter, and
     * every harnessed run crashed. Its files are the seed's own, public on the network; the slot's directory
     * above (0711) and the job directory (0710) keep other local users from finding it.
     */
    private static void readableByJobs(Path harnessDir) throws IOException {
        // Written by the node alone, just now: no job has seen it, so a walk meets no link of a job's.
        try (var tree = Files.walk(harnessDir)) {
            for (Path p : tree.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                        Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    private Result evaluateHarnessed(WorkUnit unit, String commit, Manifest manifest, Result.Builder result)
            throws IOException, InterruptedException {
        String name = JobDirNames.forOneJob(); // as in evaluate: the jobs read these host paths
        Path root = roots.next();
        Path workDir = root.resolve(name);
        Path harnessDir = root.resolve(name + ".harness");
        Path resultDir = root.resolve(name + ".result");
        String tag = CommitId.abbreviate(commit);
        HarnessedOutcome run;
        try {
            try {
                checkout(commit, workDir);
            } catch (CheckoutTooLargeException e) {
                return refuse(result, commit, e.getMessage());
            }
            Files.createDirectories(harnessDir);
            for (String path : manifest.getProtectedFilesList()) {
                Optional<byte[]> content = repository.readFile(unit.getSeedCommit(), path);
                if (content.isEmpty()) {
                    return refuse(result, commit, "protected file " + path + " is missing from the seed's commit");
                }
                for (Path copy : new Path[] {workDir, harnessDir}) {
                    Path target = copy.resolve(path);
                    Files.createDirectories(target.getParent());
                    Files.write(target, content.get());
                }
            }
            readableByJobs(harnessDir);
            Map<String, String> env = SlotEnv.merge(BudgetEnv.of(unit.getBudget(), unit.getRandomSeed()), slotEnv);
            HarnessedSpec spec = new HarnessedSpec(workDir, harnessDir, resultDir, manifest.getPrepareCommandList(),
                    manifest.getTrainCommandList(), manifest.getServeCommandList(), manifest.getHarnessCommandList(),
                    env, Duration.ofSeconds(Math.max(1, manifest.getTimeoutSeconds())),
                    logFile(logRoot, unit.getId()), manifest.getMetric().getName());
            log.info("running {} ({} on {}, attempt {}, measured by the seed's harness)", tag, unit.getDirection(),
                    unit.getSeed(), unit.getAttempt());
            run = harnessed.run(spec, stepLines(tag));
        } finally {
            roots.done(root);
        }
        return measured(result, run.outcome(), Result.Measurement.HARNESS, run.reason(), manifest, tag);
    }

    /**
     * The commit's files, if they fit what a job of this slot may have on this disk now
     * ({@link JobRunner#workBytesAt}): the job's own budget ({@link WorkDirBudget}) counts only what
     * it adds, so the checkout is bounded here.
     */
    private void checkout(String commit, Path workDir) throws IOException {
        repository.checkout(commit, workDir, runner.workBytesAt(workDir.getParent()), runner.workEntries());
    }

    /** Where the log of a unit's job goes, so that status can show its last progress line. */
    public static Path logFile(Path logRoot, String unitId) {
        return logRoot.resolve(fileName(unitId) + ".log");
    }

    /**
     * The unit's id as one file name in the work root, one to one ({@link UnitFileNames}): an id of dots
     * alone ("..") named the work root's parent, and two ids that differed only in characters replaced by
     * '_' shared one log, in which two slots' jobs truncated and read each other's output.
     */
    static String fileName(String unitId) {
        return UnitFileNames.of(unitId);
    }

    /**
     * A job's {@code step} lines into the node's log, each cut and made printable, within a budget of the
     * job's own: the node's log rolls at 10 MB and keeps 200 MB in all, and a job printing nothing but
     * short step lines would otherwise fill it with its 16 MiB of output, rolling away the volunteer's history.
     */
    private static JobProgress stepLines(String tag) {
        WarnBudget budget = new WarnBudget(log);
        return line -> {
            if (line.startsWith("step ")) {
                budget.info("  {} {}", tag, JobText.printable(line, MAX_STEP_CHARS));
            }
        };
    }
}
