package dev.rhizome.client.commands;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.ops.bench.CoordinatorBench;
import dev.rhizome.ops.bench.GossipBench;
import dev.rhizome.ops.bench.GossipBenchConfig;
import dev.rhizome.ops.bench.GossipBenchReport;
import dev.rhizome.ops.bench.GossipSimulation;
import dev.rhizome.ops.bench.SimulationConfig;
import dev.rhizome.ops.bench.SimulationReport;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Gossip.class, BenchCommand.CoordinatorLoad.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a benchmark is required, e.g. `bench gossip`");
    }

    @Command(name = "gossip", mixinStandardHelpOptions = true,
            description = {"K real nodes in this JVM on loopback, in a random graph of degree D; M bundles injected at random",
                "nodes. Runs the gossip protocol, then a naive flooding baseline on the same graph, and prints for both",
                "the time to full delivery (median and p99 per bundle), bundle bytes received per byte needed",
                "(amplification) and control messages per node.",
                "With --simulate, drives the same protocol core without sockets over simulated latency and loss instead",
                "(10,000 nodes by default) and prints time and rounds to full delivery.",
                "With --json the last line of standard output is one JSON object (progress goes to standard error)."})
    static final class Gossip implements Callable<Integer> {
        @Option(names = "--nodes", description = "Nodes (default 50, or 10000 with --simulate).")
        Integer nodes;

        @Option(names = "--simulate", description = "Simulate the protocol core for many nodes instead of running real ones.")
        boolean simulate;

        @Option(names = "--degree", defaultValue = "6", description = "Neighbours per node (default ${DEFAULT-VALUE}).")
        int degree;

        @Option(names = "--bundles", defaultValue = "10", description = "Bundles injected (default ${DEFAULT-VALUE}).")
        int bundles;

        @Option(names = "--bundle-bytes", defaultValue = "65536", description = "Random bytes per bundle (default ${DEFAULT-VALUE}).")
        int bundleBytes;

        @Option(names = "--seed", defaultValue = "1", description = "Seeds the graph, injection points and contents (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--deadline", defaultValue = "120", paramLabel = "SECONDS",
                description = "Stop a run that has not delivered everything after this long (default ${DEFAULT-VALUE}).")
        long deadlineSeconds;

        @Option(names = "--json", description = "End with one JSON summary line on standard output.")
        boolean json;

        @Option(names = "--verbose", description = "Keep the nodes' INFO logs (hundreds of lines).")
        boolean verbose;

        @Override
        public Integer call() throws IOException, InterruptedException {
            if (!verbose) {
                ((Logger) LoggerFactory.getLogger("dev.rhizome")).setLevel(Level.WARN);
            }
            PrintStream progress = json ? System.err : System.out;
            if (simulate) {
                return simulate(progress);
            }
            GossipBenchConfig config;
            try {
                config = new GossipBenchConfig(nodes == null ? 50 : nodes, degree, bundles, bundleBytes, seed,
                        Duration.ofSeconds(deadlineSeconds));
            } catch (IllegalArgumentException e) {
                throw new CommandException(ExitCodes.USAGE, e.getMessage());
            }
            GossipBenchReport report = GossipBench.run(config, progress);
            progress.print(report.toText());
            if (json) {
                System.out.println(report.toJson());
            }
            return ExitCodes.OK;
        }

        private int simulate(PrintStream progress) {
            SimulationConfig d = SimulationConfig.defaults();
            SimulationConfig config;
            try {
                config = new SimulationConfig(nodes == null ? d.nodes() : nodes, bundles, degree, bundleBytes, d.minLatencyMs(),
                        d.maxLatencyMs(), d.loss(), d.bandwidthBytesPerSec(), seed, d.injectAtMs(), d.staggerMs(),
                        d.deadlineMs(), d.gossip());
            } catch (IllegalArgumentException e) {
                throw new CommandException(ExitCodes.USAGE, e.getMessage());
            }
            SimulationReport report = GossipSimulation.run(config, progress);
            progress.printf("%d simulated nodes, %d bundles: %.1f%% delivered, full delivery after %d ms in %d rounds, "
                            + "p50 %d ms, p99 %d ms, amplification %.2f, %.1f control messages per node (%.1f s)%n",
                    report.nodes(), report.bundles(), 100 * report.deliveredFraction(), report.fullDeliveryMs(), report.rounds(),
                    report.p50DeliveryMs(), report.p99DeliveryMs(), report.amplification(), report.controlMessagesPerNode(),
                    report.wallSeconds());
            if (json) {
                System.out.println(report.toJson());
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "coordinator", mixinStandardHelpOptions = true,
            description = {"Load on a real coordinator on loopback (Netty HTTP, SQLite or PostgreSQL, durable commits):",
                "C clients each claim an EVALUATE unit and report a signed result until N units are done. The baseline,",
                "measured in the same run by the same clients, is bare GET /healthz; the ratio of request rates says",
                "what signatures, transactions and durability cost. The limit, measured in the same run, is the Ed25519",
                "verify rate on these cores over the signatures per cycle (limit_cycles_per_second, ratio_to_limit).",
                "With --json the last line of standard output is one JSON object (progress goes to standard error)."})
    static final class CoordinatorLoad implements Callable<Integer> {
        @Option(names = "--units", defaultValue = "500", description = "Work units to claim and report (default ${DEFAULT-VALUE}).")
        int units;

        @Option(names = "--clients", defaultValue = "4", description = "Concurrent nodes (default ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--baseline-requests", defaultValue = "2000",
                description = "GET /healthz requests for the baseline (default ${DEFAULT-VALUE}).")
        int baselineRequests;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "The coordinator's data (default: a new temporary directory).")
        java.nio.file.Path dataDir;

        @Option(names = "--store", paramLabel = "ADDRESS", defaultValue = "sqlite",
                description = "sqlite (default) or postgresql://USER:PASSWORD@HOST:PORT/DATABASE; a fresh schema is used.")
        String store;

        @Option(names = "--json", description = "End with one JSON summary line on standard output.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            ((Logger) LoggerFactory.getLogger("dev.rhizome")).setLevel(Level.WARN);
            PrintStream progress = json ? System.err : System.out;
            CoordinatorBench.Config config;
            try {
                String address = store.equals("sqlite") ? "" : store + (store.contains("?") ? "&" : "?")
                        + "schema=bench_" + Long.toHexString(System.nanoTime());
                config = new CoordinatorBench.Config(units, clients, baselineRequests,
                        dataDir != null ? dataDir : java.nio.file.Files.createTempDirectory("rhizome-bench-coordinator-"),
                        address);
            } catch (IllegalArgumentException e) {
                throw new CommandException(ExitCodes.USAGE, e.getMessage());
            }
            CoordinatorBench.Report report = CoordinatorBench.run(config, progress);
            progress.print(report.toText());
            if (json) {
                System.out.println(report.toJson());
            }
            return ExitCodes.OK;
        }
    }
}
