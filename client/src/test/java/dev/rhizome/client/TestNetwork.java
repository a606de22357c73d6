package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.commands.DemoCommand;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.BwrapLauncher;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.job.SandboxUnavailableException;
import dev.rhizome.ops.bench.ShortJobs;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.Seed;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.api.Git;

/** Helpers for tests that start roles as real processes, the way the demo and operators do. */
final class TestNetwork {
    private TestNetwork() {
    }

    /** The command that starts a role with this test's classpath. */
    static List<String> launcher(String... args) {
        List<String> command = new ArrayList<>(DemoCommand.launcher());
        // the shipped logging, as a user's `rhizome` has it: in a reactor build the coordinator's
        // test classes (its test-jar) are on this classpath, and their logback-test.xml won over it
        command.add(command.size() - 1, "-Dlogback.configurationFile=logback.xml");
        // a child names no coordinator where the test's own commands do not: the same default as theirs
        command.add(command.size() - 1, "-D" + CoordinatorOption.DEFAULT_URL_PROPERTY + "=" + CoordinatorOption.defaultUrl());
        command.addAll(List.of(args));
        return command;
    }

    /**
     * {@code rhizome node} as a process whose jobs run at the test's priority, not a volunteer's (at
     * load 20 a resumed unit's job at nice 19 was not done in 4 minutes; at load 15 a job of 3 s
     * ran into its 120 s timeout, PausedProcessTest; nothing a test of the node's own work asks
     * depends on the job's priority).
     */
    static List<String> nodeCommand(String... args) {
        List<String> command = launcher(args);
        command.add(command.indexOf("-Dlogback.configurationFile=logback.xml"),
                "-Drhizome.test.jobs-at-callers-priority=true");
        return command;
    }

    /**
     * A seed whose job prints a step line every 100 ms for RHIZOME_STEPS steps, then a metric
     * that depends on config.properties: slow enough to kill a node in the middle of it.
     */
    static SortedMap<String, byte[]> slowSeed(int steps, int timeoutSeconds) {
        SortedMap<String, byte[]> files = new TreeMap<>();
        files.put("rhizome.json", ("""
                {"name": "slow", "command": ["java", "Train.java"], "budget": {"steps": %d}, "random_seed": 1,
                 "metric": {"name": "val_bpb", "lower_is_better": true, "tolerance": 0.001},
                 "editable_files": ["config.properties"], "timeout_seconds": %d, "hardware_class": "any",
                 "knobs": [{"name": "x", "file": "config.properties", "min": 0.1, "max": 10, "log_scale": true}]}
                """.formatted(steps, timeoutSeconds)).getBytes(StandardCharsets.UTF_8));
        files.put("config.properties", "x=1\n".getBytes(StandardCharsets.UTF_8));
        files.put("Train.java", """
                import java.nio.file.*;
                public class Train {
                    public static void main(String[] a) throws Exception {
                        int steps = Integer.parseInt(System.getenv().getOrDefault("RHIZOME_STEPS", "10"));
                        for (int i = 1; i <= steps; i++) {
                            Thread.sleep(100);  // the behaviour: a job that takes a while, one step at a time
                            System.out.println("step " + i + "/" + steps);
                        }
                        String x = Files.readString(Path.of("config.properties")).trim().substring(2);
                        double v = Double.parseDouble(x);
                        System.out.println("---");
                        System.out.printf("val_bpb: %.6f%n", 1 + Math.abs(Math.log(v) - 0.5));
                        System.out.println("num_steps: " + steps);
                    }
                }
                """.getBytes(StandardCharsets.UTF_8));
        return files;
    }

    /**
     * Publishes {@code files} as a seed from the repository of the node whose data directory is
     * {@code holder} (that node then holds the seed's commit: its checkout needs no peer) and opens
     * direction {@code direction} at the seed's commit.
     */
    static Seed publishWithDirection(CoordinatorClient operator, Path holder, SortedMap<String, byte[]> files,
            String direction) throws Exception {
        Files.createDirectories(holder);
        Seed seed;
        try (NodeRepository repo = NodeRepository.open(new NodeLayout(holder).repository())) {
            seed = SeedPublisher.publish(repo, files, operator, Clock.systemUTC());
        }
        operator.openDirection(ShortJobs.direction(operator, seed, direction));
        return seed;
    }

    /** Puts the seed's commit into a node's repository, as if the node had fetched it before. */
    static String seedInto(Path nodeDataDir, SortedMap<String, byte[]> files) throws IOException {
        try (NodeRepository repo = NodeRepository.open(new NodeLayout(nodeDataDir).repository())) {
            return SeedPublisher.commit(repo, files, "slow");
        }
    }

    /**
     * A node in this JVM whose jobs run in this machine's sandbox, as {@code NodeDaemon.start(config)}'s
     * do, but at the test's own priority ({@link BwrapLauncher#atCallersPriority}): at a volunteer's
     * (nice 19, idle I/O) the slow seed's {@code java Train.java} gave no result in 5 minutes at load
     * 42 on 2 cores (AgentWorkflowTest, 2026-12-04). What a node does with its jobs does not depend on it.
     */
    static NodeDaemon node(NodeConfig config) throws IOException, InterruptedException, SandboxUnavailableException {
        return NodeDaemon.start(config, SandboxProbe.launcher().atCallersPriority());
    }

    /**
     * An agent's claim of direction "d" into the workspace {@code ws}, through the node whose data
     * directory is {@code agent}, and its commit there ({@link #commitNearTheBest}): the opening of
     * the tests of what an agent's commands do with a claimed experiment. Returns the commit's id.
     */
    static String claimAndCommit(String url, Path agent, Path ws) throws Exception {
        CliRun claim = CliRun.of("claim", "--data-dir", agent.toString(), "--coordinator", url,
                "--direction", "d", "--workspace", ws.toString(), "--json");
        assertThat(claim.code()).as(claim.err()).isZero();
        return commitNearTheBest(ws);
    }

    /** Commits x = 1.6487 in the claimed workspace {@code ws}: near e^0.5, the slow seed's best. Returns the commit's id. */
    static String commitNearTheBest(Path ws) throws Exception {
        Files.writeString(ws.resolve("config.properties"), "x=1.6487\n");
        try (Git git = Git.open(ws.toFile())) {
            git.add().addFilepattern("config.properties").call();
            return git.commit().setMessage("x near e^0.5").setAuthor("agent", "agent@example").call().getName();
        }
    }
}
