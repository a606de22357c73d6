package dev.rhizome.ops.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Load on a real coordinator (Netty HTTP, SQLite with a synced commit per request) from several
 * nodes at once: each claims an EVALUATE unit and reports a signed result, until the queue is
 * empty. The baseline, measured in the same run with the same clients, is the bare HTTP round trip
 * of {@code GET /healthz}; the ratio says what signatures, transactions and durability cost.
 */
public final class CoordinatorBench {
    /** Signatures the coordinator verifies per cycle: the claim's and the result's. */
    static final int SIGNATURES_PER_CYCLE = 2;

    /** @param store empty for SQLite in {@code dataDir}, or a {@code postgresql://} address */
    public record Config(int units, int clients, int baselineRequests, Path dataDir, String store) {
        public Config(int units, int clients, int baselineRequests, Path dataDir) {
            this(units, clients, baselineRequests, dataDir, "");
        }

        public Config {
            if (units < 1 || clients < 1 || baselineRequests < 1) {
                throw new IllegalArgumentException("--units, --clients and --baseline-requests must be positive");
            }
        }
    }

    public record Report(int units, int clients, double cyclesPerSecond, double requestsPerSecond,
            double baselineRequestsPerSecond, double claimP50Ms, double claimP99Ms, double resultP50Ms,
            double resultP99Ms, double baselineP50Ms, String store, int cores, double verifiesPerSecond,
            double claimP999Ms, double resultP999Ms) {

        /** The cycle rate if verifying signatures on these cores were the only cost. */
        public double limitCyclesPerSecond() {
            return verifiesPerSecond / SIGNATURES_PER_CYCLE;
        }

        public double ratioToLimit() {
            return cyclesPerSecond / limitCyclesPerSecond();
        }

        /** Signed, durable requests per second as a fraction of bare HTTP round trips per second. */
        public double ratioToBaseline() {
            return requestsPerSecond / baselineRequestsPerSecond;
        }

        public String toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("mode", "coordinator");
            o.addProperty("store", store);
            o.addProperty("cores", cores);
            o.addProperty("units", units);
            o.addProperty("clients", clients);
            o.addProperty("cycles_per_second", round(cyclesPerSecond));
            o.addProperty("requests_per_second", round(requestsPerSecond));
            o.addProperty("baseline_requests_per_second", round(baselineRequestsPerSecond));
            o.addProperty("ratio_to_baseline", Math.round(ratioToBaseline() * 1000) / 1000.0);
            o.addProperty("verifies_per_second", round(verifiesPerSecond));
            o.addProperty("limit_cycles_per_second", round(limitCyclesPerSecond()));
            o.addProperty("ratio_to_limit", Math.round(ratioToLimit() * 1000) / 1000.0);
            o.addProperty("claim_p50_ms", round(claimP50Ms));
            o.addProperty("claim_p99_ms", round(claimP99Ms));
            o.addProperty("result_p50_ms", round(resultP50Ms));
            o.addProperty("claim_p999_ms", round(claimP999Ms));
            o.addProperty("result_p99_ms", round(resultP99Ms));
            o.addProperty("result_p999_ms", round(resultP999Ms));
            o.addProperty("baseline_p50_ms", round(baselineP50Ms));
            return new GsonBuilder().disableHtmlEscaping().create().toJson(o);
        }

        public String toText() {
            return String.format("%d units, %d clients, store %s, %d cores%n"
                    + "  claim + signed result: %.1f cycles/s (%.1f requests/s), claim p50/p99/p99.9 %.2f/%.2f/%.2f ms, "
                    + "result p50/p99/p99.9 %.2f/%.2f/%.2f ms%n"
                    + "  baseline GET /healthz: %.1f requests/s, p50 %.2f ms%n"
                    + "  ratio to baseline: %.3f%n"
                    + "  Ed25519 verify: %.0f/s on %d cores, limit %.1f cycles/s (%d signatures per cycle)%n"
                    + "  ratio to limit: %.3f%n",
                    units, clients, store, cores, cyclesPerSecond, requestsPerSecond, claimP50Ms, claimP99Ms,
                    claimP999Ms, resultP50Ms, resultP99Ms, resultP999Ms, baselineRequestsPerSecond, baselineP50Ms,
                    ratioToBaseline(), verifiesPerSecond, cores, limitCyclesPerSecond(), SIGNATURES_PER_CYCLE,
                    ratioToLimit());
        }

