package dev.rhizome.ops.bench;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.BudgetEnv;
import dev.rhizome.node.job.JobDirs;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.JobSpec;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.ops.InvalidOptionValue;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.stream.Stream;

/**
 * {@code rhizome bench node}: a coordinator and a holder node in this JVM, the measured node as
 * its own process (with the flags a volunteer's node runs with), all on loopback. The node runs
 * {@code jobs} short jobs on one CPU slot, fetching each commit from the holder; the gap between
 * consecutive jobs is read from the jobs' own start and end times. The baseline runs the same
 * commits back to back in a bare loop (check out, run, next) in this same invocation.
 */
public final class NodeBench {
    private static final int CLOCK_TICKS_PER_SECOND = 100;

    public record Config(int jobs, int steps, double stepSeconds, List<String> nodeLauncher, Path dir) {
        public Config {
            if (jobs < 2) {
                throw new InvalidOptionValue("--jobs", jobs, "a whole number from 2");
            }
            if (steps < 1) {
                throw new InvalidOptionValue("--steps", steps, "a positive whole number");
            }
            if (stepSeconds <= 0) {
                throw new InvalidOptionValue("--step-seconds", stepSeconds, "a positive number of seconds");
            }
        }
    }

    public record Report(int jobs, long gapP50Ms, long gapP99Ms, double nodeRssMb, double nodeCpuPercent,
            long baselineGapP50Ms, long baselineGapP99Ms, double wallSeconds) implements BenchReport {

        public String toText() {
            return String.format(Locale.ROOT, "%d jobs on one slot: gap between jobs p50 %d ms, p99 %d ms (bare loop p50 %d ms, "
                            + "p99 %d ms, ratio %.2f); node RSS %.1f MB at most, CPU %.1f%% while jobs ran (%.1f s)%n",
                    jobs, gapP50Ms, gapP99Ms, baselineGapP50Ms, baselineGapP99Ms,
                    gapP50Ms / (double) Math.max(1, baselineGapP50Ms), nodeRssMb, nodeCpuPercent, wallSeconds);
        }

        public String toJson() {
            return String.format(Locale.ROOT, "{\"jobs\":%d,\"gap_p50_ms\":%d,\"gap_p99_ms\":%d,\"node_rss_mb\":%.1f,"
                            + "\"node_cpu_percent\":%.1f,\"baseline_gap_p50_ms\":%d,\"baseline_gap_p99_ms\":%d}",
                    jobs, gapP50Ms, gapP99Ms, nodeRssMb, nodeCpuPercent, baselineGapP50Ms, baselineGapP99Ms);
        }
    }

    private NodeBench() {
    }

