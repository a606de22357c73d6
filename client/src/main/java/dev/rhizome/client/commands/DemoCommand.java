package dev.rhizome.client.commands;

import dev.rhizome.client.Main;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.demo.Demo;
import dev.rhizome.ops.demo.DemoConfig;
import dev.rhizome.ops.demo.DemoSummary;
import dev.rhizome.protocol.seed.ManifestException;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a whole network on this machine: a coordinator and N volunteer nodes as separate processes",
            "on loopback, the tiny-lm seed, and explorers working on a few directions; then print a summary.",
            "Without --duration it runs until the network adopts a change (a candidate that beat its direction's",
            "frontier at the trial seeds and again at fresh seeds the coordinator drew), at least 90 s and at",
            "most 5 minutes: about 3-4 minutes on a quiet machine. With --duration it runs that long, whatever",
            "is adopted. Either way the summary says what was adopted and which candidates were still confirming.",
            "With --json the last line of standard output is one JSON object (progress goes to standard error)."})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--nodes", converter = Bounded.PositiveInt.class, defaultValue = "3", description = "Volunteer nodes to start (default ${DEFAULT-VALUE}).", paramLabel = "N")
    int nodes;

    @Option(names = "--duration", converter = Bounded.PositiveSeconds.class, paramLabel = "SECONDS",
            description = {"How long the explorers run, in seconds or with a unit (90s, 5m). Default: until the first "
                + "adoption, at least 90 s and at most 5 minutes (8 when a candidate is then confirming at fresh seeds)."})
    Long durationSeconds;

    @Option(names = "--min-results", converter = Bounded.NonNegativeInt.class, defaultValue = "0", paramLabel = "N",
            description = {"After --duration, keep going until N results are in and an experiment is registered, for at most another --duration, " +
                "longer on a machine loaded past its cores (up to 10 min or --duration) " +
                "(default ${DEFAULT-VALUE}: stop at --duration). For loaded machines and tests."})
    int minResults;

    @Option(names = "--directions", converter = Bounded.PositiveInt.class, defaultValue = "3", description = "Directions to open (default ${DEFAULT-VALUE}).", paramLabel = "N")
    int directions;

    @Option(names = "--data-dir", paramLabel = "DIR", converter = PathArguments.DataDirectory.class, description = "Where to keep the demo's data (default: a new temporary directory).")
    Path dataDir;

    @Option(names = "--json", description = "End with one JSON summary line on standard output.")
    boolean json;

    @Override
    public Integer call() throws IOException, InterruptedException {
        // no --duration: the default run ends once the network has shown what it is for, an adoption
        boolean untilAdoption = durationSeconds == null;
        Duration duration = untilAdoption ? DemoConfig.DEFAULT_CAP : Duration.ofSeconds(durationSeconds);
        try {
            DemoConfig.check(nodes, duration, directions, minResults);
        } catch (IllegalArgumentException e) {
            throw BadValue.of(e);
        }
        // made only once the values passed: made before, a refused --nodes left an empty directory behind
        Path dir = dataDir != null ? dataDir.toAbsolutePath()
                : Files.createTempDirectory("rhizome-demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-");
        DemoConfig config = new DemoConfig(nodes, duration, directions, minResults, dir, launcher(), untilAdoption);
        PrintStream progress = json ? System.err : System.out;
        DemoSummary summary;
        try {
            summary = new Demo(config, progress).run();
        } catch (CoordinatorException e) {
            throw new CommandException(ExitCodes.FAILED, "demo failed: " + e.getMessage());
        } catch (ManifestException e) {
            throw new CommandException(ExitCodes.FAILED, "the built-in seed is broken: " + e.getMessage());
        }
        Output shown = new Output(progress);
        shown.text(summary.toText());
        if (summary.results() == 0) {
            // "0 results" and exit 0 told a new user nothing: on a busy machine the nodes' JVMs and
            // jobs (at the lowest priority) may not get going within the duration
            shown.line(nothingHappened(duration.toSeconds(), dir));
        }
        if (json) {
            new Output(System.out).json(summary.toJson());
        }
        return ExitCodes.OK;
    }

    /** Why a demo may end with no result, and what to do: run it longer, or read the nodes' logs. */
    static String nothingHappened(long durationSeconds, Path dir) {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double load = os.getSystemLoadAverage();
        return "note: no result came in within " + durationSeconds + " s"
                + (load >= 0 ? String.format(" (load average %.1f on %d cores)", load, os.getAvailableProcessors()) : "")
                + ": on a busy or slow machine the nodes and their jobs (run at the lowest priority) need longer; "
                + "run it longer: `rhizome demo --duration 10m`, and see what the nodes did in "
                + Shell.quote(dir) + "/node-*/node.log";
    }

    /** Starts roles with this same JVM and classpath, so the demo runs exactly the code a deployment runs. */
    public static List<String> launcher() {
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Absolute entries: children may not share our working directory's meaning of a relative path.
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().normalize().toString())
                .collect(Collectors.joining(File.pathSeparator));
        // Small heaps and the quick JIT: on a 2-core machine the training jobs need the CPU more than the roles do.
        return List.of(javaBinary, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                Main.class.getName());
    }
}