        private static double round(double v) {
            return Math.round(v * 100) / 100.0;
        }
    }

    private CoordinatorBench() {
    }

    public static Report run(Config config, PrintStream progress) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        double verifies = VerifyRate.measure(cores, progress);
        String store = config.store().isEmpty() ? "sqlite" : config.store();
        CoordinatorConfig coordinatorConfig = CoordinatorConfig.defaults(config.dataDir()).withStore(config.store());
        try (Coordinator coordinator = Coordinator.start(coordinatorConfig)) {
            String url = coordinator.url();
            Identity operator = Identity.generate();
            CoordinatorClient ops = new CoordinatorClient(url, operator);
            Seed seed = prepare(ops, config.units(), progress);
            ExecutorService pool = Executors.newFixedThreadPool(config.clients());
            try {
                Samples baseline = baseline(url, config, pool);
                progress.printf("baseline: %d GET /healthz in %.1f s%n", config.baselineRequests(), baseline.seconds);
                Samples[] load = load(url, seed, config, pool, progress);
                double seconds = load[0].seconds;
                int cycles = load[1].count();
                return new Report(config.units(), config.clients(), cycles / seconds, 2.0 * cycles / seconds,
                        baseline.count() / baseline.seconds, load[0].percentile(50), load[0].percentile(99),
                        load[1].percentile(50), load[1].percentile(99), baseline.percentile(50),
                        store.replaceAll("//([^:/@]*):[^@]*@", "//$1:***@"), cores, verifies,
                        load[0].percentile(99.9), load[1].percentile(99.9));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * A seed, a direction and one experiment per unit (quorum 1 and one adoption seed: one
     * EVALUATE unit each).
     */
    private static Seed prepare(CoordinatorClient ops, int units, PrintStream progress) throws CoordinatorException {
        Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).setAdoptionSeeds(1).clearTrustedProposers()
                .build();
        Random random = new Random(1);
        Seed seed = Seed.newBuilder().setName("bench").setCommit(commit(random)).setManifest(manifest)
                .setPublisher(ops.identity().publicId().toByteString()).setPublishedMs(System.currentTimeMillis()).build();
        ops.publishSeed(seed);
        ops.openDirection(Direction.newBuilder().setName("load").setSeed("bench").setBaseCommit(seed.getCommit())
                .setOpenedBy(ops.identity().publicId().toByteString()).setOpenedMs(System.currentTimeMillis()).build());
        for (int i = 0; i < units; i++) {
            ops.registerExperiment(Experiment.newBuilder().setSeed("bench").setDirection("load").setCommit(commit(random))
                    .setParent(seed.getCommit()).setProposer(ops.identity().publicId().toByteString())
                    .setCreatedMs(System.currentTimeMillis()).build());
        }
        progress.printf("prepared %d EVALUATE units (plus the baseline's)%n", units);
        return seed;
    }

    private static Samples baseline(String url, Config config, ExecutorService pool) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest health = HttpRequest.newBuilder(URI.create(url + "/healthz")).GET().build();
        int perClient = Math.max(1, config.baselineRequests() / config.clients());
        List<Future<double[]>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < config.clients(); c++) {
            futures.add(pool.submit(() -> {
                double[] ms = new double[perClient];
                for (int i = 0; i < perClient; i++) {
                    long t = System.nanoTime();
                    HttpResponse<Void> r = http.send(health, HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() != 200) {
                        throw new IOException("healthz answered " + r.statusCode());
                    }
                    ms[i] = (System.nanoTime() - t) / 1e6;
                }
                return ms;
            }));
        }
        List<double[]> parts = new ArrayList<>();
        for (Future<double[]> f : futures) {
            parts.add(f.get());
        }
        return Samples.concat(parts, (System.nanoTime() - start) / 1e9);
    }

    /** Returns claim latencies (with the run's duration) and result latencies. */
    private static Samples[] load(String url, Seed seed, Config config, ExecutorService pool, PrintStream progress)
            throws Exception {
        List<Future<double[][]>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < config.clients(); c++) {
            futures.add(pool.submit(() -> cycles(new CoordinatorClient(url, Identity.generate()), seed)));
        }
        List<double[]> claims = new ArrayList<>();
        List<double[]> results = new ArrayList<>();
        for (Future<double[][]> f : futures) {
            double[][] r = f.get();
            claims.add(r[0]);
            results.add(r[1]);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Samples claimed = Samples.concat(claims, seconds);
        Samples reported = Samples.concat(results, seconds);
        progress.printf("load: %d units claimed and reported in %.1f s%n", reported.count(), seconds);
        return new Samples[] {claimed, reported};
    }

    private static double[][] cycles(CoordinatorClient node, Seed seed) throws CoordinatorException {
        List<Double> claimMs = new ArrayList<>();
        List<Double> resultMs = new ArrayList<>();
        while (true) {
            long t = System.nanoTime();
            var response = node.claim(ClaimRequest.newBuilder().setNode(node.identity().publicId().toByteString())
                    .setHardwareClass("cpu:bench").addKinds(WorkUnit.Kind.EVALUATE)
                    .setTimeMs(System.currentTimeMillis()).build());
            claimMs.add((System.nanoTime() - t) / 1e6);
            if (!response.hasUnit()) {
                break;
            }
            WorkUnit unit = response.getUnit();
            Result result = Result.newBuilder().setWorkUnitId(unit.getId()).setSeed(unit.getSeed())
                    .setDirection(unit.getDirection()).setCommit(unit.getCommit()).setParent(unit.getParent())
                    .setStatus(Result.Status.OK).setMetricName(seed.getManifest().getMetric().getName())
                    .setMetric(2.0).setHardwareClass("cpu:bench").setRuntimeMs(1000)
                    .setRunner(node.identity().publicId().toByteString()).setProposer(unit.getProposer())
                    .setTimeMs(System.currentTimeMillis()).setBudget(unit.getBudget())
                    .setRandomSeed(unit.getRandomSeed()).build();
            t = System.nanoTime();
            node.reportResult(Envelopes.sign(node.identity(), result));
            resultMs.add((System.nanoTime() - t) / 1e6);
        }
        return new double[][] {unbox(claimMs), unbox(resultMs)};
    }

    private static double[] unbox(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String commit(Random random) {
        byte[] id = new byte[20];
        random.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    private record Samples(double[] sortedMs, double seconds) {
        static Samples concat(List<double[]> parts, double seconds) {
            double[] all = parts.stream().flatMapToDouble(Arrays::stream).sorted().toArray();
            return new Samples(all, seconds);
        }

        int count() {
            return sortedMs.length;
        }

        double percentile(double p) {
            if (sortedMs.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(p / 100.0 * sortedMs.length) - 1;
            return sortedMs[Math.max(0, Math.min(sortedMs.length - 1, i))];
        }
    }
}
