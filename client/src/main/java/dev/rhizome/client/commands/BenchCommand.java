package dev.rhizome.client.commands;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.StoreOption;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.UnresolvableStoreHost;
import dev.rhizome.ops.InvalidOptionValue;
import dev.rhizome.ops.bench.BenchReport;
import dev.rhizome.ops.bench.CoordinatorBench;
import dev.rhizome.ops.bench.GossipBench;
import dev.rhizome.ops.bench.GossipBenchConfig;
import dev.rhizome.ops.bench.GossipSimulation;
import dev.rhizome.ops.bench.NodeBench;
import dev.rhizome.ops.bench.NodeJvm;
import dev.rhizome.ops.bench.ReadsBench;
import dev.rhizome.ops.bench.RepackBench;
import dev.rhizome.ops.bench.ReplayCost;
import dev.rhizome.ops.bench.SimulationConfig;
import dev.rhizome.ops.bench.SoakBench;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Gossip.class, BenchCommand.CoordinatorLoad.class, BenchCommand.Soak.class,
                BenchCommand.Node.class, BenchCommand.Repack.class, BenchCommand.Reads.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a benchmark is required, e.g. `bench gossip`");
    }

    /** With --json, progress and the text summary go to standard error so that standard output is the JSON line. */
    static PrintStream progress(boolean json) {
        return json ? System.err : System.out;
    }

    /** A benchmark's settings, with a bad value reported as a usage error naming it. */
    static <T> T settings(Callable<T> build) throws Exception {
        try {
            return build.call();
        } catch (IllegalArgumentException e) {
            throw BadValue.of(e);
        }
    }

    /** Prints the summary for people, then, with --json, the one JSON line on standard output. */
    static void print(BenchReport report, boolean json) {
        new Output(progress(json)).text(report.toText());
        if (json) {
            new Output(System.out).json(report.toJson());
        }
    }

    /**
     * A benchmark's settings with its data directory: {@code given}, or a fresh temporary one, which
     * is removed again when the settings are refused (it was left behind, empty, by a bad value).
     */
    static <T> T settings(Path given, String prefix, Function<Path, T> build) throws Exception {
        Path dir = given != null ? given : Files.createTempDirectory(prefix);
        try {
            return settings(() -> build.apply(dir));
        } catch (CommandException refused) {
            if (given == null) {
                Files.deleteIfExists(dir);
            }
            throw refused;
        }
    }

    @Command(name = "gossip", mixinStandardHelpOptions = true,
            description = {"K real nodes in this JVM on loopback, in a random graph of degree D; M bundles injected at random",
                "nodes. Runs the gossip protocol, then a naive flooding baseline on the same graph, and prints for both",
                "the time to full delivery (median and p99 per bundle), bundle bytes received per byte needed",
                "(amplification) and control messages per node. In the same run it measures one direct transfer of the",
                "same bundle (direct_transfer_ms) and one fetch of it in pieces from several holders at once",
                "(ranged_transfer_ms), and prints the ratios. --large is the 10 MiB case.",
                "Node processes run for days, so the gossip network first delivers one untimed round of bundles",
                "(--warmup-bundles) and both baselines are measured again after it, on compiled code; the cold ones",
                "(cold_direct_transfer_ms) are printed too. delivery_cpu_ms_per_copy is the process's CPU from",
                "injection to full delivery per bundle copy delivered. With --held-history every bundle is a thin child of",
                "a history every node holds (held_history_commits), the shape nodes really fetch.",
                "With --simulate, drives the same protocol core without sockets over simulated latency and loss instead",
                "(10,000 nodes by default) and prints time and rounds to full delivery.",
                "With --replay, starts no nodes: it measures what a rogue replaying captured signed records costs one",
                "gossip core per message once its seen cache forgot them, as ratios to a duplicate and to a fresh record",
                "in the same run, and the share of a core such replays take at a link's full rate.",
                "With --json the last line of standard output is one JSON object (progress goes to standard error)."})
    static final class Gossip implements Callable<Integer> {
        @Option(names = "--nodes", converter = Bounded.PositiveInt.class, description = "Nodes (default 50, or 10000 with --simulate).", paramLabel = "N")
        Integer nodes;

        @Option(names = "--simulate", description = "Simulate the protocol core for many nodes instead of running real ones.")
        boolean simulate;

        @Option(names = "--degree", converter = Bounded.PositiveInt.class, defaultValue = "6", description = "Neighbours per node (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int degree;

        @Option(names = "--bundles", converter = Bounded.PositiveInt.class, defaultValue = "10", description = "Bundles injected (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int bundles;

        @Option(names = "--bundle-bytes", converter = Bounded.PositiveInt.class, defaultValue = "65536", description = "Random bytes per bundle (default ${DEFAULT-VALUE}).", paramLabel = "BYTES")
        int bundleBytes;

        @Option(names = "--seed", defaultValue = "1", description = "Seeds the graph, injection points and contents (default ${DEFAULT-VALUE}).", paramLabel = "N")
        long seed;

        @Option(names = "--large", description = {"The 10 MiB case: one bundle of 10 MiB (sets --bundles 1 and --bundle-bytes 10485760), " +
                "without the flooding baseline unless --flood is given."})
        boolean large;

        @Option(names = "--flood", negatable = true, description = "Also run the flooding baseline (default: on, off with --large).")
        Boolean flood;

        @Option(names = "--upload-mibps", converter = Bounded.NonNegativeLong.class, paramLabel = "MIB_PER_SECOND",
                description = "Every node's upload pacing in MiB/s, 0 for none (default: the node default, 32).")
        Long uploadMibps;

        @Option(names = "--range-holders", converter = Bounded.NonNegativeInt.class, defaultValue = "4",
                description = "Holders of the ranged-transfer baseline, fetched from at once; 0 skips it (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int rangeHolders;

        @Option(names = "--deadline", converter = Bounded.PositiveSeconds.class, defaultValue = "120", paramLabel = "SECONDS",
                description = "Stop a run that has not delivered everything after this long (default ${DEFAULT-VALUE}).")
        long deadlineSeconds;

        @Option(names = "--warmup-bundles", converter = Bounded.NonNegativeInt.class, paramLabel = "BUNDLES",
                description = {"Bundles of one untimed round delivered through the same gossip network first, with the " +
                "direct and ranged baselines measured again after it (default: as many as --bundles; 0 measures cold)."})
        Integer warmupBundles;

        @Option(names = "--held-history", converter = Bounded.NonNegativeInt.class, defaultValue = "0", paramLabel = "COMMITS",
                description = {"Give every node (and both baselines' ends) a chain of this many commits first, one pack each, " +
                "and make every bundle a child of its tip: bundles then travel thin and are imported as nodes import a " +
                "direction's next experiment (prerequisites checked, the walk stopping at the held history). " +
                "0, the default, makes every bundle a root commit, as the figures of earlier rounds (at most " +
                GossipBenchConfig.MAX_HELD_HISTORY + ")."})
        int heldHistory;

        @Option(names = "--replay", description = "Measure instead what replayed signed records cost the gossip core per message (starts no nodes; the options of a run do not apply).")
        boolean replay;

        @Option(names = "--json", description = "End with one JSON summary line on standard output.")
        boolean json;

        @Option(names = "--verbose", description = "Keep the nodes' INFO logs (hundreds of lines).")
        boolean verbose;

        @Override
        public Integer call() throws Exception {
            if (!verbose) {
                ((Logger) LoggerFactory.getLogger("dev.rhizome")).setLevel(Level.WARN);
            }
            if (replay) {
                print(ReplayCost.measure(ReplayCost.MESSAGES, progress(json)), json);
                return ExitCodes.OK;
            }
            if (simulate) {
                SimulationConfig d = SimulationConfig.defaults();
                SimulationConfig config = settings(() -> new SimulationConfig(nodes == null ? d.nodes() : nodes, bundles,
                        degree, bundleBytes, d.minLatencyMs(), d.maxLatencyMs(), d.loss(), d.bandwidthBytesPerSec(), seed,
                        d.injectAtMs(), d.staggerMs(), d.deadlineMs(), d.gossip()));
                print(GossipSimulation.run(config, progress(json)), json);
                return ExitCodes.OK;
            }
            GossipBenchConfig config = settings(() -> new GossipBenchConfig(nodes == null ? 50 : nodes, degree,
                    large ? 1 : bundles, large ? GossipBenchConfig.LARGE_BUNDLE_BYTES : bundleBytes, seed,
                    Duration.ofSeconds(deadlineSeconds), flood == null ? !large : flood, rangeHolders,
                    uploadMibps == null ? -1 : uploadMibps << 20, warmupBundles == null ? (large ? 1 : bundles) : warmupBundles,
                    heldHistory));
            print(GossipBench.run(config, progress(json)), json);
            return ExitCodes.OK;
        }
    }

    @Command(name = "coordinator", mixinStandardHelpOptions = true,
            description = {"Load on a real coordinator on loopback (Netty HTTP, SQLite or PostgreSQL, durable commits).",
                "C clients each claim an EVALUATE unit and report a signed result until N units are done. The baseline,",
                "measured in the same run by the same clients, is bare GET /healthz; the ratio of request rates says",
                "what signatures, transactions and durability cost. The limit, measured in the same run, is the Ed25519",
                "verify rate on these cores over the signatures per cycle (limit_cycles_per_second, ratio_to_limit).",
                "The clients share the cores, so they pre-compute before the timed phase: each client is a fresh key",
                "that signs its claims (each with its own random nonce) and one result for every open unit (it sends",
                "the one for the unit it is given), all stamped with the time of signing, inside the 5-minute replay",
                "window. The timed phase then sends these prepared protobuf bodies over keep-alive connections from",
                "one Netty event loop. The limit counts only the coordinator's verifies, so the clients' signing is",
                "kept out of it. A warm-up on units and keys of its own comes first and is not counted.",
                "coordinator_cpu_us_per_cycle is the process's CPU time in the timed phase less the clients' thread,",
                "per cycle; cpu_ratio_to_limit is the CPU of two verifies over it (robust when the cores are shared).",
                "With --json the last line of standard output is one JSON object (progress goes to standard error)."})
    static final class CoordinatorLoad implements Callable<Integer> {
        // Enough units that the timed phase lasts seconds, not the JIT's first moments; at most about
        // 160 per client, as each client is one fresh key and a fresh key may take 200 leases a day.
        @Option(names = "--units", converter = Bounded.PositiveInt.class, defaultValue = "2500", description = "Work units to claim and report (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int units;

        // Enough requests in flight that a group commit shares its fsync among several.
        @Option(names = "--clients", converter = Bounded.PositiveInt.class, defaultValue = "16", description = "Concurrent nodes (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int clients;

        // The coordinator's per-request methods run once per request; the JIT compiles them fully
        // only after some ten thousand calls, so the warm-up is that long.
        @Option(names = "--warmup-units", converter = Bounded.NonNegativeInt.class, defaultValue = "12000",
                description = "Units claimed and reported first, by other keys, and not counted (default ${DEFAULT-VALUE}); "
                        + "when above 0, one rehearsal of the timed phase (as many units again) follows, also not counted.", paramLabel = "N")
        int warmupUnits;

        @Option(names = "--baseline-requests", converter = Bounded.PositiveInt.class, defaultValue = "2000",
                description = "GET /healthz requests for the baseline (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int baselineRequests;

        @Option(names = "--data-dir", paramLabel = "DIR", converter = PathArguments.DataDirectory.class, description = "The coordinator's data (default: a new temporary directory).")
        Path dataDir;

        @Option(names = "--store", paramLabel = "ADDRESS", defaultValue = "sqlite",
                description = "sqlite (default) or postgresql://USER:PASSWORD@HOST:PORT/DATABASE; a fresh schema is used.")
        String store;

        @Option(names = "--directions", converter = Bounded.PositiveInt.class, defaultValue = "1",
                description = "Directions the units are spread over, round robin (default ${DEFAULT-VALUE}); "
                        + "on PostgreSQL results of different directions settle at once.", paramLabel = "N")
        int directions;

        // Real nodes announce the commits they hold, and a claim then ranks the holders of its
        // unit's commit; without announcements that read always finds none (runs before round 33).
        @Option(names = "--no-announce", description = "The clients announce no commits, as runs before round 33 did: "
                + "no claim then has holders to rank (by default each client announces the seed's commit and every "
                + "open unit's before each phase, as a node that gossip delivered them to would, and again every 10 s "
                + "in the phase, as a node's heartbeat).")
        boolean noAnnounce;

        @Option(names = "--json", description = "End with one JSON summary line on standard output: mode, store, cores, "
                + "units, clients, cycles_per_second, requests_per_second, baseline_requests_per_second, ratio_to_baseline, "
                + "verifies_per_second, limit_cycles_per_second, ratio_to_limit, claim_p50_ms, claim_p99_ms, claim_p999_ms, "
                + "result_p50_ms, result_p99_ms, result_p999_ms, baseline_p50_ms, warmup_units, coordinator_cpu_us_per_cycle, "
                + "client_cpu_us_per_cycle, verify_cpu_us, cpu_ratio_to_limit, jit_cpu_us_per_cycle, "
                + "announced_commits_per_node, claims_with_peers, heartbeats.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ((Logger) LoggerFactory.getLogger("dev.rhizome")).setLevel(Level.WARN);
            String address = freshSchemaAddress(store);
            CoordinatorBench.Config config = settings(dataDir, "rhizome-bench-coordinator-", dir -> new CoordinatorBench.Config(units, clients, baselineRequests,
                    dir, address, warmupUnits, directions, !noAnnounce));
            try (BenchSchema schema = BenchSchema.of(address)) {
                print(CoordinatorBench.run(config, progress(json)), json);
            } catch (UnresolvableStoreHost e) {
                throw StoreOption.unresolvable(e, "--store", "--store", store);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "soak", mixinStandardHelpOptions = true,
            description = {"A coordinator on loopback for a set time under honest load (N light in-process nodes speaking",
                "the real HTTP API: signed claims and results) with hostile clients mixed in (slowloris, oversized",
                "bodies, replayed claims, garbage JSON, pipelined bursts). Prints the heap after GC before and after,",
                "unexpected errors by kind, how each attack ended, p99 latency per minute, and acknowledged results lost.",
                "With --json the last line of standard output is one JSON object ending with errors_unexpected and lost."})
    static final class Soak implements Callable<Integer> {
        @Option(names = "--duration", defaultValue = "10m", description = "How long, e.g. 90s, 10m, 1h (default ${DEFAULT-VALUE}).", paramLabel = "DURATION")
        String duration;

        @Option(names = "--nodes", converter = Bounded.PositiveInt.class, defaultValue = "20", description = "Honest nodes (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int nodes;

        @Option(names = "--hostile", converter = Bounded.NonNegativeInt.class, defaultValue = "5", description = "Hostile clients (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int hostile;

        @Option(names = "--data-dir", paramLabel = "DIR", converter = PathArguments.DataDirectory.class, description = "The coordinator's data (default: a new temporary directory).")
        Path dataDir;

        @Option(names = "--json", description = "End with one JSON summary line on standard output.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ((Logger) LoggerFactory.getLogger("dev.rhizome")).setLevel(Level.ERROR);
            SoakBench.Config config = settings(dataDir, "rhizome-bench-soak-", dir -> new SoakBench.Config(parseDuration(duration), nodes, hostile,
                    dir));
            SoakBench.Report report = SoakBench.run(config, progress(json));
            print(report, json);
            return report.errorsUnexpected() == 0 && report.lost() == 0 ? ExitCodes.OK : ExitCodes.FAILED;
        }

        static Duration parseDuration(String text) {
            Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text.trim());
            if (!m.matches()) {
                throw new InvalidOptionValue("--duration", text, "a number and a unit (ms, s, m, h), e.g. 10m");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
    }

    @Command(name = "node", mixinStandardHelpOptions = true,
            description = {"A coordinator and one node on loopback run N short jobs on one slot, each commit fetched from a",
                "second node. Prints the gap between consecutive jobs (p50, p99) as the jobs themselves saw it, the node",
                "process's RSS (most) and CPU (while jobs ran) from /proc, and as the baseline the same jobs run back to",
                "back by a bare loop (check out, run) in this same invocation.",
                "With --json the last line of standard output is one JSON object (progress goes to standard error)."})
    static final class Node implements Callable<Integer> {
        @Option(names = "--jobs", converter = Bounded.PositiveInt.class, defaultValue = "50", description = "Jobs (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int jobs;

        @Option(names = "--steps", converter = Bounded.PositiveInt.class, defaultValue = "2", description = "Steps per job (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int steps;

        @Option(names = "--step-seconds", converter = Bounded.NonNegativeDouble.class, defaultValue = "0.1", description = "Seconds per step (default ${DEFAULT-VALUE}).", paramLabel = "SECONDS")
        double stepSeconds;

        @Option(names = "--data-dir", paramLabel = "DIR", converter = PathArguments.DataDirectory.class, description = "Where the roles keep their data (default: a new temporary directory).")
        Path dataDir;

        @Option(names = "--json", description = "End with one JSON summary line on standard output.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ((Logger) LoggerFactory.getLogger("dev.rhizome")).setLevel(Level.WARN);
            List<String> launcher = new ArrayList<>(DemoCommand.launcher());
            // The node runs with the flags a volunteer's node runs with, not the demo's.
            launcher.removeIf(a -> a.startsWith("-X"));
            launcher.addAll(1, NodeJvm.FLAGS);
            NodeBench.Config config = settings(dataDir, "rhizome-bench-node-", dir -> new NodeBench.Config(jobs, steps, stepSeconds, launcher,
                    dir));
            print(NodeBench.run(config, progress(json)), json);
            return ExitCodes.OK;
        }
    }

    @Command(name = "repack", mixinStandardHelpOptions = true,
            description = {"What a node repository's pack count costs a fetch: imports --packs bundles (one pack each, as a",
                "node's fetches do), times --imports more, repacks into one pack as the node's janitor does, and times",
                "--imports again, in this same run. Prints both medians and their ratio.",
                "With --json the last line of standard output is one JSON object (progress goes to standard error)."})
    static final class Repack implements Callable<Integer> {
        @Option(names = "--packs", converter = Bounded.PositiveInt.class, defaultValue = "500", description = "Packs before the repack (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int packs;

        @Option(names = "--imports", converter = Bounded.PositiveInt.class, defaultValue = "50", description = "Imports timed before and after (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int imports;

        @Option(names = "--data-dir", paramLabel = "DIR", converter = PathArguments.DataDirectory.class, description = "Where the repositories go (default: a new temporary directory).")
        Path dataDir;

        @Option(names = "--json", description = "End with one JSON summary line on standard output.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ((Logger) LoggerFactory.getLogger("dev.rhizome")).setLevel(Level.WARN);
            RepackBench.Config config = settings(dataDir, "rhizome-bench-repack-", dir -> new RepackBench.Config(packs, imports,
                    dir));
            print(RepackBench.run(config, progress(json)), json);
            return ExitCodes.OK;
        }
    }

    @Command(name = "reads", mixinStandardHelpOptions = true,
            description = {"The costliest reads, each as a ratio to GET /healthz in this same run: a page of 1,000 trials and",
                "one of 1,000 results from a coordinator on a history of --results experiments with a result each, each",
                "built (a page of its own at every ask) and asked again (shared by identical asks), and a claim's",
                "similar-work search (in process) for hypotheses of 20 and 700 words against 500 hypotheses of 4,096",
                "characters and 500 descriptions of 16 KiB, read afresh and with the tokens kept from earlier claims.",
                "Medians of --repeats after a warm-up.",
                "With --json the last line of standard output is one JSON object (progress goes to standard error)."})
    static final class Reads implements Callable<Integer> {
        @Option(names = "--results", converter = Bounded.PositiveInt.class, defaultValue = "1200",
                description = "Experiments in the history, one result each (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int results;

        @Option(names = "--repeats", converter = Bounded.PositiveInt.class, defaultValue = "10",
                description = "Timed repeats of each read (default ${DEFAULT-VALUE}).", paramLabel = "N")
        int repeats;

        @Option(names = "--data-dir", paramLabel = "DIR", converter = PathArguments.DataDirectory.class, description = "The coordinator's data (default: a new temporary directory).")
        Path dataDir;

        @Option(names = "--store", paramLabel = "ADDRESS", defaultValue = "sqlite",
                description = "sqlite (default) or postgresql://USER:PASSWORD@HOST:PORT/DATABASE; a fresh schema is used.")
        String store;

        @Option(names = "--json", description = "End with one JSON summary line on standard output: store (sqlite or postgresql), results, repeats, healthz_ms (the baseline), reads (each with read, median_ms and ratio, its median over healthz_ms).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ((Logger) LoggerFactory.getLogger("dev.rhizome")).setLevel(Level.WARN);
            String address = freshSchemaAddress(store);
            ReadsBench.Config config = settings(dataDir, "rhizome-bench-reads-", dir -> new ReadsBench.Config(results, repeats,
                    address, dir));
            try (BenchSchema schema = BenchSchema.of(address)) {
                print(ReadsBench.run(config, progress(json)), json);
            } catch (UnresolvableStoreHost e) {
                throw StoreOption.unresolvable(e, "--store", "--store", store);
            }
            return ExitCodes.OK;
        }
    }

    /**
     * The store address a benchmark runs on, from its {@code --store}: "" for SQLite, or the PostgreSQL
     * address with a fresh schema of its own (one given there is refused: the run drops its schema).
     */
    static String freshSchemaAddress(String store) {
        StoreOption.check(store, "--store", "--store", StoreOption.HINT);
        if (store.matches(".*[?&]schema=.*")) {
            throw CommandException.usage("--store", BadValue.refusal("--store", PostgresStore.redact(store),
                    "the benchmark makes a fresh schema of its own"), "leave schema= out of --store");
        }
        return store.equals("sqlite") ? "" : store + (store.contains("?") ? "&" : "?")
                + "schema=bench_" + Long.toHexString(System.nanoTime());
    }
}
