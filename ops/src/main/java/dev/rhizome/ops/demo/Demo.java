package dev.rhizome.ops.demo;

import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.job.SandboxReport;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.ops.seed.FloorBudget;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Knob;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.IdentityStore;
import dev.rhizome.protocol.seed.ManifestException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutionException;

/**
 * The whole loop on one machine: a coordinator and N nodes started as separate processes, talking
 * over loopback sockets exactly as a real deployment does; an operator publishes the tiny-lm seed
 * and opens directions; the nodes explore and evaluate; the demo watches and sums up.
 */
public final class Demo {
    private static final String COORDINATOR_URL_FILE = "coordinator.url";

    private final DemoConfig config;
    private final PrintStream progress;
    private final List<ChildProcess> children = new ArrayList<>();

    public Demo(DemoConfig config, PrintStream progress) {
        this.config = config;
        this.progress = progress;
    }

    public DemoSummary run() throws IOException, InterruptedException, CoordinatorException, ManifestException {
        long started = System.nanoTime();
        long startedMs = System.currentTimeMillis();
        Path root = Files.createDirectories(config.dataDir());
        progress.println("demo data directory: " + root);
        // started now, so a busy machine has the whole run for it: computed at the end, its fixed
        // minute was all it had, and the demo failed after its network had done everything
        CompletableFuture<Double> floor = entropyFloor();
        try {
            String url = startCoordinator(root.resolve("coordinator"));
            CoordinatorClient operator = new CoordinatorClient(url, IdentityStore.loadOrCreate(root.resolve("operator")));
            Seed seed = publishSeed(operator, new NodeLayout(nodeDir(root, 1)));
            openDirections(operator, seed);
            boolean sandboxed = sandboxAvailable();
            for (int i = 1; i <= config.nodes(); i++) {
                startNode(i, nodeDir(root, i), url, sandboxed);
            }
            DemoConfig.Stop stop = watch(operator, root, started, seed.getManifest().getMetric().getName());
            stopNodes();
            return summarize(operator, root, seed, started, startedMs, stop, floor(floor));
        } finally {
            for (ChildProcess child : children) {
                child.close();
            }
        }
    }

    private static Path nodeDir(Path root, int i) {
        return root.resolve("node-" + i);
    }

