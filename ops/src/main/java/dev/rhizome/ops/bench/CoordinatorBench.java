package dev.rhizome.ops.bench;

import com.google.protobuf.ByteString;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.InvalidOptionValue;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Load on a real coordinator (Netty HTTP, SQLite with group commit, or PostgreSQL) from several
 * nodes at once: each claims an EVALUATE unit and reports a signed result, until the queue is
 * empty. The baseline, measured in the same run with the same clients, is the bare HTTP round trip
 * of {@code GET /healthz}; the ratio says what signatures, transactions and durability cost.
 *
 * <p>The clients share the cores with the coordinator, so they do their expensive work before the
 * timed phase ({@link PresignedNode}: every claim and every possible result is signed up front) and
 * send the prepared protobuf bodies over keep-alive connections from one Netty event loop
 * ({@link ClosedLoopClients}). A warm-up run on units of its own, with keys of its own, lets the
 * JIT compile the coordinator's path first; then rehearsals of the timed phase itself (each with
 * its own units, pre-signed keys and baseline, not counted), because code compiled for the warm-up's
 * conversations was recompiled when the timed phase's began (a whole core of C2 for seconds): until
 * the JIT's share of a rehearsal's CPU is under {@link #JIT_SETTLED}, at most {@link #MAX_REHEARSALS}.
 * The process's CPU time during the timed phase, less
 * the clients' thread, is the coordinator's CPU per cycle; set against the CPU of the two verifies
 * a cycle needs, it gives a ratio to the limit that holds even when other work shares the cores.
 */
public final class CoordinatorBench {
    /** Signatures the coordinator verifies per cycle: the claim's and the result's. */
    static final int SIGNATURES_PER_CYCLE = 2;

    /** @param store empty for SQLite in {@code dataDir}, or a {@code postgresql://} address */
    /** @param warmupUnits units claimed and reported before the timed phase, by other keys, not counted */
    /** @param announce whether the clients announce the commits they hold first ({@link AnnouncedHoldings}) */
    public record Config(int units, int clients, int baselineRequests, Path dataDir, String store, int warmupUnits,
            int directions, boolean announce) {
        public Config(int units, int clients, int baselineRequests, Path dataDir) {
            this(units, clients, baselineRequests, dataDir, "");
        }

        public Config(int units, int clients, int baselineRequests, Path dataDir, String store) {
            this(units, clients, baselineRequests, dataDir, store, 0);
        }

        public Config(int units, int clients, int baselineRequests, Path dataDir, String store, int warmupUnits) {
            this(units, clients, baselineRequests, dataDir, store, warmupUnits, 1);
        }

        public Config(int units, int clients, int baselineRequests, Path dataDir, String store, int warmupUnits,
                int directions) {
            this(units, clients, baselineRequests, dataDir, store, warmupUnits, directions, true);
        }

        public Config {
            if (units < 1) {
                throw new InvalidOptionValue("--units", units, "a positive whole number");
            }
            if (clients < 1) {
                throw new InvalidOptionValue("--clients", clients, "a positive whole number");
            }
            if (baselineRequests < 1) {
                throw new InvalidOptionValue("--baseline-requests", baselineRequests, "a positive whole number");
            }
            if (warmupUnits < 0) {
                throw new InvalidOptionValue("--warmup-units", warmupUnits, "0 or a positive whole number");
            }
            if (directions < 1 || directions > 64) {
                throw new InvalidOptionValue("--directions", directions, "a whole number from 1 to 64");
            }
            // Each client is a fresh key, and a fresh key may take this many leases a day.
            long most = (long) clients * Reputation.INITIAL_QUOTA;
            if (units + 1 > most) {
                // --units is the one named: more --clients is the other way out, as the form says
                throw new InvalidOptionValue("--units", units, "at most " + (most - 1) + " with --clients " + clients
                        + " (a fresh key takes " + Reputation.INITIAL_QUOTA + " leases a day); or use more --clients");
            }
        }
    }

    public record Report(int units, int clients, double cyclesPerSecond, double requestsPerSecond,
            double baselineRequestsPerSecond, double claimP50Ms, double claimP99Ms, double resultP50Ms,
            double resultP99Ms, double baselineP50Ms, String store, int cores, double verifiesPerSecond,
            double claimP999Ms, double resultP999Ms, int warmupUnits, double coordinatorCpuUsPerCycle,
            double clientCpuUsPerCycle, double verifyCpuUs, double jitCpuUsPerCycle, int announcedCommitsPerNode,
            double claimsWithPeers, int heartbeats)
            implements BenchReport {

        /** CPU the limit allows per cycle: the two verifies and nothing else. */
        public double verifyCpuUsPerCycle() {
            return verifyCpuUs * SIGNATURES_PER_CYCLE;
        }

        /**
         * The ratio to the limit in CPU time rather than wall time: what the verifies of a cycle cost
         * over what the coordinator spent on the whole cycle. Holds when other work shares the cores.
         */
        public double cpuRatioToLimit() {
            return verifyCpuUsPerCycle() / coordinatorCpuUsPerCycle;
        }

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
            o.addProperty("warmup_units", warmupUnits);
            o.addProperty("coordinator_cpu_us_per_cycle", round(coordinatorCpuUsPerCycle));
            o.addProperty("client_cpu_us_per_cycle", round(clientCpuUsPerCycle));
            o.addProperty("verify_cpu_us", round(verifyCpuUs));
            o.addProperty("cpu_ratio_to_limit", Math.round(cpuRatioToLimit() * 1000) / 1000.0);
            o.addProperty("jit_cpu_us_per_cycle", round(jitCpuUsPerCycle));
            o.addProperty("announced_commits_per_node", announcedCommitsPerNode);
            o.addProperty("claims_with_peers", Math.round(claimsWithPeers * 1000) / 1000.0);
            o.addProperty("heartbeats", heartbeats);
            return new GsonBuilder().disableHtmlEscaping().create().toJson(o);
        }

        public String toText() {
            return String.format("%d units, %d clients, store %s, %d cores%n"
                    + "  claim + signed result: %.1f cycles/s (%.1f requests/s), claim p50/p99/p99.9 %.2f/%.2f/%.2f ms, "
                    + "result p50/p99/p99.9 %.2f/%.2f/%.2f ms%n"
                    + "  baseline GET /healthz: %.1f requests/s, p50 %.2f ms%n"
                    + "  ratio to baseline: %.3f%n"
                    + "  Ed25519 verify: %.0f/s on %d cores, limit %.1f cycles/s (%d signatures per cycle)%n"
                    + "  ratio to limit: %.3f%n"
                    + "  CPU per cycle: coordinator %.0f us (of which JIT compiling %.0f us), clients %.0f us; two verifies "
                    + "%.0f us; CPU ratio to limit %.3f%n"
                    + "  each client announced %d commits it holds before the timed phase; claims naming peers: %.3f;"
                    + " heartbeats (every %d s a node) in the timed phase: %d%n",
                    units, clients, store, cores, cyclesPerSecond, requestsPerSecond, claimP50Ms, claimP99Ms,
                    claimP999Ms, resultP50Ms, resultP99Ms, resultP999Ms, baselineRequestsPerSecond, baselineP50Ms,
                    ratioToBaseline(), verifiesPerSecond, cores, limitCyclesPerSecond(), SIGNATURES_PER_CYCLE,
                    ratioToLimit(), coordinatorCpuUsPerCycle, jitCpuUsPerCycle, clientCpuUsPerCycle, verifyCpuUsPerCycle(),
                    cpuRatioToLimit(), announcedCommitsPerNode, claimsWithPeers, Heartbeats.PERIOD_MS / 1000, heartbeats);
        }

        private static double round(double v) {
            return Math.round(v * 100) / 100.0;
        }
    }

    /** Rehearsals at most, before the timed phase, while the JIT's share of the CPU is above {@link #JIT_SETTLED}. */
    static final int MAX_REHEARSALS = 4;
    static final double JIT_SETTLED = 0.05;

    private CoordinatorBench() {
    }

    public static Report run(Config config, PrintStream progress) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        String store = config.store().isEmpty() ? "sqlite" : config.store();
        CoordinatorConfig coordinatorConfig = CoordinatorConfig.defaults(config.dataDir()).withStore(config.store());
        // one operator key registers every unit's experiment from one address: a load, not abuse
        // and every client claims from loopback's one address: the caps on leases held stay on, so
        // their counting is measured, but above what the clients can hold at once
        coordinatorConfig = coordinatorConfig.withLimits(coordinatorConfig.limits()
                .withDailyWrites(WriteQuota.Limits.none())
                .withLeasesHeld(LeaseCaps.Limits.defaults().atLeast(config.clients())));
        try (Coordinator coordinator = Coordinator.start(coordinatorConfig);
                ClosedLoopClients http = new ClosedLoopClients(coordinator.url())) {
            CoordinatorClient ops = new CoordinatorClient(coordinator.url(), Identity.generate());
            Random random = new Random(1);
            Seed seed = prepareSeed(ops, random, config.directions());
            List<Identity> proposers = proposers(ops.identity(), config.directions());
            String metric = seed.getManifest().getMetric().getName();
            if (config.warmupUnits() > 0) {
                register(http, proposers, seed, config.warmupUnits(), random);
                AtomicInteger warmed = new AtomicInteger();
                List<Supplier<ClosedLoopClients.Conversation>> warm = new ArrayList<>();
                for (int c = 0; c < config.clients(); c++) {
                    warm.add(() -> LiveConversations.warmUp(http, metric, warmed));
                }
                double seconds = http.run(warm);
                progress.printf("warm-up: %d units claimed and reported in %.1f s (not counted)%n", warmed.get(),
                        seconds);
            }
            // Rehearse the timed phase itself until the JIT has settled on it: a 2-core machine's
            // compiler threads are still working through the warm-up's backlog, which would be
            // counted against a coordinator that in service runs for days (see docs/performance.md).
            for (int r = 1; config.warmupUnits() > 0 && r <= MAX_REHEARSALS; r++) {
                register(http, proposers, seed, config.units(), random);
                List<PresignedNode> rehearsal = presign(ops, config.clients(), config.units() + 1, metric);
                Held rehearsalHeld = holdings(coordinator.url(), ops, seed, rehearsal, config);
                baseline(http, config);
                long cpuBefore = processCpuNanos();
                ThreadCpu jit = ThreadCpu.start();
                Cycles rehearsed = cycles(http, rehearsal, rehearsalHeld);
                int n = rehearsed.results.size();
                double jitShare = jit.jitSince(n) / ((processCpuNanos() - cpuBefore) / 1000.0 / n);
                progress.printf("rehearsal %d: %d units claimed and reported in %.1f s, JIT %.0f%% of the CPU (not"
                        + " counted)%n", r, n, rehearsed.seconds, 100 * jitShare);
                if (jitShare < JIT_SETTLED) {
                    break;
                }
            }
            register(http, proposers, seed, config.units(), random);
            progress.printf("prepared %d EVALUATE units (plus the baseline's)%n", config.units());
            long signStart = System.nanoTime();
            List<PresignedNode> nodes = presign(ops, config.clients(), config.units() + 1, metric);
            progress.printf("signed %d claims and %d results for %d clients in %.1f s, before the timed phase%n",
                    nodes.stream().mapToInt(PresignedNode::claimCount).sum(),
                    nodes.stream().mapToLong(PresignedNode::resultCount).sum(), nodes.size(),
                    (System.nanoTime() - signStart) / 1e9);
            Held held = holdings(coordinator.url(), ops, seed, nodes, config);
            int announced = held.announced();
            if (config.announce()) {
                progress.printf("each of %d clients announced the %d commits it holds (the seed's and every open"
                        + " unit's), before the timed phase, and announces them again every %d s in it%n",
                        nodes.size(), announced, Heartbeats.PERIOD_MS / 1000);
            }
            Samples baseline = baseline(http, config);
            progress.printf("baseline: %d GET /healthz in %.1f s%n", baseline.count(), baseline.seconds);
            // The limit is measured here, on a JVM as warm as the coordinator it is compared with:
            // measured first, on a cold JVM, the verifies shared the cores with the JIT compiling them.
            VerifyRate.Rate verifies = VerifyRate.measure(cores, progress);
            long processCpu = processCpuNanos();
            long clientCpu = http.cpuNanos();
            ThreadCpu threads = ThreadCpu.start();
            long jitMs = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
            long gcMs = gcMillis();
            Cycles load = cycles(http, nodes, held);
            long coordinatorCpu = processCpuNanos() - processCpu - (http.cpuNanos() - clientCpu);
            long clientsCpu = http.cpuNanos() - clientCpu;
            int cycles = load.results.size();
            if (cycles < config.units()) {
                throw new IllegalStateException("only " + cycles + " of " + config.units() + " units were reported");
            }
            progress.printf("load: %d units claimed and reported in %.1f s%n", cycles, load.seconds);
            progress.printf("CPU per cycle by thread (us; GC and JIT threads are not listed by the JVM): %s%n",
                    threads.since(cycles));
            double jitCpu = threads.jitSince(cycles);
            progress.printf("JIT compiling %d ms (%.0f us CPU per cycle), GC %d ms (pauses and cycles) during the "
                    + "timed phase%n", ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitMs,
                    jitCpu, gcMillis() - gcMs);
            Samples claims = Samples.of(load.claims, load.seconds);
            Samples results = Samples.of(load.results, load.seconds);
            return new Report(config.units(), config.clients(), cycles / load.seconds, 2.0 * cycles / load.seconds,
                    baseline.count() / baseline.seconds, claims.percentile(50), claims.percentile(99),
                    results.percentile(50), results.percentile(99), baseline.percentile(50),
                    store.replaceAll("//([^:/@]*):[^@]*@", "//$1:***@"), cores, verifies.perSecond(),
                    claims.percentile(99.9), results.percentile(99.9), config.warmupUnits(),
                    coordinatorCpu / 1000.0 / cycles, clientsCpu / 1000.0 / cycles, verifies.cpuNanos() / 1000.0,
                    jitCpu, announced, load.withPeers / (double) cycles, load.heartbeats);
        }
    }

    /** @param commits what each node holds and sends again in its heartbeats; @param announced how many it announced */
    private record Held(List<String> commits, int announced) {
    }

    /** The clients announce what they hold, as nodes do, when the run asks (else they hold nothing). */
    private static Held holdings(String url, CoordinatorClient ops, Seed seed, List<PresignedNode> nodes, Config config)
            throws CoordinatorException {
        if (!config.announce()) {
            return new Held(List.of(), 0);
        }
        List<String> held = AnnouncedHoldings.held(seed.getCommit(), open(ops));
        return new Held(held, AnnouncedHoldings.announce(url, nodes, held));
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> Math.max(0, b.getCollectionTime()))
                .sum();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * A seed and its directions: quorum 1 and one adoption seed, so each experiment is one EVALUATE
     * unit. Several directions let a shared store settle their results at once (settlement is
     * serialized per direction there).
     */
    private static Seed prepareSeed(CoordinatorClient ops, Random random, int directions) throws CoordinatorException {
        Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).setAdoptionSeeds(1).clearTrustedProposers()
                .build();
        Seed seed = Seed.newBuilder().setName("bench").setCommit(commit(random)).setManifest(manifest)
                .setPublisher(ops.identity().publicId().toByteString()).setPublishedMs(System.currentTimeMillis()).build();
        ops.publishSeed(seed);
        for (int d = 0; d < directions; d++) {
            ops.openDirection(Direction.newBuilder().setName(directionName(d)).setSeed("bench")
                    .setBaseCommit(seed.getCommit()).setOpenedBy(ops.identity().publicId().toByteString())
                    .setOpenedMs(System.currentTimeMillis()).build());
        }
        return seed;
    }

    /** One experiment per unit, registered over a few connections (this is set-up, not measured). */
    /** The first direction keeps the name it always had, so one-direction runs read as before. */
    private static String directionName(int d) {
        return d == 0 ? "load" : "load-" + d;
    }

    /**
     * Who proposes each direction's experiments: the operator the first, a key of its own each
     * other, as agents of different directions would (kept so that figures compare with earlier
     * runs; on a shared store one proposer's results now meet only on its record's row, at commit).
     */
    private static List<Identity> proposers(Identity operator, int directions) {
        List<Identity> proposers = new ArrayList<>(List.of(operator));
        while (proposers.size() < directions) {
            proposers.add(Identity.generate());
        }
        return proposers;
    }

    private static void register(ClosedLoopClients http, List<Identity> proposers, Seed seed, int units,
            Random random) throws Exception {
        List<Experiment> experiments = new ArrayList<>();
        Map<ByteString, Identity> byKey = new HashMap<>();
        proposers.forEach(p -> byKey.put(p.publicId().toByteString(), p));
        for (int i = 0; i < units; i++) {
            experiments.add(Experiment.newBuilder().setSeed("bench").setDirection(directionName(i % proposers.size()))
                    .setCommit(commit(random)).setParent(seed.getCommit())
                    .setProposer(proposers.get(i % proposers.size()).publicId().toByteString())
                    .setCreatedMs(System.currentTimeMillis()).build());
        }
        Iterator<Experiment> next = experiments.iterator();
        List<Supplier<ClosedLoopClients.Conversation>> conversations = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            conversations.add(() -> LiveConversations.register(http, e -> byKey.get(e.getProposer()), next));
        }
        http.run(conversations);
    }

    private static List<WorkUnit> open(CoordinatorClient ops) throws CoordinatorException {
        return ops.units("OPEN").getUnitsList().stream().map(UnitStatus::getUnit)
                .filter(u -> u.getKind() == WorkUnit.Kind.EVALUATE).toList();
    }

    /** Each client's claims and its results for every open unit, signed on all cores before the run. */
    private static List<PresignedNode> presign(CoordinatorClient ops, int clients, int claims, String metric)
            throws Exception {
        List<WorkUnit> units = open(ops);
        String network = ops.network();
        int perClient = Math.min(claims, Reputation.INITIAL_QUOTA);
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        try {
            List<Future<PresignedNode>> signed = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                signed.add(pool.submit(() -> PresignedNode.sign(network, perClient, units, metric)));
            }
            List<PresignedNode> nodes = new ArrayList<>();
            for (Future<PresignedNode> f : signed) {
                nodes.add(f.get());
            }
            return nodes;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Samples baseline(ClosedLoopClients http, Config config) throws Exception {
        int perClient = Math.max(1, config.baselineRequests() / config.clients());
        List<Double> ms = new ArrayList<>();
        List<Supplier<ClosedLoopClients.Conversation>> conversations = new ArrayList<>();
        for (int c = 0; c < config.clients(); c++) {
            conversations.add(() -> new ClosedLoopClients.Conversation() {
                private int sent = 1;

                @Override
                public FullHttpRequest first() {
                    return http.get("/healthz");
                }

                @Override
                public FullHttpRequest next(FullHttpResponse response, double latency) throws IOException {
                    expectOk(response, "GET /healthz");
                    ms.add(latency);
                    return sent++ < perClient ? http.get("/healthz") : null;
                }
            });
        }
        double seconds = http.run(conversations);
        return Samples.of(ms, seconds);
    }

    /** Latencies of one closed-loop run; every list is filled on the clients' one event loop thread. */
    /** @param withPeers claims whose unit named at least one node holding its commit */
    /** @param heartbeats the nodes' heartbeats sent during the run */
    private record Cycles(List<Double> claims, List<Double> results, double seconds, int withPeers, int heartbeats) {
    }

    /** The nodes' cycles; with {@code held} commits (they announced them), each node's heartbeat too. */
    private static Cycles cycles(ClosedLoopClients http, List<PresignedNode> nodes, Held held) throws Exception {
        List<Double> claims = new ArrayList<>();
        List<Double> results = new ArrayList<>();
        int[] counts = new int[2];  // claims with peers, heartbeats
        List<Supplier<ClosedLoopClients.Conversation>> conversations = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < nodes.size(); i++) {
            PresignedNode node = nodes.get(i);
            Heartbeats heartbeats = held.commits().isEmpty() ? null
                    : Heartbeats.of(node, http.network(), i, nodes.size(), held.commits(), start);
            conversations.add(() -> new Cycle(http, node, claims, results, counts, heartbeats));
        }
        double seconds = http.run(conversations);
        return new Cycles(claims, results, seconds, counts[0], counts[1]);
    }

    /**
     * Claim, then report the pre-signed result for the unit the coordinator handed out; until none is
     * left. Before a claim, the node's heartbeat when one is due (a node's work loop sends it between
     * its exchanges), on the same connection; its latency is not one of the claims'.
     */
    private static final class Cycle implements ClosedLoopClients.Conversation {
        private final ClosedLoopClients http;
        private final PresignedNode node;
        private final List<Double> claims;
        private final List<Double> results;
        /** Claims with peers, heartbeats sent: shared by the run's conversations, on the clients' one thread. */
        private final int[] counts;
        private final Heartbeats heartbeats;
        private int claimed;
        private boolean awaitingClaim;
        private boolean awaitingHeartbeat;

        Cycle(ClosedLoopClients http, PresignedNode node, List<Double> claims, List<Double> results, int[] counts,
                Heartbeats heartbeats) {
            this.http = http;
            this.counts = counts;
            this.node = node;
            this.claims = claims;
            this.results = results;
            this.heartbeats = heartbeats;
        }

        @Override
        public FullHttpRequest first() {
            return claimOrHeartbeat();
        }

        private FullHttpRequest claimOrHeartbeat() {
            long now = System.nanoTime();
            if (heartbeats != null && heartbeats.due(now)) {
                awaitingHeartbeat = true;
                return http.post("/v1/announce", heartbeats.next(now));
            }
            awaitingClaim = true;
            return http.post("/v1/claim", node.claim(claimed++));
        }

        @Override
        public FullHttpRequest next(FullHttpResponse response, double ms) throws IOException {
            if (awaitingHeartbeat) {
                expectOk(response, "heartbeat");
                awaitingHeartbeat = false;
                counts[1]++;
                awaitingClaim = true;
                return http.post("/v1/claim", node.claim(claimed++));
            }
            if (awaitingClaim) {
                expectOk(response, "claim");
                claims.add(ms);
                ClaimResponse claim = ClaimResponse.parseFrom(ByteBufUtil.getBytes(response.content()));
                if (!claim.hasUnit()) {
                    return null;
                }
                if (claim.getUnit().getPeersCount() > 0) {
                    counts[0]++;
                }
                byte[] result = node.resultFor(claim.getUnit().getId());
                if (result == null) {
                    throw new IOException("claimed unit " + claim.getUnit().getId() + " was not open when signing");
                }
                awaitingClaim = false;
                return http.post("/v1/results", result);
            }
            expectOk(response, "result");
            results.add(ms);
            // Out of pre-signed claims (the daily quota of a fresh key): this client stops.
            return claimed < node.claimCount() ? claimOrHeartbeat() : null;
        }
    }

    private static void expectOk(FullHttpResponse response, String what) throws IOException {
        if (response.status().code() != 200) {
            throw new IOException(what + " answered " + response.status() + ": "
                    + response.content().toString(StandardCharsets.UTF_8));
        }
    }

    private static String commit(Random random) {
        byte[] id = new byte[20];
        random.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    private record Samples(double[] sortedMs, double seconds) {
        static Samples of(List<Double> ms, double seconds) {
            return new Samples(ms.stream().mapToDouble(Double::doubleValue).sorted().toArray(), seconds);
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
