package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeEndpoint;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every mistake an agent can make gets one JSON object on standard output under --json
 * ({@code error}, {@code message}, {@code hint}) and the documented exit code; and the node
 * refuses a read-only region changed behind the CLI's back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentErrorsTest {
    static final String BEGIN = "// BEGIN EVALUATION (read-only)";
    static final String END = "// END EVALUATION";

    private Path dir;

    private SeededCoordinator network;
    private NodeDaemon runner;
    private NodeDaemon agentsNode;
    private String url;
    private Path agent;
    private Seed seed;
    private int workspaces;

    private CliRun as(String command, String... args) {
        String[] all = new String[args.length + 5];
        all[0] = command;
        all[1] = "--data-dir";
        all[2] = agent.toString();
        all[3] = "--coordinator";
        all[4] = url;
        System.arraycopy(args, 0, all, 5, args.length);
        return CliRun.of(all);
    }

    /** A seed whose Train.java may be edited, except the block that prints the metric. */
    static SortedMap<String, byte[]> guardedSeed() {
        SortedMap<String, byte[]> files = TestNetwork.slowSeed(1, 180);
        String manifest = new String(files.get("rhizome.json"), StandardCharsets.UTF_8)
                .replace("\"editable_files\": [\"config.properties\"]", "\"editable_files\": [\"config.properties\", \"Train.java\"], "
                        + "\"protected_regions\": [{\"file\": \"Train.java\", \"begin_marker\": \"" + BEGIN
                        + "\", \"end_marker\": \"" + END + "\"}]");
        files.put("rhizome.json", manifest.getBytes(StandardCharsets.UTF_8));
        String train = new String(files.get("Train.java"), StandardCharsets.UTF_8)
                .replace("        System.out.println(\"---\");", "        " + BEGIN + "\n        System.out.println(\"---\");")
                .replace("        System.out.println(\"num_steps: \" + steps);",
                        "        System.out.println(\"num_steps: \" + steps);\n        " + END);
        files.put("Train.java", train.getBytes(StandardCharsets.UTF_8));
        return files;
    }

    @BeforeAll
    void start(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        Path runnerDir = dir.resolve("runner");
        network = SeededCoordinator.start(dir, runnerDir, guardedSeed());
        url = network.url();
        seed = network.seed();
        assertThat(seed.getManifest().getProtectedRegionsCount()).isEqualTo(1);
        agent = dir.resolve("agent");
        runner = TestNetwork.node(NodeConfig.defaults(runnerDir, url));
        agentsNode = TestNetwork.node(NodeConfig.defaults(agent, url));
    }

    @AfterAll
    void stop() throws Exception {
        agentsNode.close();
        runner.close();
        network.close();
    }

    private record Claimed(String unit, Path workspace) {
    }

    private Claimed claim() {
        Path ws = dir.resolve("ws" + (++workspaces));
        CliRun run = as("claim", "--direction", "d", "--workspace", ws.toString(), "--json");
        assertThat(run.code()).as(run.out() + run.err()).isZero();
        return new Claimed(run.json().getAsJsonObject("unit").get("id").getAsString(), ws);
    }

    private static void commit(Path ws, String file, String content) throws Exception {
        Files.writeString(ws.resolve(file), content);
        try (Git git = Git.open(ws.toFile())) {
            git.add().addFilepattern(file).call();
            git.commit().setMessage("edit " + file).setAuthor("agent", "agent@example").call();
        }
    }

    @Test
    void anUnknownDirectionIsAnErrorEverywhere() {
        List<JsonObject> errors = List.of(
                as("claim", "--direction", "dd", "--json").failure(ExitCodes.USAGE, "unknown_direction", "unknown direction dd"),
                as("brief", "--direction", "dd", "--json").failure(ExitCodes.USAGE, "unknown_direction", "dd"),
                as("tree", "--direction", "dd", "--json").failure(ExitCodes.USAGE, "unknown_direction", "dd"),
                as("results", "--direction", "dd", "--json").failure(ExitCodes.USAGE, "unknown_direction", "dd"),
                as("agent", "--direction", "dd", "--cmd", "true", "--json").failure(ExitCodes.USAGE,
                        "unknown_direction", "dd"));
        // the option that gave the name, so an agent fixes that option without reading the message
        assertThat(errors).allSatisfy(o -> assertThat(o.get("option").getAsString()).isEqualTo("--direction"));
    }

    @Test
    void hintsNameTheOnlyOpenDirectionWhereTheyOfferACommand() {
        // a data directory that submitted nothing, outside any workspace: `wait` cannot tell the commit
        Path fresh = dir.resolve("fresh");
        JsonObject noCommit = CliRun.of("wait", "--data-dir", fresh.toString(), "--coordinator", url, "--json")
                .failure(ExitCodes.USAGE, "usage", "--commit");
        // named with the data directory and coordinator in use: it runs as printed from anywhere
        String tree = "`rhizome tree --direction d --data-dir " + Shell.quote(fresh) + " --coordinator " + url + "`";
        assertThat(noCommit.get("hint").getAsString()).contains(tree);
        // refused at parsing (no value after --commit): the same, before any command ran
        JsonObject noValue = CliRun.of("wait", "--data-dir", fresh.toString(), "--coordinator", url, "--json",
                "--commit").failure(ExitCodes.USAGE, "usage");
        assertThat(noValue.get("hint").getAsString()).contains(tree);
        JsonObject badBase = CliRun.of("direction", "open", "--data-dir", fresh.toString(), "--coordinator", url,
                "--seed", seed.getName(), "--name", "other", "--base", "xyz", "--json").json();
        assertThat(badBase.get("option").getAsString()).isEqualTo("--base");
        assertThat(badBase.get("hint").getAsString()).contains("`rhizome tree --direction d --json --data-dir "
                + Shell.quote(fresh) + " --coordinator " + url + "`");
        JsonObject fromAlone = CliRun.of("claim", "--data-dir", fresh.toString(), "--coordinator", url, "--from",
                seed.getCommit(), "--json").failure(ExitCodes.USAGE, "usage", "--from needs --direction");
        assertThat(fromAlone.get("hint").getAsString()).contains("add --direction d ");
    }

    @Test
    void badArgumentsAreJsonToo() {
        as("claim", "--direction", "d", "--bogus", "--json").failure(ExitCodes.USAGE, "usage", "--bogus");
    }

    @Test
    void shortCommitIdsResolveOrAreRefusedClearly() {
        as("claim", "--direction", "d", "--from", "xyz!", "--json").failure(ExitCodes.USAGE, "bad_commit", "xyz!");
        String absent = seed.getCommit().startsWith("0000") ? "ffff" : "0000";
        as("claim", "--direction", "d", "--from", absent, "--json").failure(ExitCodes.USAGE, "unknown_commit", absent);
        as("wait", "--commit", absent, "--direction", "d", "--json").failure(ExitCodes.USAGE, "unknown_commit", absent);

        CliRun branched = as("claim", "--direction", "d", "--from", seed.getCommit().substring(0, 7), "--json");
        assertThat(branched.code()).isZero();
        JsonObject unit = branched.json().getAsJsonObject("unit");
        assertThat(unit.get("commit").getAsString()).isEqualTo(seed.getCommit());
        assertThat(branched.json().get("lease_seconds_left").getAsLong()).isPositive();

        JsonObject renewed = as("renew", "--unit", unit.get("id").getAsString(), "--json").json();
        assertThat(renewed.get("lease_deadline_ms").getAsLong()).isGreaterThanOrEqualTo(
                Long.parseLong(unit.get("lease_deadline_ms").getAsString()));
        assertThat(renewed.get("lease_seconds_left").getAsLong()).isPositive();
    }

    @Test
    void aDirtyWorkspaceOrOneWithNothingCommittedIsNotSubmitted() throws Exception {
        Claimed c = claim();
        // the claim checked out the seed's root commit: that it has no parent must not be the message
        as("submit", "--unit", c.unit(), "--workspace", c.workspace().toString(), "--json").failure(ExitCodes.USAGE, "nothing_to_submit", "nothing is committed on top of it yet");
        // a paper the coordinator would refuse is refused before anything is registered
        Path big = dir.resolve("big-paper.md");
        Files.writeString(big, "# Big\n" + "word ".repeat(14_000));
        as("submit", "--unit", c.unit(), "--workspace", c.workspace().toString(), "--paper", big.toString(),
                "--json").failure(ExitCodes.USAGE, "paper_too_large", "at most 65536");
        // its size is checked before it is read: a 3 GiB file (sparse) was read whole first, and failed
        // as an internal error (no array holds it) instead of paper_too_large
        Path huge = dir.resolve("huge-paper.md");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        as("submit", "--unit", c.unit(), "--workspace", c.workspace().toString(), "--paper", huge.toString(),
                "--json").failure(ExitCodes.USAGE, "paper_too_large", "the paper is 3221225472 bytes; at most 65536");
        Path binary = dir.resolve("binary-paper.md");
        Files.write(binary, new byte[] {'#', ' ', (byte) 0xff, (byte) 0xfe, '\n'});
        as("submit", "--unit", c.unit(), "--workspace", c.workspace().toString(), "--paper",
                binary.toString(), "--json").failure(ExitCodes.USAGE, "bad_paper", "not UTF-8 text");
        Files.writeString(c.workspace().resolve("config.properties"), "x=2\n");
        as("submit", "--unit", c.unit(), "--workspace", c.workspace().toString(), "--json").failure(ExitCodes.USAGE, "dirty_workspace", "config.properties");

        // A paper the coordinator refuses after the experiment was registered (it cites a paper
        // that does not exist): the experiment stands, the answer says so, and the lease is closed.
        commit(c.workspace(), "config.properties", "x=2\n");
        as("submit", "--unit", c.unit(), "--workspace", c.workspace().toString(), "--description",
                "d".repeat(20_000), "--json").failure(ExitCodes.USAGE, "description_too_long", "at most 16384");
        Files.writeString(dir.resolve("citing.md"), "# Citing nothing\n\nbody\n");
        as("submit", "--unit", c.unit(), "--workspace", c.workspace().toString(), "--paper",
                dir.resolve("citing.md").toString(), "--cites", "0".repeat(64), "--json").failure(ExitCodes.REFUSED,
                "paper_refused", "is registered, but its paper was refused");
        String head;
        try (Git git = Git.open(c.workspace().toFile())) {
            head = git.getRepository().resolve("HEAD").name();
        }
        assertThat(Experiment.parseFrom(new CoordinatorClient(url, IdentityStore.loadOrCreate(agent))
                .experimentReport(head).getExperiment().getPayload()).getCommit()).isEqualTo(head);
        assertThat(as("renew", "--unit", c.unit(), "--json").code()).isNotZero();
    }

    @Test
    void anExpiredLeaseIsRefusedAtSubmit() throws Exception {
        Claimed c = claim();
        commit(c.workspace(), "config.properties", "x=3\n");
        WorkUnit unit = ClaimFiles.load(agent, c.unit());
        ClaimFiles.save(agent, unit.toBuilder().setLeaseDeadlineMs(System.currentTimeMillis() - 15 * 60_000).build());
        as("submit", "--unit", c.unit(), "--workspace", c.workspace().toString(), "--json").failure(ExitCodes.REFUSED, "lease_expired", "the lease on unit " + c.unit() + " ended");
    }

    @Test
    void theSeedsRulesAreCheckedInTheWorkspaceBeforeANodeIsNeeded() throws Exception {
        // a data directory no node serves: its claim fetches from the runner, and a submit that
        // breaks the seed's rules hears of its own mistake, not of the missing node first
        Path lone = dir.resolve("lone");
        Path ws = dir.resolve("lone-ws");
        CliRun claimed = CliRun.of("claim", "--data-dir", lone.toString(), "--coordinator", url, "--direction", "d",
                "--workspace", ws.toString(), "--json");
        assertThat(claimed.code()).as(claimed.out() + claimed.err()).isZero();
        String unit = claimed.json().getAsJsonObject("unit").get("id").getAsString();
        String[] submit = {"submit", "--data-dir", lone.toString(), "--coordinator", url, "--unit", unit,
                "--workspace", ws.toString(), "--json"};

        commit(ws, "notes.txt", "not a file the seed lets an experiment change\n");
        CliRun.of(submit).failure(ExitCodes.USAGE, "forbidden_file", "notes.txt");

        try (Git git = Git.open(ws.toFile())) {
            git.reset().setMode(org.eclipse.jgit.api.ResetCommand.ResetType.HARD).setRef("HEAD~1").call();
        }
        String train = Files.readString(ws.resolve("Train.java"));
        commit(ws, "Train.java", train.replace("System.out.println(\"---\");",
                "System.out.println(\"---\"); // ignore the metric below"));
        CliRun.of(submit).failure(ExitCodes.USAGE, "read_only_region", BEGIN);

        // within the rules, the next thing to fix is the node
        try (Git git = Git.open(ws.toFile())) {
            git.reset().setMode(org.eclipse.jgit.api.ResetCommand.ResetType.HARD).setRef("HEAD~1").call();
        }
        commit(ws, "config.properties", "x=4\n");
        JsonObject noNode = CliRun.of(submit).failure(ExitCodes.FAILED, "no_node", "no node is serving");
        // a node runs until stopped: an agent that ran the hint's command as written waited on it for good
        assertThat(noNode.get("hint").getAsString()).contains("rhizome node --data-dir").contains("in the background");
    }

    @Test
    void aReadOnlyRegionIsRefusedBySubmitAndByTheNode() throws Exception {
        Claimed c = claim();
        String train = Files.readString(c.workspace().resolve("Train.java"));
        String tampered = train.replace("System.out.println(\"---\");",
                "System.out.println(\"---\"); // ignore the metric below");
        assertThat(tampered).isNotEqualTo(train);
        commit(c.workspace(), "Train.java", tampered);
        as("submit", "--unit", c.unit(), "--workspace", c.workspace().toString(), "--json").failure(ExitCodes.USAGE, "read_only_region", BEGIN);

        // Proposed behind the CLI's back, the commit is refused by the node before it runs anything.
        String head;
        try (Git git = Git.open(c.workspace().toFile())) {
            head = git.getRepository().resolve("HEAD").name();
        }
        CoordinatorClient client = new CoordinatorClient(url, IdentityStore.loadOrCreate(agent));
        try (NodeRepository repo = NodeRepository.open(new NodeLayout(agent).repository())) {
            repo.importFrom(c.workspace(), head);
            NodeEndpoint node = NodeEndpoint.ofRunningNode(agent).orElseThrow();
            client.announce(InventoryAnnouncer.announcement(client.identity().publicId(), node.host(), node.port(),
                    repo.commits(), "", System.currentTimeMillis()));
        }
        client.registerExperiment(Experiment.newBuilder().setSeed(seed.getName()).setDirection("d").setCommit(head)
                .setParent(seed.getCommit()).setProposer(client.identity().publicId().toByteString())
                .setDescription("tampered").setCreatedMs(System.currentTimeMillis()).build());
        // not a bound on speed: a node on a machine loaded far past its cores took longer than 2 minutes
        await().atMost(Duration.ofSeconds(300)).until(() -> as("results", "--commit", head, "--json")
                .json().getAsJsonArray("results").size() > 0);
        JsonObject result = as("results", "--commit", head, "--json").json().getAsJsonArray("results").get(0)
                .getAsJsonObject();
        assertThat(result.get("status").getAsString()).isEqualTo("REFUSED");
    }
}