    private String startCoordinator(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path urlFile = dir.resolve(COORDINATOR_URL_FILE);
        Files.deleteIfExists(urlFile);
        ChildProcess coordinator = launch("coordinator", dir.resolve("coordinator.log"),
                "coordinator", "--data-dir", dir.toString(), "--port", "0");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(urlFile)) {
            if (!coordinator.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("the coordinator did not start; its log ends:\n" + coordinator.tail(20));
            }
            Thread.sleep(100);
        }
        String url = Files.readString(urlFile).trim();
        progress.println("coordinator up at " + url);
        return url;
    }

    /**
     * Whether the nodes can sandbox their jobs here. The demo runs only this project's own seed and
     * its built-in explorer's knob changes, so on a machine without bubblewrap it still runs, with
     * plain processes and a warning that says how to get the sandbox; a real node refuses instead.
     */
    private boolean sandboxAvailable() {
        SandboxReport report = SandboxProbe.probe();
        if (report.ok()) {
            return true;
        }
        progress.println("WARNING: jobs can't be sandboxed on this machine, so the demo's nodes run them as plain"
                + " processes (--no-sandbox). That is safe only because the demo runs nothing but this project's own"
                + " seed. To get the sandbox: " + report.whyNot());
        return false;
    }

    private void startNode(int i, Path dir, String url, boolean sandboxed) throws IOException {
        List<String> args = new ArrayList<>(List.of("node", "--data-dir", dir.toString(), "--coordinator", url,
                "--explore"));
        if (!sandboxed) {
            args.add("--no-sandbox");
        }
        launch("node-" + i, dir.resolve("node.log"), args.toArray(String[]::new));
        progress.println("node-" + i + " started (data in " + dir + ")");
    }

    private ChildProcess launch(String name, Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(config.launcher());
        command.addAll(List.of(args));
        ChildProcess child = ChildProcess.start(name, command, log);
        children.add(child);
        return child;
    }

    /** The seed goes into node-1's repository before node-1 starts; node-1 then serves it to the others. */
    private Seed publishSeed(CoordinatorClient operator, NodeLayout firstNode)
            throws IOException, CoordinatorException, ManifestException {
        Files.createDirectories(firstNode.dataDir());
        try (NodeRepository repo = NodeRepository.open(firstNode.repository())) {
            Seed seed = SeedPublisher.publish(repo, TinyLmSeed.files(), operator, Clock.systemUTC());
            progress.println("published seed " + seed.getName() + " at " + seed.getCommit());
            return seed;
        }
    }

    /** Splits the seed's knobs over the directions, so each line of inquiry varies its own settings. */
    private void openDirections(CoordinatorClient operator, Seed seed) throws CoordinatorException {
        List<Knob> knobs = seed.getManifest().getKnobsList();
        int count = Math.max(1, Math.min(config.directions(), knobs.size()));
        List<List<String>> groups = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < knobs.size(); i++) {
            groups.get(i % count).add(knobs.get(i).getName());
        }
        for (List<String> group : groups) {
            Direction d = Direction.newBuilder()
                    .setName(group.get(0).replace('_', '-'))
                    .setSeed(seed.getName())
                    .setBaseCommit(seed.getCommit())
                    .setDescription("vary " + String.join(", ", group))
                    .addAllKnobs(group)
                    .setOpenedBy(operator.identity().publicId().toByteString())
                    .setOpenedMs(System.currentTimeMillis())
                    .build();
            operator.openDirection(d);
            progress.println("opened direction " + d.getName() + " (knobs " + group + ")");
        }
    }

    /**
     * Until the config's rule stops it ({@link DemoConfig#stopAt}: at {@code duration}, or at the first
     * adoption past the floor), then while fewer than {@code minResults} results are in (or no
     * experiment is registered yet: the baseline's results alone show no research), for at most
     * the extra wait the machine's load then allows, or, without a given duration, while a candidate is
     * confirming at its fresh seeds, for at most {@link DemoConfig#CONFIRMATION_GRACE}: a progress
     * line every few seconds throughout,
     * so a long wait on a loaded machine shows what it waits for and until when, and a line for each
     * stage a candidate reaches (confirming, refused, adopted) as it happens.
     */
    private DemoConfig.Stop watch(CoordinatorClient operator, Path root, long started, String metricName)
            throws InterruptedException, IOException {
        long end = started + config.duration().toNanos();
        long extendedEnd = 0;
        DemoConfig.Extension extension = DemoConfig.Extension.NONE;
        Pipeline pipeline = Pipeline.EMPTY;
        while (true) {
            long now = System.nanoTime();
            DemoConfig.Stop stop = config.stopAt(Duration.ofNanos(now - started), pipeline.adoptionCount());
            boolean tooFew = stop != DemoConfig.Stop.NOT_YET && tooFewResults(operator);
            if (stop == DemoConfig.Stop.ADOPTION && !tooFew) {
                progress.println("a change has been adopted; stopping (with --duration the demo runs that long instead)");
                return stop;
            }
            if (now - end >= 0) {
                DemoConfig.Extension why = config.extensionAt(tooFew, pipeline.confirming());
                if (why == DemoConfig.Extension.NONE) {
                    return stop;
                }
                if (extension == DemoConfig.Extension.NONE) {
                    extension = why;
                    Duration extra = why == DemoConfig.Extension.RESULTS ? config.extraWaitNow() : DemoConfig.CONFIRMATION_GRACE;
                    extendedEnd = end + extra.toNanos();
                    progress.println(why == DemoConfig.Extension.RESULTS
                            ? "duration reached with fewer than " + config.minResults()
                                    + " results or no experiment yet; waiting for them (at most " + extra.toSeconds()
                                    + " s more at this machine's load)"
                            : "the demo's cap (" + config.duration().toSeconds() + " s) reached with " + pipeline.confirming()
                                    + " candidate(s) confirming at fresh seeds;"
                                    + " waiting for the decision (at most " + extra.toSeconds() + " s more)");
                }
                if (now - extendedEnd >= 0) {
                    progress.println(extension == DemoConfig.Extension.RESULTS
                            ? "still fewer than " + config.minResults() + " results or no experiment; stopping"
                            : "still confirming; stopping (rhizome demo --duration 10m runs long enough to see it decided)");
                    return stop;
                }
            }
            boolean extended = extension != DemoConfig.Extension.NONE;
            long until = extended ? extendedEnd : end;
            Thread.sleep(Math.min(3000, Math.max(1, (until - now) / 1_000_000)));
            for (ChildProcess child : children) {
                if (!child.isAlive()) {
                    throw new IOException(child.name() + " exited early; its log ends:\n" + child.tail(20));
                }
            }
            Pipeline latest = pipeline(operator, pipeline);
            latest.newsSince(pipeline, metricName).forEach(progress::println);
            pipeline = latest;
            String line = progressLine(operator, root, started, pipeline);
            long left = Math.max(0, (extendedEnd - System.nanoTime()) / 1_000_000_000L);
            if (extension == DemoConfig.Extension.RESULTS) {
                line += String.format("  (waiting for %d results and an experiment, at most %d s more)", config.minResults(), left);
            } else if (extension == DemoConfig.Extension.CONFIRMATION) {
                line += String.format("  (waiting for a confirming candidate's decision, at most %d s more)", left);
            }
            progress.println(line);
        }
    }

    /** The candidates' confirmations and the adoptions now; {@code known} when the coordinator did not answer. */
    private static Pipeline pipeline(CoordinatorClient operator, Pipeline known) {
        try {
            return new Pipeline(operator.confirmations(null).getConfirmationsList(),
                    operator.adoptions(null).getAdoptionsList());
        } catch (CoordinatorException e) {
            return known;
        }
    }

    private boolean tooFewResults(CoordinatorClient operator) {
        if (config.minResults() == 0) {
            return false;
        }
        try {
            // the baseline's trials are results too; a run meant to show research waits for an experiment
            CoordinatorStats stats = operator.stats();
            return stats.getResults() < config.minResults() || stats.getExperiments() == 0;
        } catch (CoordinatorException e) {
            return true;
        }
    }

    private String progressLine(CoordinatorClient operator, Path root, long started, Pipeline pipeline)
            throws IOException {
        long secs = (System.nanoTime() - started) / 1_000_000_000L;
        TransferLog.Totals transfers = transfers(root);
        try {
            CoordinatorStats s = operator.stats();
            StringBuilder best = new StringBuilder();
            for (DirectionStatus d : operator.directions().getDirectionsList()) {
                best.append(String.format("  %s %s", d.getDirection().getName(),
                        d.getHasFrontierMetric() ? String.format("%.4f", d.getFrontierMetric()) : "-"));
            }
            return String.format("[%4ds] experiments %3d  results %3d  confirming %d  adopted %d  units open %2d leased %2d"
                    + "  bundles from peers %3d (%d KiB)  best:%s",
                    secs, s.getExperiments(), s.getResults(), pipeline.confirming(), pipeline.adoptionCount(),
                    s.getUnitsOpen(), s.getUnitsLeased(),
                    transfers.transfers(), transfers.bytes() / 1024, best);
        } catch (CoordinatorException e) {
            return String.format("[%4ds] coordinator unavailable: %s", secs, e.getMessage());
        }
    }

    private void stopNodes() throws InterruptedException {
        progress.println("stopping nodes");
        for (ChildProcess child : children) {
            if (child.name().startsWith("node-")) {
                child.close();
            }
        }
    }

    /** Every node's transfer log, summed. */
    private TransferLog.Totals transfers(Path root) throws IOException {
        long count = 0;
        long bytes = 0;
        Map<String, Long> bySource = new TreeMap<>();
        for (int i = 1; i <= config.nodes(); i++) {
            Path file = new NodeLayout(nodeDir(root, i)).transfers();
            if (Files.exists(file)) {
                TransferLog.Totals t = TransferLog.read(file);
                count += t.transfers();
                bytes += t.bytes();
                t.bytesBySource().forEach((k, v) -> bySource.merge(k, v, Long::sum));
            }
        }
        return new TransferLog.Totals(count, bytes, bySource);
    }

    /** The seed's entropy floor, computed on a thread of its own while the network runs. */
    private CompletableFuture<Double> entropyFloor() {
        Duration budget = FloorBudget.now();
        progress.println("computing the seed's entropy floor meanwhile (java Harness.java --floor; up to "
                + budget.toSeconds() + " s at this machine's load)");
        CompletableFuture<Double> floor = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                floor.complete(TinyLmSeed.entropyFloor(budget));
            } catch (RuntimeException e) {
                floor.completeExceptionally(e);
            }
        }, "entropy-floor");
        // Ctrl-C or SIGTERM while it runs: interrupted, its job runner kills the `java Harness.java
        // --floor` process; the demo's other children have their own hook (ChildProcess), and this
        // one outlived a stopped demo by minutes on a loaded machine (InterruptTest)
        Thread stop = new Thread(() -> {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "entropy-floor-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        floor.whenComplete((value, failure) -> {
            try {
                Runtime.getRuntime().removeShutdownHook(stop);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: nothing left to remove
            }
        });
        t.setDaemon(true);
        t.start();
        return floor;
    }

    /**
     * The floor once computed; null, with a line saying why, when the machine was too busy to
     * compute it in time (the network's results stand without it). Any other failure of the seed's
     * own computation fails the demo: that is a broken seed, not a slow machine.
     */
    private Double floor(CompletableFuture<Double> floor) throws InterruptedException {
        if (!floor.isDone()) {
            progress.println("waiting for the entropy floor's computation to finish");
        }
        try {
            return floor.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TinyLmSeed.FloorTimedOut timedOut) {
                progress.println("entropy floor not computed: " + timedOut.getMessage() + "; the results stand, "
                        + "entropy_floor is null");
                return null;
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private DemoSummary summarize(CoordinatorClient operator, Path root, Seed seed, long started, long startedMs,
            DemoConfig.Stop stop, Double floor) throws CoordinatorException, IOException {
        CoordinatorStats stats = operator.stats();
        Pipeline pipeline = new Pipeline(operator.confirmations(null).getConfirmationsList(),
                operator.adoptions(null).getAdoptionsList());
        SignedResults checked = SignedResults.check(operator.results(null, null).getEnvelopesList());
        long ok = checked.valid().stream().filter(v -> v.record().getStatus() == Result.Status.OK).count();
        boolean lowerIsBetter = seed.getManifest().getMetric().getLowerIsBetter();
        Double baseline = null;
        Double best = null;
        List<DemoSummary.DirectionOutcome> outcomes = new ArrayList<>();
        for (DirectionStatus d : operator.directions().getDirectionsList()) {
            Double dBase = d.getHasBaselineMetric() ? d.getBaselineMetric() : null;
            Double dFront = d.getHasFrontierMetric() ? d.getFrontierMetric() : null;
            baseline = baseline != null ? baseline : dBase;
            if (dFront != null && (best == null || (lowerIsBetter ? dFront < best : dFront > best))) {
                best = dFront;
            }
            outcomes.add(new DemoSummary.DirectionOutcome(d.getDirection().getName(), d.getDirection().getKnobsList(),
                    d.getExperiments(), d.getResults(), dBase, dFront, d.getFrontierCommit(),
                    pipeline.adoptionsIn(d.getDirection().getName()), pipeline.confirmingIn(d.getDirection().getName())));
        }
        TransferLog.Totals transfers = transfers(root);
        URI coordinator = operator.url();
        long fromCoordinator = transfers.bytesBySource().entrySet().stream()
                .filter(e -> e.getKey().equals(coordinator.getHost() + ":" + coordinator.getPort()))
                .mapToLong(Map.Entry::getValue).sum();
        return new DemoSummary(stats.getExperiments(), stats.getResults(), ok, checked.valid().size(),
                checked.invalid().size(), baseline, best, floor, transfers.transfers(),
                transfers.bytes(), fromCoordinator, outcomes, config.nodes(), stats.getLeasesExpired(),
                (System.nanoTime() - started) / 1e9, seed.getManifest().getMetric().getName(), root,
                new DemoSummary.Adoptions(pipeline.confirming(), pipeline.confirmed(), pipeline.refused(),
                        pipeline.adoptionCount(),
                        pipeline.first().map(a -> Math.max(0, a.getAdoptedMs() - startedMs) / 1e3).orElse(null),
                        stop.key()));
    }
}
