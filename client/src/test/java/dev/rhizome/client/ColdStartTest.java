package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.protocol.files.ProcessLock;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's first minutes, in the order the README leads them: a network with nothing open
 * yet, typos, then a first direction. Each failure must name the problem and the next step, and
 * numbers an agent compares must be JSON numbers.
 */
class ColdStartTest {
    @TempDir
    Path dir;

    @Test
    void aMistypedCommandOrOptionIsAnsweredWithWhatWasMeant() {
        // picocli offered "tree or renew or verify" for breif
        JsonObject command = CliRun.of("breif", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(command.get("hint").getAsString()).contains("`rhizome brief`");
        assertThat(command.get("option").isJsonNull()).as("a command word is no option: " + command).isTrue();
        JsonObject sub = CliRun.of("node", "stauts", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(sub.get("hint").getAsString()).startsWith("did you mean `rhizome node status`");
        // picocli called the option's value a second unknown option ("Unknown options: '--dirction', 'lr'")
        JsonObject option = CliRun.of("claim", "--dirction", "lr", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(option.get("message").getAsString()).contains("'--dirction'").doesNotContain("'lr'");
        assertThat(option.get("hint").getAsString()).contains("did you mean --direction?");
        assertThat(option.get("option").getAsString()).isEqualTo("--dirction");
        // where an option is required, picocli said "needs --direction" and never named the typo
        JsonObject required = CliRun.of("brief", "--dirction", "lr", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(required.get("message").getAsString()).contains("'--dirction'");
        assertThat(required.get("hint").getAsString()).contains("did you mean --direction?");
        JsonObject withValue = CliRun.of("papers", "--limt=3", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(withValue.get("hint").getAsString()).contains("--limit");
        // picocli's "Missing required option: '--direction=DIRECTION'" named no place to find one
        // (`brief` takes the only open direction when --direction is left out: ImpliedDirectionTest)
        JsonObject missing = CliRun.of("wait", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(missing.get("message").getAsString()).isEqualTo("`rhizome wait` needs --commit COMMIT");
        // the tree command names the data directory and coordinator in use (cli.FollowUp)
        assertThat(missing.get("hint").getAsString()).contains("`rhizome tree --direction D --data-dir ")
                .contains(" --coordinator ").contains("` shows the commits");
        assertThat(missing.get("option").getAsString()).isEqualTo("--commit");
        // it said "needs --dir DIR and --builtin NAME", which picocli then refuses as mutually exclusive
        JsonObject oneOf = CliRun.of("seed", "publish", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(oneOf.get("message").getAsString()).isEqualTo("`rhizome seed publish` needs one of --dir DIR or --builtin NAME");
        // an option before its command was answered with the whole of `rhizome --help`
        JsonObject before = CliRun.of("--json", "status").failure(ExitCodes.USAGE, "usage");
        assertThat(before.get("hint").getAsString()).startsWith("did you mean `rhizome status --json`");
        // a bare word is the value of the first of --direction and the required options not given
        assertThat(CliRun.of("agent", "lr", "--json").failure(ExitCodes.USAGE, "usage").get("hint").getAsString())
                .contains("`--direction lr`");
        assertThat(CliRun.of("wait", "abc123", "--json").failure(ExitCodes.USAGE, "usage").get("hint").getAsString())
                .contains("`--commit abc123`");
        CliRun text = CliRun.of("breif");
        assertThat(text.err()).contains("did you mean `rhizome brief`");
    }

    @Test
    void anEmptyNetworkSaysHowToOpenADirectionAndStatusCountsAreNumbers() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String agent = dir.resolve("agent").toString();
            JsonObject status = CliRun.of("status", "--json", "--coordinator", c.url(), "--data-dir", agent).json();
            for (String key : List.of("seeds", "directions", "experiments", "results", "papers", "units_open",
                    "units_leased", "units_done", "leases_expired", "rejected_signatures", "nodes")) {
                assertThat(status.get(key).isJsonPrimitive() && status.get(key).getAsJsonPrimitive().isNumber())
                        .as(key + " in " + status).isTrue();
            }
            assertThat(status.get("seeds").getAsLong()).isZero();
            // "list the open directions with `rhizome direction list`" sent the user to an empty list
            JsonObject brief = CliRun.of("brief", "--direction", "lr", "--json", "--coordinator", c.url(),
                    "--data-dir", agent).failure(ExitCodes.USAGE, "unknown_direction");
            assertThat(brief.get("message").getAsString()).contains("no direction yet");
            assertThat(brief.get("hint").getAsString()).contains("rhizome direction open");
            CliRun claim = CliRun.of("claim", "--json", "--coordinator", c.url(), "--data-dir", agent);
            assertThat(claim.code()).isEqualTo(ExitCodes.NO_WORK);
            assertThat(claim.json().get("hint").getAsString()).contains("rhizome direction open");

            CoordinatorClient operator = new CoordinatorClient(c.url(), IdentityStore.loadOrCreate(dir.resolve("op")));
            TestNetwork.publishWithDirection(operator, dir.resolve("node"), TestNetwork.slowSeed(1, 60), "lr");
            JsonObject typo = CliRun.of("tree", "--direction", "rl", "--json", "--coordinator", c.url(),
                    "--data-dir", agent).failure(ExitCodes.USAGE, "unknown_direction");
            assertThat(typo.get("message").getAsString()).contains("directions: lr");
            assertThat(typo.get("hint").getAsString()).contains("did you mean lr?");
            // the coordinator refuses a claim's unknown direction itself; the client adds what there is
            JsonObject refused = CliRun.of("claim", "--direction", "rl", "--json", "--coordinator", c.url(),
                    "--data-dir", agent).failure(ExitCodes.USAGE, "unknown_direction");
            assertThat(refused.get("message").getAsString()).contains("directions: lr");
            assertThat(refused.get("hint").getAsString()).contains("did you mean lr?");
        }
    }

    @Test
    void everyCommandRunInAClaimedWorkspaceUsesTheClaimsCoordinatorAndDataDirectory() throws Exception {
        // `submit` and `renew` read the claim; `wait`, `brief`, `status` asked the default coordinator
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path ws = dir.resolve("ws");
            Files.createDirectories(ws.resolve(".git"));
            Path agent = dir.resolve("agent");
            new WorkspaceClaim("u-1", agent, c.url()).write(ws);
            for (List<String> command : List.of(List.of("id", "--json"), List.of("status", "--json"))) {
                CliRun r = CliRun.child(ws, command.toArray(String[]::new));
                assertThat(r.code()).as(command + ": " + r.out() + r.err()).isZero();
                JsonObject o = r.json();
                if (command.get(0).equals("id")) {
                    assertThat(o.get("data_dir").getAsString()).isEqualTo(agent.toAbsolutePath().toString());
                }
            }
        }
    }

    @Test
    void anUnreachableDefaultCoordinatorSaysThatNothingNamedOne() {
        // the default is one this test owns (the client's surefire configuration: a port nobody
        // listens on), not whatever listens on this machine's 7700; the test ran only where nothing did
        assertThat(CoordinatorOption.defaultUrl()).isNotEqualTo(CoordinatorOption.DEFAULT_URL);
        JsonObject unreachable = CliRun.of("status", "--json", "--data-dir", dir.resolve("a").toString())
                .failure(ExitCodes.UNREACHABLE, "unreachable");
        assertThat(unreachable.get("hint").getAsString()).contains("no --coordinator was given")
                .contains("the default " + CoordinatorOption.defaultUrl());
        CliRun named = CliRun.of("status", "--json", "--data-dir", dir.resolve("a").toString(), "--coordinator",
                "http://127.0.0.1:1");
        assertThat(named.json().get("hint").getAsString()).doesNotContain("no --coordinator was given");
    }

    @Test
    void aClaimedUnitCanBeGivenBackWithoutSubmitting() throws Exception {
        // before `unclaim`, an agent that changed its mind held the lease until its deadline
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(c.url(), IdentityStore.loadOrCreate(dir.resolve("op")));
            // a 600 s job timeout makes a lease of 1,230 s: with 60 s (150 s leases) the unit's lease
            // could run out between the claim and its give-back at load 40 on 2 cores, where the
            // give-back was refused ("not leased") once
            TestNetwork.publishWithDirection(operator, dir.resolve("node"), TestNetwork.slowSeed(1, 600), "d");
            String agent = dir.resolve("agent").toString();
            CliRun claim = CliRun.of("claim", "--json", "--direction", "d", "--coordinator", c.url(), "--data-dir", agent);
            assertThat(claim.code()).as(claim.err()).isZero();
            String unit = claim.json().getAsJsonObject("unit").get("id").getAsString();
            assertThat(operator.stats().getUnitsLeased()).isEqualTo(1);
            byte[] claimFile = Files.readAllBytes(Path.of(agent, "claims", unit + ".pb"));
            CliRun unclaim = CliRun.of("unclaim", "--json", "--unit", unit, "--coordinator", c.url(), "--data-dir", agent);
            assertThat(unclaim.code()).as(unclaim.err()).isZero();
            assertThat(unclaim.json().get("given_back").getAsBoolean()).isTrue();
            assertThat(operator.stats().getUnitsLeased()).isZero();
            JsonObject again = CliRun.of("unclaim", "--json", "--unit", unit, "--coordinator", c.url(),
                    "--data-dir", agent).failure(ExitCodes.USAGE, "given_back");
            assertThat(again.get("message").getAsString()).contains("unit " + unit + " was given back");
            // it was the generic `usage`: an agent could not tell a unit it gave back from a typo
            JsonObject renew = CliRun.of("renew", "--json", "--unit", unit, "--coordinator", c.url(),
                    "--data-dir", agent).failure(ExitCodes.USAGE, "given_back");
            assertThat(renew.get("message").getAsString()).contains("given back by `rhizome unclaim`");
            assertThat(renew.get("hint").getAsString()).contains("rhizome claim --direction d");
            // what was committed in the workspace still goes in (it said only "claim a new unit"):
            // the same commit claimed again without a workspace, the old workspace submitted under it
            String base = claim.json().getAsJsonObject("unit").get("commit").getAsString();
            String flags = " --data-dir " + Shell.quote(agent) + " --coordinator " + c.url();
            assertThat(renew.get("hint").getAsString())
                    .contains("`rhizome claim --direction d --from " + base.substring(0, 10) + flags + " --json` (without --workspace)")
                    .contains("run `rhizome submit" + flags + "` in the workspace you committed in")
                    .contains("`rhizome claim --direction d --workspace /").doesNotContain("NEW_DIR", "NEW_UNIT", "YOUR_WORKSPACE");

            // a claim kept elsewhere (a data directory copied before the give-back, which knows
            // nothing of it) reaches the coordinator, which says the same: closed by its holder, not
            // "lease expired" with a deadline still ahead. (In the same data directory, a claim
            // beside its give-back marker is a give-back cut short, which the next command finishes.)
            Path copy = Files.createDirectories(dir.resolve("agent-copy").resolve("claims"));
            Files.write(copy.resolve(unit + ".pb"), claimFile);
            Files.copy(Path.of(agent, IdentityStore.FILE_NAME), copy.resolveSibling(IdentityStore.FILE_NAME),
                    StandardCopyOption.COPY_ATTRIBUTES);
            JsonObject closed = CliRun.of("renew", "--json", "--unit", unit, "--coordinator", c.url(),
                    "--data-dir", dir.resolve("agent-copy").toString()).failure(ExitCodes.REFUSED, "unit_closed");
            assertThat(closed.get("message").getAsString()).contains("closed by its holder");
            assertThat(closed.get("hint").getAsString()).contains("claim a new unit");
            assertThat(closed.has("option")).isTrue();
        }
    }

    @Test
    void aNodeWithAKeyThatIsNoKeySaysTheNextStepNotHowToGetAStackTrace() throws Exception {
        // the hint was "set RHIZOME_DEBUG=1 for the stack trace", even where the message named the fix;
        // then "fix what the message names"; now the key's own remedy (UnusableKey)
        Path node = dir.resolve("n");
        Files.createDirectories(node);
        Path key = node.resolve(IdentityStore.FILE_NAME);
        Files.writeString(key, "not a key\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        CliRun r = CliRun.of("node", "--no-sandbox", "--data-dir", node.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.err()).contains(key + " is unusable").contains("(restore the key that was there, or move " + key)
                .doesNotContain("RHIZOME_DEBUG");
    }

    @Test
    void aSecondNodeOnADataDirectoryInUseIsToldWhoHoldsItAndTheWayOut() throws Exception {
        // this was the unforeseen-failure line: its remedy inside the message, then "fix what the
        // message names (RHIZOME_DEBUG=1 prints the stack trace)"
        Path node = dir.resolve("n2");
        Files.createDirectories(node);
        try (ProcessLock held = ProcessLock.acquire(new NodeLayout(node).ownerLock(), "the node data directory " + node)) {
            CliRun r = CliRun.of("node", "--no-sandbox", "--data-dir", node.toString(), "--coordinator", "http://127.0.0.1:1");
            assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.FAILED);
            long pid = ProcessHandle.current().pid();
            assertThat(r.err()).contains("is in use by another running process (pid " + pid + ")")
                    .contains("stop that process first (`kill " + pid + "`)").contains("--data-dir of its own")
                    .doesNotContain("RHIZOME_DEBUG").doesNotContain("fix what the message names");
        }
    }

    @Test
    void aMistypedCommandAskedForItsHelpIsStillAMistakeWithWhatWasMeant() {
        // `rhizome stauts --help` printed the whole help with exit 0: an agent took the typo for a command
        JsonObject top = CliRun.of("stauts", "--help", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(top.get("hint").getAsString()).startsWith("did you mean `rhizome status`");
        JsonObject sub = CliRun.of("seed", "pubish", "--help", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(sub.get("hint").getAsString()).startsWith("did you mean `rhizome seed publish`");
        // `rhizome help stauts` said "Unknown subcommand" and printed the whole help
        CliRun help = CliRun.of("help", "stauts");
        assertThat(help.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(help.err()).contains("did you mean `rhizome status`").doesNotContain("Usage:");
        CliRun nested = CliRun.of("help", "seed", "pubish");
        assertThat(nested.code()).as(nested.out() + nested.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(nested.err()).contains("did you mean `rhizome seed publish`");
        // a word for what another command shows is led to that command, not to the whole help
        JsonObject frontier = CliRun.of("frontier", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(frontier.get("hint").getAsString()).startsWith("did you mean `rhizome brief` or `rhizome tree`");
        // and help that is there is still help
        assertThat(CliRun.of("status", "--help").code()).isZero();
        assertThat(CliRun.of("help", "seed", "publish").code()).isZero();
    }

    @Test
    void everyRefusedValueNamesTheValueTheOptionAndTheFormItTakes() {
        String[][] refused = {
            {"claim", "--kind", "foo"},
            {"coordinator", "--lease-seconds", "5x"},
            {"coordinator", "--lease-seconds", "-3"},
            {"agent", "--rounds", "-1", "--direction", "d", "--cmd", "true"},
            {"demo", "--duration", "0"},
            {"ban", "--key", "zz", "--coordinator", "http://127.0.0.1:1"},
            {"coordinator", "--operator", "abc"},
            {"direction", "open", "--name", "no spaces", "--seed", "s", "--coordinator", "http://127.0.0.1:1"},
            {"seed", "publish", "--builtin", "tiny", "--coordinator", "http://127.0.0.1:1"},
        };
        for (String[] words : refused) {
            List<String> args = new ArrayList<>(List.of(words));
            // `coordinator` too: its --json refusals are the same error object
            args.addAll(List.of("--json", "--data-dir", dir.resolve("v").toString()));
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.USAGE);
            String message = r.failure(ExitCodes.USAGE, "usage").get("message").getAsString();
            String option = words[1].startsWith("--") ? words[1] : words[2];
            String value = words[1].startsWith("--") ? words[2] : words[3];
            assertThat(message.replaceFirst("^rhizome: ", "")).as(String.join(" ", words))
                    .startsWith("invalid value '" + value + "' for " + option + ": expected ")
                    .doesNotContain("Invalid value for option").doesNotContain("case-sensitive");
            // an agent fixes the option the object names, without parsing the message
            assertThat(r.json().get("option").getAsString()).as(String.join(" ", words)).isEqualTo(option);
        }
        assertThat(CliRun.of("claim", "--kind", "foo", "--json").json().get("message").getAsString())
                .endsWith("expected one of explore, evaluate");
        // seconds take a unit where the help says so: 5m is parsed, and the next bad value is the one named
        CliRun minutes = CliRun.of("coordinator", "--lease-seconds", "5m", "--port", "70000");
        assertThat(minutes.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(minutes.err()).contains("for --port").doesNotContain("--lease-seconds");
        assertThat(String.join(" ", Main.commandLine().getSubcommands().get("coordinator").getCommandSpec()
                .findOption("--lease-seconds").description())).contains("5m");
    }

    @Test
    void anUnusableIdentityKeyNamesTheFileWhatIsWrongAndTheWayOut() throws Exception {
        Path open = dir.resolve("open");
        IdentityStore.loadOrCreate(open);
        Path key = open.resolve(IdentityStore.FILE_NAME);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        JsonObject o = CliRun.of("id", "--json", "--data-dir", open.toString()).failure(ExitCodes.FAILED, "unusable_key");
        assertThat(o.get("message").getAsString()).contains(key.toString()).contains("rw-r--r--");
        assertThat(o.get("hint").getAsString()).contains("chmod 600 " + key);

        Path truncated = dir.resolve("truncated");
        Files.createDirectories(truncated);
        Path cut = truncated.resolve(IdentityStore.FILE_NAME);
        Files.writeString(cut, "0123456789abcdef\n");
        Files.setPosixFilePermissions(cut, PosixFilePermissions.fromString("rw-------"));
        JsonObject c = CliRun.of("claim", "--json", "--direction", "d", "--data-dir", truncated.toString(),
                "--coordinator", "http://127.0.0.1:1").failure(ExitCodes.FAILED, "unusable_key");
        assertThat(c.get("message").getAsString()).contains(cut.toString()).contains("64 hex digits");
        assertThat(Files.readString(cut)).as("never replaced").isEqualTo("0123456789abcdef\n");
        // a daemon says the same, not a stack trace
        CliRun node = CliRun.of("node", "--no-sandbox", "--data-dir", open.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(node.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(node.err()).contains(key + " is unusable").contains("chmod 600").doesNotContain("Exception");
    }
}