    public static Report run(Config config, PrintStream progress) throws Exception {
        long began = System.nanoTime();
        SortedMap<String, byte[]> files = ShortJobs.seed("bench", config.steps(), config.stepSeconds(), 60);
        Path holderDir = config.dir().resolve("holder");
        Path nodeDir = config.dir().resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(config.dir().resolve("coordinator"))
                .withLimits(CoordinatorLimits.defaults()
                        .withDailyWrites(WriteQuota.Limits.none())))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed;
            List<String> commits = new ArrayList<>();
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(holderDir).repository())) {
                seed = SeedPublisher.publish(repo, files, operator, Clock.systemUTC());
                commits.add(seed.getCommit());
                commits.addAll(ShortJobs.commits(repo, seed.getCommit(), config.jobs() - 1));
            }
            operator.openDirection(ShortJobs.direction(operator, seed, "bench"));
            ShortJobs.register(operator, seed, "bench", commits.subList(1, commits.size()));
            progress.printf("%d units queued; starting the node%n", commits.size());

            Measured node;
            try (NodeDaemon holder = NodeDaemon.start(NodeConfig.defaults(holderDir, coordinator.url())
                    .withDirection("serve-only"))) {
                node = runNode(config, coordinator.url(), nodeDir, progress);
            }
            List<ShortJobs.Span> spans = ShortJobs.spans(new NodeLayout(nodeDir).logs());
            if (spans.size() < config.jobs()) {
                throw new IOException("the node ran " + spans.size() + " of " + config.jobs() + " jobs; see "
                        + config.dir().resolve("node.log"));
            }
            long[] gaps = ShortJobs.gaps(spans);
            progress.printf("node done; running the same %d jobs in a bare loop%n", commits.size());
            long[] baseline;
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(holderDir).repository())) {
                baseline = ShortJobs.gaps(bareLoop(repo, commits, config, seed));
            }
            return new Report(spans.size(), ShortJobs.quantile(gaps, 0.5), ShortJobs.quantile(gaps, 0.99),
                    node.maxRssMb(), node.cpuPercent(), ShortJobs.quantile(baseline, 0.5),
                    ShortJobs.quantile(baseline, 0.99), (System.nanoTime() - began) / 1e9);
        }
    }

    private record Measured(double maxRssMb, double cpuPercent) {
    }

    /** Runs the node until it has done every unit, sampling its RSS and CPU time from /proc meanwhile. */
    private static Measured runNode(Config config, String url, Path nodeDir, PrintStream progress) throws Exception {
        List<String> command = new ArrayList<>(config.nodeLauncher());
        command.addAll(List.of("node", "--data-dir", nodeDir.toString(), "--coordinator", url, "--cpu-jobs", "1",
                "--gpus", "none", "--max-units", Integer.toString(config.jobs())));
        Path log = config.dir().resolve("node.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long pid = process.pid();
        try {
            double maxRss = 0;
            long cpuAtFirstJob = -1;
            long nanosAtFirstJob = 0;
            long cpuLast = 0;
            long nanosLast = 0;
            int lastCount = -1;
            long deadline = System.nanoTime() + Duration.ofSeconds(60L + config.jobs() * (long) (10 + config.steps()
                    * config.stepSeconds())).toNanos();
            while (process.isAlive()) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the node did not finish in time; see " + log);
                }
                int count = countLogs(new NodeLayout(nodeDir).logs());
                long cpu = cpuTicks(pid);
                if (count > 0 && cpu >= 0) {
                    if (cpuAtFirstJob < 0) {
                        cpuAtFirstJob = cpu;
                        nanosAtFirstJob = System.nanoTime();
                    }
                    cpuLast = cpu;
                    nanosLast = System.nanoTime();
                    maxRss = Math.max(maxRss, rssMb(pid));
                }
                if (count != lastCount && count % 10 == 0) {
                    progress.printf("  %d/%d jobs started%n", count, config.jobs());
                }
                lastCount = count;
                Thread.sleep(200);
            }
            if (process.exitValue() != 0) {
                throw new IOException("the node exited with " + process.exitValue() + "; see " + log);
            }
            double seconds = (nanosLast - nanosAtFirstJob) / 1e9;
            double cpuPercent = seconds <= 0 ? 0 : 100.0 * (cpuLast - cpuAtFirstJob) / CLOCK_TICKS_PER_SECOND / seconds;
            return new Measured(maxRss, cpuPercent);
        } finally {
            process.destroy();
            process.waitFor();
        }
    }

    /**
     * The same jobs, checked out and run one after the other with nothing in between, in the same
     * sandbox the node uses: the baseline pays what every job pays, so the gap measures the node.
     */
    private static List<ShortJobs.Span> bareLoop(NodeRepository repo, List<String> commits, Config config, Seed seed)
            throws Exception {
        Path work = JobDirs.prepare("bench-bare");
        Path logs = config.dir().resolve("bare-logs");
        JobRunner runner = new JobRunner(SandboxProbe.launcher());
        Budget budget = seed.getManifest().getBudget();
        for (int i = 0; i < commits.size(); i++) {
            Path dir = work.resolve("job-" + i);
            repo.checkout(commits.get(i), dir);
            runner.run(new JobSpec(dir, seed.getManifest().getCommandList(), BudgetEnv.of(budget, 1),
                    Duration.ofSeconds(seed.getManifest().getTimeoutSeconds()), logs.resolve("job-" + i + ".log"),
                    "val_bpb"), line -> { });
            deleteTree(dir);
        }
        JobDirs.delete(work);
        return ShortJobs.spans(logs);
    }

    private static int countLogs(Path logs) throws IOException {
        if (!Files.isDirectory(logs)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(logs)) {
            return (int) files.count();
        }
    }

    /** utime + stime of the process itself (not its children), in clock ticks; -1 once it is gone. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static double rssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
