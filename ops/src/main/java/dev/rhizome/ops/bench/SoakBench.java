package dev.rhizome.ops.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.InvalidOptionValue;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A coordinator under honest load and attack for a set time. Honest nodes are light in-process
 * clients speaking the real HTTP API ({@link CoordinatorClient}: signed claims and results over
 * loopback); one of them proposes experiments to keep the queue full. Hostile clients mixed in
 * cycle through the attacks of {@link HostileClient}. At the end every acknowledged result must be
 * in the coordinator's results, and the heap after a GC is compared with its value at the start.
 */
public final class SoakBench {
    public record Config(Duration duration, int nodes, int hostile, Path dataDir) {
        public Config {
            if (duration.isNegative() || duration.isZero()) {
                throw new InvalidOptionValue("--duration", duration.toMillis() + "ms", "a positive duration (e.g. 10m)");
            }
            if (nodes < 1) {
                throw new InvalidOptionValue("--nodes", nodes, "a positive whole number");
            }
            if (hostile < 0) {
                throw new InvalidOptionValue("--hostile", hostile, "0 or a positive whole number");
            }
        }
    }

    public record Report(Config config, long requests, long resultsAcked, long lost, Map<String, Long> errorsByKind,
            Map<String, Long> hostileOutcomes, long heapBeforeBytes, long heapAfterBytes, List<Double> p99MsByMinute) implements BenchReport {

        public long errorsUnexpected() {
            return errorsByKind.values().stream().mapToLong(Long::longValue).sum();
        }

        public double heapGrowth() {
            return (double) heapAfterBytes / heapBeforeBytes - 1;
        }

        public String toText() {
            StringBuilder out = new StringBuilder();
            out.append(String.format("%d s, %d nodes, %d hostile clients: %d honest requests, %d results acknowledged, "
                    + "%d lost%n", config.duration().toSeconds(), config.nodes(), config.hostile(), requests,
                    resultsAcked, lost));
            out.append(String.format("heap after GC: %.1f MiB before, %.1f MiB after (%+.1f%%)%n",
                    heapBeforeBytes / 1048576.0, heapAfterBytes / 1048576.0, heapGrowth() * 100));
            out.append("unexpected errors: ").append(errorsUnexpected()).append(' ').append(errorsByKind).append('\n');
            out.append("hostile requests and how they ended: ").append(hostileOutcomes).append('\n');
            out.append("p99 latency per minute (ms): ").append(p99MsByMinute).append('\n');
            return out.toString();
        }

        public String toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("mode", "soak");
            o.addProperty("duration_s", config.duration().toSeconds());
            o.addProperty("nodes", config.nodes());
            o.addProperty("hostile_clients", config.hostile());
            o.addProperty("requests", requests);
            o.addProperty("results_acked", resultsAcked);
            JsonObject errors = new JsonObject();
            errorsByKind.forEach(errors::addProperty);
            o.add("errors_by_kind", errors);
            JsonObject hostile = new JsonObject();
            hostileOutcomes.forEach(hostile::addProperty);
            o.add("hostile_outcomes", hostile);
            JsonArray p99 = new JsonArray();
            p99MsByMinute.forEach(p99::add);
            o.add("p99_ms_by_minute", p99);
            o.addProperty("heap_before_bytes", heapBeforeBytes);
            o.addProperty("heap_after_bytes", heapAfterBytes);
            o.addProperty("heap_growth", Math.round(heapGrowth() * 1000) / 1000.0);
            o.addProperty("errors_unexpected", errorsUnexpected());
            o.addProperty("lost", lost);
            return new GsonBuilder().disableHtmlEscaping().create().toJson(o);
        }
    }

    /** Latencies of honest requests, bucketed by minute since the start. */
    private static final class Latencies {
        private final long startNanos = System.nanoTime();
        private final Map<Integer, List<Double>> byMinute = new ConcurrentHashMap<>();

        void record(long sentNanos) {
            long now = System.nanoTime();
            int minute = (int) TimeUnit.NANOSECONDS.toMinutes(sentNanos - startNanos);
            List<Double> bucket = byMinute.computeIfAbsent(minute, m -> new ArrayList<>());
            synchronized (bucket) {
                bucket.add((now - sentNanos) / 1e6);
            }
        }

        List<Double> p99ByMinute() {
            List<Double> p99 = new ArrayList<>();
            for (Map.Entry<Integer, List<Double>> e : new TreeMap<>(byMinute).entrySet()) {
                double[] sorted;
                synchronized (e.getValue()) {
                    sorted = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
                }
                int i = Math.max(0, (int) Math.ceil(0.99 * sorted.length) - 1);
                p99.add(Math.round(sorted[i] * 100) / 100.0);
            }
            return p99;
        }
    }

    private SoakBench() {
    }

    public static Report run(Config config, PrintStream progress) throws Exception {
        // Every simulated node and hostile client claims from loopback's one address: the caps on
        // leases held stay on (so their counting is soaked too) but are raised to what all of them
        // may hold at once, else the bench's own nodes would be refused past 64 leases.
        CoordinatorLimits limits = CoordinatorLimits.defaults().withDailyWrites(WriteQuota.Limits.none());
        limits = limits.withLeasesHeld(LeaseCaps.Limits.defaults()
                .atLeast((config.nodes() + config.hostile() + 1) * limits.maxLeasesPerNode()));
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(config.dataDir())
                .withLimits(limits))) {
            String url = coordinator.url();
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = prepare(operator);
            Latencies latencies = new Latencies();
            Map<String, Long> errors = new ConcurrentHashMap<>();
            Map<String, Long> hostileOutcomes = new ConcurrentHashMap<>();
            Set<String> acked = ConcurrentHashMap.newKeySet();
            AtomicLong requests = new AtomicLong();
            long deadline = System.nanoTime() + config.duration().toNanos();
            ExecutorService pool = Executors.newFixedThreadPool(config.nodes() + config.hostile() + 1);
            List<Future<?>> running = new ArrayList<>();
            long[] heapAtStart = {0};
            try {
                running.add(pool.submit(() -> propose(operator, seed, deadline, latencies, errors, requests)));
                for (int i = 0; i < config.nodes(); i++) {
                    CoordinatorClient node = new CoordinatorClient(url, Identity.generate());
                    running.add(pool.submit(() -> evaluate(node, seed, deadline, latencies, errors, acked, requests)));
                }
                for (int i = 0; i < config.hostile(); i++) {
                    HostileClient hostile = new HostileClient(url, operator.network(), Identity.generate(), i);
                    running.add(pool.submit(() -> hostile.runUntil(deadline, hostileOutcomes, errors)));
                }
                // The starting heap is taken once every client is connected and warm (a tenth of the run,
                // at most 30 s): what the JVM needs to serve this load, against which growth is judged.
                Thread.sleep(Math.min(30_000, config.duration().toMillis() / 10));
                long heapBefore = heapAfterGc();
                heapAtStart[0] = heapBefore;
                progress.printf("soak: heap after GC once warm: %.1f MiB%n", heapBefore / 1048576.0);
                long reportEvery = TimeUnit.SECONDS.toNanos(30);
                for (long next = System.nanoTime() + reportEvery; System.nanoTime() < deadline; next += reportEvery) {
                    Thread.sleep(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(next - System.nanoTime()),
                            TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1)));
                    progress.printf("soak: %d s left, %d honest requests, %d results acknowledged, %d unexpected errors%n",
                            Math.max(0, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime())), requests.get(),
                            acked.size(), errors.values().stream().mapToLong(Long::longValue).sum());
                }
                for (Future<?> f : running) {
                    f.get(2, TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }
            long lost = lost(operator, acked);
            long heapAfter = heapAfterGc();
            return new Report(config, requests.get(), acked.size(), lost, new TreeMap<>(errors),
                    new TreeMap<>(hostileOutcomes), heapAtStart[0], heapAfter, latencies.p99ByMinute());
        }
    }

    private static Seed prepare(CoordinatorClient ops) throws CoordinatorException {
        Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).clearTrustedProposers().build();
        Seed seed = Seed.newBuilder().setName("soak").setCommit(commit()).setManifest(manifest)
                .setPublisher(ops.identity().publicId().toByteString()).setPublishedMs(System.currentTimeMillis()).build();
        ops.publishSeed(seed);
        ops.openDirection(Direction.newBuilder().setName("soak").setSeed("soak").setBaseCommit(seed.getCommit())
                .setOpenedBy(ops.identity().publicId().toByteString()).setOpenedMs(System.currentTimeMillis()).build());
        // The replay attack claims here: a closed direction answers every claim "no work" (200)
        // without leasing a unit, so the replayed copy can only be refused for its nonce (409).
        ops.openDirection(Direction.newBuilder().setName(HostileClient.CLOSED_DIRECTION).setSeed("soak")
                .setBaseCommit(seed.getCommit()).setOpenedBy(ops.identity().publicId().toByteString())
                .setOpenedMs(System.currentTimeMillis()).build());
        ops.closeDirection(DirectionClosure.newBuilder().setName(HostileClient.CLOSED_DIRECTION)
                .setReason("the soak's replay target").setClosedBy(ops.identity().publicId().toByteString())
                .setClosedMs(System.currentTimeMillis()).build());
        return seed;
    }

    /** Keeps about 40 evaluations queued by registering experiments. */
    private static void propose(CoordinatorClient proposer, Seed seed, long deadline, Latencies latencies,
            Map<String, Long> errors, AtomicLong requests) {
        while (System.nanoTime() < deadline) {
            try {
                long t = System.nanoTime();
                int open = proposer.units("OPEN").getUnitsCount();
                latencies.record(t);
                requests.incrementAndGet();
                for (int i = open; i < 40; i++) {
                    t = System.nanoTime();
                    proposer.registerExperiment(Experiment.newBuilder().setSeed("soak").setDirection("soak")
                            .setCommit(commit()).setParent(seed.getCommit())
                            .setProposer(proposer.identity().publicId().toByteString())
                            .setCreatedMs(System.currentTimeMillis()).build());
                    latencies.record(t);
                    requests.incrementAndGet();
                }
                Thread.sleep(200);
            } catch (CoordinatorException e) {
                errors.merge("proposer_" + kind(e), 1L, Long::sum);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** An honest runner: claim an evaluation, report a signed result, remember what was acknowledged. */
    private static void evaluate(CoordinatorClient node, Seed seed, long deadline, Latencies latencies,
            Map<String, Long> errors, Set<String> acked, AtomicLong requests) {
        while (System.nanoTime() < deadline) {
            try {
                long t = System.nanoTime();
                var response = node.claim(ClaimRequest.newBuilder().setNode(node.identity().publicId().toByteString())
                        .setHardwareClass("cpu:soak").addKinds(WorkUnit.Kind.EVALUATE)
                        .setTimeMs(System.currentTimeMillis()).build());
                latencies.record(t);
                requests.incrementAndGet();
                if (!response.hasUnit()) {
                    Thread.sleep(100);
                    continue;
                }
                WorkUnit unit = response.getUnit();
                SignedEnvelope result = node.signed(Result.newBuilder().setWorkUnitId(unit.getId())
                        .setSeed(unit.getSeed()).setDirection(unit.getDirection()).setCommit(unit.getCommit())
                        .setParent(unit.getParent()).setStatus(Result.Status.OK)
                        .setMetricName(seed.getManifest().getMetric().getName()).setMetric(2.0)
                        .setHardwareClass("cpu:soak").setRuntimeMs(1000)
                        .setRunner(node.identity().publicId().toByteString()).setProposer(unit.getProposer())
                        .setTimeMs(System.currentTimeMillis()).setBudget(unit.getBudget())
                        .setRandomSeed(unit.getRandomSeed()).build());
                t = System.nanoTime();
                node.reportResult(result);
                latencies.record(t);
                requests.incrementAndGet();
                acked.add(Envelopes.id(result));
            } catch (CoordinatorException e) {
                errors.merge("honest_" + kind(e), 1L, Long::sum);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Acknowledged results that the coordinator does not list. */
    private static long lost(CoordinatorClient reader, Set<String> acked) throws CoordinatorException {
        Set<String> stored = ConcurrentHashMap.newKeySet();
        for (SignedEnvelope e : reader.results("soak", "").getEnvelopesList()) {
            stored.add(Envelopes.id(e));
        }
        return acked.stream().filter(id -> !stored.contains(id)).count();
    }

    static String kind(CoordinatorException e) {
        return e.status() > 0 ? e.status() + "_" + e.code() : "transport";
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private static String commit() {
        byte[] id = new byte[20];
        RANDOM.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }
}
