package dev.rhizome.node.work;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.BudgetEnv;
import dev.rhizome.node.job.JobOutcome;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.JobSpec;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.seed.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one EVALUATE unit: fetch the commit from peers (its tip verified on import), check it
 * against the seed's policy, check it out into a fresh work directory, run the seed's command
 * under its budget, and build the Result that the loop signs and reports.
 */
public final class Evaluator {
    private static final Logger log = LoggerFactory.getLogger(Evaluator.class);

    private final Identity identity;
    private final NodeRepository repository;
    private final CommitFetcher fetcher;
    private final JobRunner runner;
    private final String hardwareClass;
    private final Path workRoot;
    private final Path logRoot;
    private final Clock clock;
    private final Map<String, String> slotEnv;

    public Evaluator(Identity identity, NodeRepository repository, CommitFetcher fetcher, JobRunner runner,
            String hardwareClass, Path workRoot, Path logRoot, Clock clock) throws IOException {
        this(identity, repository, fetcher, runner, hardwareClass, workRoot, logRoot, clock, Map.of());
    }

    /**
     * An evaluator for one slot of the node: its jobs run in the slot's hardware class with the
     * slot's environment on top of the budget's (which GPU: {@link SlotEnv}).
     */
    public Evaluator(Identity identity, NodeRepository repository, CommitFetcher fetcher, JobRunner runner,
            String hardwareClass, Path workRoot, Path logRoot, Clock clock, Map<String, String> slotEnv)
            throws IOException {
        this.slotEnv = Map.copyOf(slotEnv);
        this.identity = identity;
        this.repository = repository;
        this.fetcher = fetcher;
        this.runner = runner;
        this.hardwareClass = hardwareClass;
        this.workRoot = Files.createDirectories(workRoot);
        this.logRoot = Files.createDirectories(logRoot);
        this.clock = clock;
    }

    public Result evaluate(WorkUnit unit) throws IOException, FetchException, InterruptedException {
        String commit = CommitId.require(unit.getCommit(), "unit commit");
        fetcher.fetch(commit, unit.getPeersList());
        Manifest manifest = unit.getManifest();
        Result.Builder result = Result.newBuilder()
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
                .setRandomSeed(unit.getRandomSeed());

        if (!unit.getSeedCommit().equals(commit) && !Manifests.trusts(manifest, unit.getProposer())) {
            log.warn("refusing to run {}: the seed does not trust its proposer {}", CommitId.abbreviate(commit),
                    PublicId.hex(unit.getProposer()));
            return result.setStatus(Result.Status.REFUSED).setTimeMs(clock.millis()).build();
        }
        if (CommitId.isValid(unit.getSeedCommit()) && !unit.getSeedCommit().equals(commit)) {
            Set<String> forbidden = CommitPolicy.forbiddenChanges(
                    repository.changedPaths(unit.getSeedCommit(), commit), manifest.getEditableFilesList());
            if (!forbidden.isEmpty()) {
                log.warn("refusing to run {}: it changes {}, which the seed does not allow",
                        CommitId.abbreviate(commit), forbidden);
                return result.setStatus(Result.Status.REFUSED).setTimeMs(clock.millis()).build();
            }
        }

        Path workDir = workRoot.resolve(fileName(unit.getId()));
        deleteTree(workDir);
        repository.checkout(commit, workDir);
        Path logFile = logFile(logRoot, unit.getId());
        JobSpec spec = new JobSpec(workDir, manifest.getCommandList(),
                SlotEnv.merge(BudgetEnv.of(unit.getBudget(), unit.getRandomSeed()), slotEnv),
                Duration.ofSeconds(Math.max(1, manifest.getTimeoutSeconds())), logFile,
                manifest.getMetric().getName());
        String tag = CommitId.abbreviate(commit);
        log.info("running {} ({} on {}, attempt {})", tag, unit.getDirection(), unit.getSeed(), unit.getAttempt());
        JobOutcome outcome;
        try {
            outcome = runner.run(spec, line -> {
                if (line.startsWith("step ")) {
                    log.info("  {} {}", tag, line);
                }
            });
        } finally {
            deleteTree(workDir);
        }
        result.setStatus(outcome.status())
                .setRuntimeMs(outcome.runtimeMs())
                .setLogSha256(ByteString.copyFrom(outcome.logSha256()))
                .setTimeMs(clock.millis());
        outcome.metric().ifPresent(result::setMetric);
        outcome.steps().ifPresent(result::setSteps);
        return result.build();
    }

    /** Where the log of a unit's job goes, so that status can show its last progress line. */
    public static Path logFile(Path logRoot, String unitId) {
        return logRoot.resolve(fileName(unitId) + ".log");
    }

    private static String fileName(String unitId) {
        return unitId.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
