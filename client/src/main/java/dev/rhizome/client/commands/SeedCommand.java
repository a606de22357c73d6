package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.Announce;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.StepNotices;
import dev.rhizome.node.NodeEndpoint;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.ops.seed.BuiltinSeeds;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SeedList;
import dev.rhizome.protocol.seed.ManifestException;
import dev.rhizome.protocol.seed.Manifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "seed", mixinStandardHelpOptions = true, description = "Publish and list seeds (research programs).",
        subcommands = {SeedCommand.Publish.class, SeedCommand.ListSeeds.class})
public final class SeedCommand {

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = {"Commit a seed into this data directory's repository and publish it to the coordinator.",
                "Run it on the data directory of a node, which then serves the seed's bundle to its peers."})
    public static final class Publish implements Callable<Integer> {
        @Mixin
        DataDirOption dataDir;
        @Mixin
        CoordinatorOption coordinator;

        static final class Source {
            @Option(names = "--dir", paramLabel = "DIR", converter = PathArguments.InputDirectory.class, description = "A directory holding the seed (with rhizome.json).")
            Path dir;
            @Option(names = "--builtin", paramLabel = "NAME", description = "A seed shipped with rhizome: tiny-lm or gpt-torch.")
            String builtin;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Option(names = "--json", description = "Print one JSON object: seed, commit.")
        boolean json;

        static final String MANIFEST_HINT = "fix the seed's rhizome.json (README, \"Seeds\"; the built-in tiny-lm's "
                + "ops/src/main/resources/seeds/tiny-lm/rhizome.json is a working example)";

        @Override
        public Integer call() throws IOException {
            SortedMap<String, byte[]> files;
            if (source.builtin != null) {
                files = BuiltinSeeds.files(source.builtin).orElseThrow(() -> BadValue.choice(
                        "--builtin", source.builtin, "a built-in seed", BuiltinSeeds.NAMES,
                        "to publish your own, pass --dir DIR (a directory with a rhizome.json)"));
            } else {
                if (!Files.isRegularFile(source.dir.resolve("rhizome.json"))) {
                    // named here, with the directory: the manifest parser only knew "the seed"
                    throw new CommandException(ExitCodes.FAILED, "failed", "seed directory " + source.dir
                            + " has no rhizome.json", MANIFEST_HINT);
                }
                files = SeedPublisher.filesOf(source.dir);
            }
            CoordinatorClient client = Coordinators.client(coordinator, dataDir);
            Seed seed;
            try (StepNotices steps = StepNotices.on(System.err);
                    NodeRepository repo = NodeRepository.open(new NodeLayout(dataDir.path()).repository())) {
                steps.step("committing the seed into " + dataDir.path() + "'s repository and publishing it to the coordinator");
                seed = SeedPublisher.publish(repo, files, client, Clock.systemUTC());
                Optional<NodeEndpoint> node = Announce.servingNode(dataDir.path());
                if (node.isPresent()) {
                    steps.step("announcing the seed's commit to the node serving " + dataDir.path());
                    Announce.inventory(client, repo, node.get(), dataDir.path());
                } else {
                    // with its --coordinator: the note's command alone started a node that tried the default
                    // coordinator; and a node still starting there (`rhizome node ... &` just before) is fine
                    System.err.println("note: no node is running on " + dataDir.path() + " yet; start `rhizome node "
                            + "--data-dir " + Shell.quote(dataDir.path().toAbsolutePath()) + " --coordinator "
                            + Shell.quote(coordinator.url()) + "` so peers can fetch the seed (a node starting there "
                            + "now announces it once it runs)");
                }
            } catch (ManifestException e) {
                throw new CommandException(ExitCodes.FAILED, "failed", e.getMessage(), MANIFEST_HINT);
            } catch (CoordinatorException e) {
                throw Coordinators.failure(e, FollowUp.of(coordinator, dataDir));
            }
            Output out = new Output(System.out);
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("seed", seed.getName());
                o.addProperty("commit", seed.getCommit());
                out.json(o);
            } else {
                out.line("published seed " + seed.getName() + " at " + seed.getCommit()
                        + " (budget " + Manifests.describe(seed.getManifest().getBudget()) + ")");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the coordinator's seeds.")
    public static final class ListSeeds implements Callable<Integer> {
        @Mixin
        DataDirOption dataDir;
        @Mixin
        CoordinatorOption coordinator;
        @Option(names = "--json", description = "Print one JSON object: seeds (each a Seed record, its publisher also as publisher_id).")
        boolean json;

        @Override
        public Integer call() {
            SeedList seeds = Coordinators.read(coordinator, dataDir, CoordinatorClient::seeds);
            Output out = new Output(System.out);
            if (json) {
                out.jsonList("seeds", seeds.getSeedsList());
            } else if (seeds.getSeedsList().isEmpty()) {
                // an empty answer printed nothing at all, which a newcomer read as a hang or a failure
                out.line("no seed is published on " + coordinator.url() + " yet; an operator publishes one: `"
                        + FollowUp.of(coordinator, dataDir).command("seed publish --builtin tiny-lm") + "` (or --dir DIR)");
            } else {
                seeds.getSeedsList().forEach(s -> out.printf("%-16s %s  metric %s, budget %s%n", s.getName(), s.getCommit(),
                        s.getManifest().getMetric().getName(), Manifests.describe(s.getManifest().getBudget())));
            }
            return ExitCodes.OK;
        }
    }
}
