package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpServer;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.IdentityStore;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user trips over first, each found by using the command as the README says: a
 * coordinator URL without its scheme, a URL that answers but is not a coordinator, an unknown
 * host, a typo in a config file or a flag's value, a workspace that is a file; every failure names
 * the problem and what to do (a non-empty hint), and standard output holds the answer alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NewUserTest {
    private Path dir;
    private Coordinator coordinator;
    private HttpServer notACoordinator;
    private String url;

    @BeforeAll
    void start(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
        url = coordinator.url();
        CoordinatorClient operator = new CoordinatorClient(url, IdentityStore.loadOrCreate(dir.resolve("operator")));
        Path node = dir.resolve("node");
        Files.createDirectories(node);
        try (NodeRepository repo = NodeRepository.open(new NodeLayout(node).repository())) {
            SeedPublisher.publish(repo, TestNetwork.slowSeed(1, 60), operator, Clock.systemUTC());
        }
        // something else listening where a coordinator was expected: a web server's 404 page
        notACoordinator = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        notACoordinator.createContext("/", exchange -> {
            byte[] page = "<html><body>Not Found</body></html>".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html");
            exchange.sendResponseHeaders(404, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        notACoordinator.start();
    }

    @AfterAll
    void stop() throws Exception {
        notACoordinator.stop(0);
        coordinator.close();
    }

    private String otherServer() {
        return "http://127.0.0.1:" + notACoordinator.getAddress().getPort();
    }

    @Test
    void aCoordinatorUrlWithoutItsSchemeSaysWhatWasMeant() {
        for (String command : List.of("seed list", "leaderboard", "export --out " + dir.resolve("a.jsonl"))) {
            String[] args = (command + " --json --coordinator 127.0.0.1:7700").split(" ");
            CliRun r = CliRun.of(args);
            JsonObject o = r.failure(ExitCodes.USAGE, "usage", "invalid value '127.0.0.1:7700' for --coordinator: "
                    + "expected http://HOST:PORT (did you mean http://127.0.0.1:7700 ?)");
            assertThat(o.get("option").getAsString()).isEqualTo("--coordinator");
            assertThat(r.err()).as(command).doesNotContain("Illegal character");
        }
        // the node checks the URL before it starts anything
        CliRun node = CliRun.of("node", "--data-dir", dir.resolve("n").toString(), "--coordinator", "127.0.0.1:1");
        assertThat(node.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(node.err()).contains("did you mean http://127.0.0.1:1").doesNotContain("jobs run");
    }

    @Test
    void aUrlThatAnswersButIsNotACoordinatorIsNamedAsSuch() {
        CliRun read = CliRun.of("leaderboard", "--json", "--data-dir", dir.resolve("u").toString(), "--coordinator", otherServer());
        read.failure(ExitCodes.UNREACHABLE, "unreachable", "is not a rhizome coordinator");
        assertThat(read.json().get("message").getAsString()).doesNotContain("CODE_UNSPECIFIED");

        CliRun export = CliRun.of("export", "--json", "--out", dir.resolve("b.jsonl").toString(), "--coordinator", otherServer());
        export.failure(ExitCodes.UNREACHABLE, "unreachable", "is not a rhizome coordinator");
    }

    @Test
    void anUnknownHostOrAClosedPortIsSaidInWordsNotAsAnExceptionName() {
        CliRun read = CliRun.of("seed", "list", "--json", "--data-dir", dir.resolve("u").toString(),
                "--coordinator", "http://no-such-host.invalid:7700");
        read.failure(ExitCodes.UNREACHABLE, "unreachable", "unknown host");

        CliRun export = CliRun.of("export", "--json", "--out", dir.resolve("c.jsonl").toString(),
                "--coordinator", "http://no-such-host.invalid:7700");
        export.failure(ExitCodes.UNREACHABLE, "unreachable", "unknown host");

        CliRun closed = CliRun.of("export", "--json", "--out", dir.resolve("d.jsonl").toString(), "--coordinator", "http://127.0.0.1:1");
        closed.failure(ExitCodes.UNREACHABLE, "unreachable", "is unreachable");
    }

    @Test
    void exportPrintsItsProgressOnStandardErrorAndOnlyItsAnswerOnStandardOutput() {
        CliRun text = CliRun.of("export", "--out", dir.resolve("audit.jsonl").toString(), "--coordinator", url);
        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.lines()).hasSize(1);
        assertThat(text.lines().get(0)).startsWith("wrote ");
        assertThat(text.err()).contains("exporting the audit trail");

        CliRun json = CliRun.of("export", "--json", "--out", dir.resolve("audit2.jsonl").toString(), "--coordinator", url);
        assertThat(json.code()).isZero();
        assertThat(json.json().get("envelopes").getAsInt()).isPositive();
    }

    @Test
    void aConfigFilesRefusedValueOrKeyIsNamedWithItsLine() throws Exception {
        Path config = dir.resolve("coordinator.json");
        String top = "{\n  \"host\": \"127.0.0.1\",\n  \"port\": 0,\n";
        Files.writeString(config, top + "  \"lease_secnds\": 60\n}\n");
        JsonObject typo = CliRun.of("coordinator", "--data-dir", dir.resolve("c1").toString(), "--config",
                config.toString(), "--json").failure(ExitCodes.USAGE, "usage", "config file " + config + ", line 4: "
                + "unknown key 'lease_secnds'");
        assertThat(typo.get("hint").getAsString()).contains("lease_seconds");
        assertThat(typo.get("option").getAsString()).isEqualTo("lease_secnds");

        Files.writeString(config, top + "  \"daily_write_limits\": {\n    \"seeds\": {\"per_key\": 5},\n"
                + "    \"papers\": {\n      \"per_key\": 5,\n      \"total\": -1\n    }\n  }\n}\n");
        JsonObject bound = CliRun.of("coordinator", "--data-dir", dir.resolve("c2").toString(), "--config",
                config.toString(), "--json").failure(ExitCodes.USAGE, "usage", "invalid value '-1' for "
                + "daily_write_limits.papers.total in config file " + config + ", line 8: expected a whole number");
        assertThat(bound.get("option").getAsString()).isEqualTo("daily_write_limits.papers.total");

        Files.writeString(config, top + "  \"operators\": [],\n  \"store\": \"mysql://x\"\n}\n");
        CliRun store = CliRun.of("coordinator", "--data-dir", dir.resolve("c3").toString(), "--config",
                config.toString());
        assertThat(store.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(store.err()).contains("store in config file " + config + ", line 5");

        CliRun help = CliRun.of("coordinator", "--help");
        // the words, however picocli wraps them (a key added to the list moved the line breaks)
        assertThat(help.out().replaceAll("\\s+", " ")).contains("no default file").contains("ops/systemd/coordinator.json")
                .contains("leases_held").contains("read_budget");
    }

    @Test
    void aTypoInTheCoordinatorsConfigFileIsRefusedNotIgnored() throws Exception {
        Path config = dir.resolve("coordinator.json");
        Files.writeString(config, "{\"prot\": 7701, \"port\": 0}");
        // were the key ignored, the coordinator would start and run until stopped
        CliRun typo = assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
                CliRun.of("coordinator", "--data-dir", dir.resolve("c1").toString(), "--config", config.toString()));
        assertThat(typo.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(typo.err()).contains("unknown key 'prot'").contains("port, store");

        Files.writeString(config, "{\"port\": \"x\"}");
        CliRun type = CliRun.of("coordinator", "--data-dir", dir.resolve("c2").toString(), "--config", config.toString());
        assertThat(type.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(type.err()).contains("invalid value 'x' for port in config file " + config + ", line 1: expected a whole number")
                .doesNotContain("For input string");

        Files.writeString(config, "{\"daily_write_limits\": {\"experiment\": {\"per_key\": 5}}}");
        CliRun kind = CliRun.of("coordinator", "--data-dir", dir.resolve("c4").toString(), "--config", config.toString());
        assertThat(kind.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(kind.err()).contains("daily_write_limits.experiment is not a kind of record")
                .contains("experiments, papers");
        Files.writeString(config, "{\"daily_write_limits\": {\"papers\": {\"per_ky\": 5}}}");
        CliRun bound = CliRun.of("coordinator", "--data-dir", dir.resolve("c5").toString(), "--config", config.toString());
        assertThat(bound.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bound.err()).contains("unknown bound 'per_ky'");
        Files.writeString(config, "{\"daily_write_limits\": {\"papers\": {\"total\": -1}}}");
        CliRun negative = CliRun.of("coordinator", "--data-dir", dir.resolve("c6").toString(), "--config", config.toString());
        assertThat(negative.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(negative.err()).contains("invalid value '-1' for daily_write_limits.papers.total in config file")
                .contains("expected a whole number from 0");
        Files.writeString(config, "{\"leases_held\": {\"per_adress\": 5}}");
        CliRun leases = CliRun.of("coordinator", "--data-dir", dir.resolve("c8").toString(), "--config", config.toString());
        assertThat(leases.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(leases.err()).contains("leases_held: unknown bound 'per_adress'").contains("per_address, per_network");
        Files.writeString(config, "{\"leases_held\": {\"per_network\": 2.5}}");
        CliRun fraction = CliRun.of("coordinator", "--data-dir", dir.resolve("c9").toString(), "--config", config.toString());
        assertThat(fraction.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(fraction.err()).contains("invalid value '2.5' for leases_held.per_network in config file");
        Files.writeString(config, "{\"trusted_proxies\": [\"10.0.0.0/33\"]}");
        CliRun proxy = CliRun.of("coordinator", "--data-dir", dir.resolve("c7").toString(), "--config", config.toString());
        assertThat(proxy.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(proxy.err()).contains("trusted_proxies").contains("10.0.0.0/33").contains("prefix length must be 0-32");

        CliRun store = CliRun.of("coordinator", "--data-dir", dir.resolve("c3").toString(), "--port", "0", "--store", "mysql://x");
        assertThat(store.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(store.err()).contains("invalid value 'mysql://x' for --store: unknown store kind 'mysql'")
                .doesNotContain("RHIZOME_DEBUG");
    }

    @Test
    void directionOpenRefusesAKnobTheSeedDoesNotHave() {
        Path operator = dir.resolve("operator");
        CliRun typo = CliRun.of("direction", "open", "--json", "--seed", "slow", "--name", "typo", "--knobs", "learning_rate",
                "--data-dir", operator.toString(), "--coordinator", url);
        typo.failure(ExitCodes.USAGE, "usage", "invalid value 'learning_rate' for --knobs: expected a knob of seed slow");
        assertThat(typo.json().get("message").getAsString()).contains("seed slow: x");
        assertThat(typo.json().get("option").getAsString()).isEqualTo("--knobs");

        CliRun unknownSeed = CliRun.of("direction", "open", "--json", "--seed", "nope", "--name", "n",
                "--data-dir", operator.toString(), "--coordinator", url);
        unknownSeed.failure(ExitCodes.USAGE, "unknown_seed", "unknown seed nope (seeds: slow)");
        assertThat(unknownSeed.json().get("hint").getAsString()).contains("rhizome seed list");
        assertThat(unknownSeed.json().get("option").getAsString()).isEqualTo("--seed");

        // a typo gets the nearest seed, as an unknown direction gets the nearest direction
        CliRun nearSeed = CliRun.of("direction", "open", "--json", "--seed", "slwo", "--name", "n",
                "--data-dir", operator.toString(), "--coordinator", url);
        assertThat(nearSeed.failure(ExitCodes.USAGE, "unknown_seed", "slwo").get("hint").getAsString())
                .startsWith("did you mean slow?");
    }

    @Test
    void openingAnOpenDirectionAgainSaysSoAndRefusesToSeemToChangeIt() {
        Path operator = dir.resolve("operator");
        String[] open = {"direction", "open", "--json", "--seed", "slow", "--name", "twice", "--data-dir", operator.toString(),
            "--coordinator", url};
        CliRun first = CliRun.of(open);
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.json().get("already_open").getAsBoolean()).isFalse();
        CliRun again = CliRun.of(open);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.json().get("already_open").getAsBoolean()).as("an idempotent retry, told as one").isTrue();
        // the coordinator keeps the first open's knobs: "opened", exit 0, read as if they had changed
        List<String> other = new ArrayList<>(List.of(open));
        other.addAll(List.of("--knobs", "x", "--description", "another idea"));
        JsonObject conflict = CliRun.of(other.toArray(String[]::new)).failure(ExitCodes.REFUSED, "conflict", "already open");
        assertThat(conflict.get("option").getAsString()).isEqualTo("--name");
        assertThat(conflict.get("hint").getAsString()).contains("another --name");
    }

    @Test
    void aFullCommitIdNothingRegisteredIsUnknownCommitNamingItsOption() {
        // a prefix was unknown_commit naming its option; the full id was the coordinator's 404 as
        // not_found with no option (wait, claim --from, direction open --base), or an empty answer
        // with exit 0 (results, papers)
        Path operator = dir.resolve("operator");
        assertThat(CliRun.of("direction", "open", "--seed", "slow", "--name", "full-ids", "--data-dir", operator.toString(),
                "--coordinator", url).code()).isZero();
        String nobody = "0123456789abcdef0123456789abcdef01234567";
        String reader = dir.resolve("reader").toString();
        String[][] cases = {{"--commit", "wait", "--commit", nobody, "--timeout", "5"},
            {"--commit", "results", "--commit", nobody},
            {"--commit", "papers", "--commit", nobody},
            {"--from", "claim", "--direction", "full-ids", "--from", nobody, "--workspace", dir.resolve("ws-full").toString()},
            {"--base", "direction", "open", "--seed", "slow", "--name", "from-nothing", "--base", nobody}};
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of(c).subList(1, c.length));
            args.addAll(List.of("--json", "--data-dir", c[0].equals("--base") ? operator.toString() : reader,
                    "--coordinator", url));
            JsonObject o = CliRun.of(args.toArray(String[]::new)).failure(ExitCodes.USAGE, "unknown_commit", nobody);
            assertThat(o.get("option").getAsString()).as(String.join(" ", args)).isEqualTo(c[0]);
            assertThat(o.get("hint").getAsString()).contains("rhizome tree");
        }
        assertThat(CliRun.of("status", "--json", "--coordinator", url, "--data-dir", operator.toString()).json()
                .get("units_leased").getAsLong()).as("the claim from nothing leased nothing").isZero();
    }

    /**
     * `rhizome tree` shows a direction's base first; waiting on it said "no registered commit",
     * which contradicted the tree: it says it is the direction's base and where its metric is.
     */
    @Test
    void waitingOnADirectionsBaseSaysItIsTheBaseNotThatNothingIsRegistered() {
        Path operator = dir.resolve("operator");
        CliRun open = CliRun.of("direction", "open", "--json", "--seed", "slow", "--name", "based", "--data-dir",
                operator.toString(), "--coordinator", url);
        assertThat(open.code()).as(open.err()).isZero();
        String base = open.json().get("base_commit").getAsString();
        JsonObject o = CliRun.of("wait", "--commit", base, "--timeout", "5", "--json", "--data-dir",
                dir.resolve("reader").toString(), "--coordinator", url).failure(ExitCodes.USAGE, "unknown_commit",
                "is the base of direction");
        assertThat(o.get("message").getAsString()).contains("based").doesNotContain("no registered commit");
        assertThat(o.get("option").getAsString()).isEqualTo("--commit");
        assertThat(o.get("hint").getAsString()).contains("rhizome submit").contains("rhizome tree --direction");
    }

    @Test
    void claimRefusesAWorkspaceThatIsAFileBeforeTakingALease() throws Exception {
        Path operator = dir.resolve("operator");
        CliRun open = CliRun.of("direction", "open", "--seed", "slow", "--name", "files", "--data-dir", operator.toString(),
                "--coordinator", url);
        assertThat(open.code()).as(open.err()).isZero();
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        CliRun claim = CliRun.of("claim", "--json", "--direction", "files", "--workspace", file.toString(),
                "--data-dir", dir.resolve("agent").toString(), "--coordinator", url);
        // a file is no workspace at all: the path is the problem, not files in it (was workspace_not_empty)
        claim.failure(ExitCodes.USAGE, "usage", "is a file, not a directory");
        assertThat(Files.exists(dir.resolve("agent").resolve("claims"))).as("no unit was claimed").isFalse();
    }

    @Test
    void aClaimWhoseCommitNoPeerServesSaysSoAndGivesTheUnitBack() {
        // the seed was published from a data directory no node runs on: nobody serves its commit
        Path operator = dir.resolve("operator");
        CliRun open = CliRun.of("direction", "open", "--seed", "slow", "--name", "unserved", "--data-dir", operator.toString(),
                "--coordinator", url);
        assertThat(open.code()).as(open.err()).isZero();
        CliRun claim = CliRun.of("claim", "--json", "--direction", "unserved", "--workspace", dir.resolve("ws-unserved").toString(),
                "--data-dir", dir.resolve("agent4").toString(), "--coordinator", url);
        claim.failure(ExitCodes.FAILED, "fetch_failed", "cannot fetch");
        assertThat(claim.json().get("hint").getAsString()).contains("--from");
        CliRun status = CliRun.of("status", "--json", "--coordinator", url, "--data-dir", operator.toString());
        assertThat(status.json().get("units_leased").getAsLong()).as("the unit was given back").isZero();
    }

    @Test
    void claimKindEvaluateIsRefusedBeforeAnythingIsLeasedNamingWhatRunsEvaluations() {
        // no `rhizome` command reports an evaluation: a unit leased here stayed leased to nobody
        Path operator = dir.resolve("operator");
        CliRun open = CliRun.of("direction", "open", "--seed", "slow", "--name", "unserved-eval", "--data-dir", operator.toString(),
                "--coordinator", url);
        assertThat(open.code()).as(open.err()).isZero();
        CliRun before = CliRun.of("status", "--json", "--coordinator", url, "--data-dir", operator.toString());
        CliRun claim = CliRun.of("claim", "--json", "--kind", "evaluate",
                "--workspace", dir.resolve("ws-unserved-eval").toString(),
                "--data-dir", dir.resolve("agent6").toString(), "--coordinator", url);
        claim.failure(ExitCodes.USAGE, "evaluate_needs_node", "reported by a node");
        assertThat(claim.json().get("option").getAsString()).as("the option to change").isEqualTo("--kind");
        assertThat(claim.json().get("hint").getAsString()).contains("rhizome node").contains("rhizome claim --direction");
        CliRun after = CliRun.of("status", "--json", "--coordinator", url, "--data-dir", operator.toString());
        assertThat(after.json().get("units_leased").getAsLong()).as("nothing was leased")
                .isEqualTo(before.json().get("units_leased").getAsLong());
        assertThat(Files.exists(dir.resolve("ws-unserved-eval"))).isFalse();
        assertThat(Main.commandLine().getSubcommands().get("claim").getUsageMessage()).as("the help says so")
                .contains("evaluate is refused");
    }

    @Test
    void aClaimOnAClosedDirectionDoesNotSayToTryAgain() {
        Path operator = dir.resolve("operator");
        assertThat(CliRun.of("direction", "open", "--seed", "slow", "--name", "shut", "--data-dir", operator.toString(),
                "--coordinator", url).code()).isZero();
        assertThat(CliRun.of("direction", "close", "--name", "shut", "--reason", "done", "--data-dir", operator.toString(),
                "--coordinator", url).code()).isZero();
        // it was exit 3 (no_work) with retry_after_s: an agent obeying it waited for work that never comes
        CliRun claim = CliRun.of("claim", "--json", "--direction", "shut", "--data-dir", dir.resolve("agent5").toString(),
                "--coordinator", url);
        claim.failure(ExitCodes.REFUSED, "direction_closed", "is closed: done");
        assertThat(claim.json().has("retry_after_s")).isFalse();
        assertThat(claim.json().get("hint").getAsString()).contains("rhizome direction list").doesNotContain("again");
        CliRun agent = CliRun.of("agent", "--json", "--direction", "shut", "--rounds", "3", "--cmd", "true",
                "--data-dir", dir.resolve("agent5").toString(), "--coordinator", url);
        agent.failure(ExitCodes.REFUSED, "direction_closed", "is closed");

        // closing a direction that is not there reads as every command's unknown direction: the ones
        // there are and the nearest name, not the coordinator's "404 NOT_FOUND"
        CliRun typo = CliRun.of("direction", "close", "--name", "shutt", "--reason", "done", "--json",
                "--data-dir", operator.toString(), "--coordinator", url);
        JsonObject unknown = typo.failure(ExitCodes.USAGE, "unknown_direction", "unknown direction shutt (directions: ");
        assertThat(unknown.get("message").getAsString()).doesNotContain("NOT_FOUND");
        assertThat(unknown.get("hint").getAsString()).contains("did you mean shut");
    }

    @Test
    void optionsInSecondsAlsoTakeAUnitAsBenchSoakDoes() {
        // parsed: the command gets as far as the (unreachable) coordinator
        CliRun minutes = CliRun.of("wait", "--json", "--commit", "abcd", "--timeout", "2m", "--data-dir", dir.resolve("w").toString(),
                "--coordinator", "http://127.0.0.1:1");
        assertThat(minutes.code()).as(minutes.err()).isEqualTo(ExitCodes.UNREACHABLE);
        CliRun bad = CliRun.of("demo", "--json", "--duration", "2x");
        bad.failure(ExitCodes.USAGE, "usage", "invalid value '2x' for --duration: expected a whole number of seconds");
        assertThat(bad.json().get("message").getAsString()).contains("5m");
    }

    @Test
    void anAgentLoopWhoseCoordinatorIsDownExitsWithFiveInsteadOfZero() {
        CliRun agent = CliRun.of("agent", "--json", "--direction", "d", "--rounds", "2", "--cmd", "true",
                "--data-dir", dir.resolve("agent3").toString(), "--coordinator", "http://127.0.0.1:1");
        agent.failure(ExitCodes.UNREACHABLE, "unreachable", "connection refused");
    }

    @Test
    void failuresWithoutAHintOfTheirOwnStillSayWhatToDo() {
        CliRun noNode = CliRun.of("node", "status", "--json", "--data-dir", dir.resolve("nothing").toString());
        noNode.failure(ExitCodes.FAILED, "no_node", "no node is running");
        assertThat(noNode.json().get("hint").getAsString()).contains("rhizome node --data-dir");

        CliRun noClaim = CliRun.of("submit", "--json", "--unit", "nope", "--data-dir", dir.resolve("agent2").toString(),
                "--coordinator", url);
        noClaim.failure(ExitCodes.USAGE, "unknown_unit", "no claim of unit nope");
        assertThat(noClaim.json().get("hint").getAsString()).contains("--data-dir");
        assertThat(noClaim.json().get("option").getAsString()).as("--unit named it").isEqualTo("--unit");
        assertThat(noClaim.json().get("message").getAsString()).contains("it holds no claim");
        for (String command : List.of("renew", "unclaim")) {
            CliRun other = CliRun.of(command, "--json", "--unit", "nope", "--data-dir", dir.resolve("agent2").toString(),
                    "--coordinator", url);
            assertThat(other.failure(ExitCodes.USAGE, "unknown_unit", "nope").get("option").getAsString())
                    .as(command).isEqualTo("--unit");
        }

        CliRun badKey = CliRun.of("ban", "--json", "--key", "00", "--data-dir", dir.resolve("operator").toString(),
                "--coordinator", url);
        badKey.failure(ExitCodes.USAGE, "usage", "64 hex digits");
    }

    @Test
    void papersAboutACommitNobodyRegisteredIsUnknownCommitNotAnEmptyList() {
        // it was {"papers": []} with exit 0, as if nobody had written about a commit that is not there
        CliRun papers = CliRun.of("papers", "--json", "--commit", "abcdef12", "--data-dir", dir.resolve("reader").toString(),
                "--coordinator", url);
        papers.failure(ExitCodes.USAGE, "unknown_commit", "abcdef12");
        CliRun.of("papers", "--json", "--commit", "xyz", "--data-dir", dir.resolve("reader").toString(),
                "--coordinator", url).failure(ExitCodes.USAGE, "bad_commit", "xyz");
    }

    @Test
    void aWorkspaceAClaimAlreadyUsesSaysWhoseItIsAndHowToGoOn() throws Exception {
        Path ws = dir.resolve("used-workspace");
        Files.createDirectories(ws.resolve(".git"));
        new dev.rhizome.client.cli.WorkspaceClaim("unit-1", dir.resolve("used-agent"), url).write(ws);
        // a claim its data directory holds (one it does not is RoughEdgesTest's: nothing to submit there)
        ClaimFiles.save(dir.resolve("used-agent"), WorkUnit.newBuilder()
                .setId("unit-1").setKind(WorkUnit.Kind.EXPLORE).setDirection("d")
                .setLeaseDeadlineMs(System.currentTimeMillis() + 600_000).build());
        JsonObject o = CliRun.of("claim", "--direction", "d", "--workspace", ws.toString(), "--json",
                "--data-dir", dir.resolve("used-agent").toString(), "--coordinator", url)
                .failure(ExitCodes.USAGE, "workspace_not_empty", "it is the workspace of unit unit-1");
        assertThat(o.get("hint").getAsString()).contains("rhizome submit --workspace " + ws)
                .contains("give a new or empty directory");
        assertThat(o.get("option").getAsString()).isEqualTo("--workspace");
    }
}
