package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.Workspaces;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an agent is told when the network has moved on without it: a lease that ran out, a
 * direction an operator closed, a key an operator banned, a workspace whose coordinator is gone. Each answer names what happened and the
 * one next step, not a generic hint about seeds and directions.
 */
class LeaseAndClosureTest {
    @TempDir
    Path dir;

    @Test
    void renewingALeaseThatRanOutIsLeaseExpiredWithTheClaimAgainStep() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String agent = dir.resolve("agent").toString();
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            CliRun claim = CliRun.of("claim", "--direction", "d", "--json", "--coordinator", c.url(), "--data-dir", agent);
            assertThat(claim.code()).as(claim.err()).isZero();
            String unitId = claim.json().getAsJsonObject("unit").get("id").getAsString();
            // the deadline as the claim recorded it, moved into the past (as after a long night)
            WorkUnit unit = ClaimFiles.load(Path.of(agent), unitId);
            ClaimFiles.save(Path.of(agent), unit.toBuilder().setLeaseDeadlineMs(System.currentTimeMillis() - 60_000).build());

            JsonObject renew = CliRun.of("renew", "--unit", unitId, "--json", "--coordinator", c.url(), "--data-dir", agent)
                    .failure(ExitCodes.REFUSED, "lease_expired");
            assertThat(renew.get("hint").getAsString()).contains("rhizome claim --direction d");
        }
    }

    @Test
    void aLeaseThatRanOutSaysWhatToDoNowAndUnclaimSaysNothingWasGivenBack() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent");
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            CliRun claim = CliRun.of("claim", "--direction", "d", "--json", "--coordinator", c.url(), "--data-dir", agent.toString());
            assertThat(claim.code()).as(claim.err()).isZero();
            WorkUnit unit = ClaimFiles.load(agent, claim.json().getAsJsonObject("unit").get("id").getAsString());
            ClaimFiles.save(agent, unit.toBuilder().setLeaseDeadlineMs(System.currentTimeMillis() - 60_000).build());
            // the workspace the work was done in, as `claim --workspace` records it
            Path ws = Files.createDirectories(dir.resolve("my ws").resolve(".git")).getParent();
            new WorkspaceClaim(unit.getId(), agent, c.url()).write(ws);

            // renew: what to do now (it said "renew long work in time"), naming this workspace
            JsonObject renew = CliRun.of("renew", "--workspace", ws.toString(), "--json").failure(ExitCodes.REFUSED, "lease_expired");
            assertThat(renew.get("message").getAsString()).contains("nothing can be submitted under it");
            // a workspace git cannot read: what holds if something was committed, and what if not
            assertThat(renew.get("hint").getAsString()).contains("if you committed on top of", "can still be submitted under a new claim")
                    .contains("with nothing committed, claim afresh")
                    .contains("rhizome claim --direction d --from " + unit.getCommit().substring(0, 10))
                    .contains("rhizome submit --workspace '" + ws.toAbsolutePath() + "'")
                    .doesNotContain("in time with").doesNotContain("NEW_UNIT");
            // submit: the same
            JsonObject submit = CliRun.of("submit", "--workspace", ws.toString(), "--json").failure(ExitCodes.REFUSED, "lease_expired");
            assertThat(submit.get("hint").getAsString()).isEqualTo(renew.get("hint").getAsString());

            // unclaim: it gave nothing back (it answered given_back: true), exit 0 all the same: the unit is not yours
            CliRun unclaim = CliRun.of("unclaim", "--workspace", ws.toString(), "--json");
            assertThat(unclaim.code()).as(unclaim.err()).isZero();
            JsonObject o = unclaim.json();
            assertThat(o.get("unit").getAsString()).isEqualTo(unit.getId());
            assertThat(o.get("given_back").getAsBoolean()).isFalse();
            assertThat(o.get("reason").getAsString()).isEqualTo("lease_expired");
            assertThat(o.get("hint").getAsString()).contains("rhizome submit --workspace '" + ws.toAbsolutePath() + "'");

            // a unit given back in time still says so, with null reason and hint
            CliRun again = CliRun.of("claim", "--direction", "d", "--json", "--coordinator", c.url(), "--data-dir", agent.toString());
            String live = again.json().getAsJsonObject("unit").get("id").getAsString();
            CliRun text = CliRun.of("unclaim", "--unit", live, "--coordinator", c.url(), "--data-dir", agent.toString(), "--json");
            assertThat(text.code()).as(text.err()).isZero();
            assertThat(text.json().get("given_back").getAsBoolean()).isTrue();
            assertThat(text.json().get("reason").isJsonNull()).isTrue();
            assertThat(text.json().get("hint").isJsonNull()).isTrue();
        }
    }

    @Test
    void aLeaseThatRanOutSaysWhetherTheWorkspaceHoldsAnythingToSubmit() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent");
            String seed = CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            CliRun claim = CliRun.of("claim", "--direction", "d", "--json", "--coordinator", c.url(), "--data-dir", agent.toString());
            assertThat(claim.code()).as(claim.err()).isZero();
            WorkUnit unit = ClaimFiles.load(agent, claim.json().getAsJsonObject("unit").get("id").getAsString());
            ClaimFiles.save(agent, unit.toBuilder().setLeaseDeadlineMs(System.currentTimeMillis() - 60_000).build());
            // the workspace as `claim --workspace` checks it out: the unit's commit, nothing on top yet
            Path ws = dir.resolve("the ws");  // a space: the hint quotes it for a shell
            try (NodeRepository repo = NodeRepository.open(new NodeLayout(dir.resolve("node")).repository())) {
                Workspaces.create(repo, seed, ws, "rhizome/" + unit.getId());
            }
            new WorkspaceClaim(unit.getId(), agent, c.url()).write(ws);

            // it said "what you committed can still be submitted" with nothing committed
            JsonObject nothing = CliRun.of("renew", "--workspace", ws.toString(), "--json").failure(ExitCodes.REFUSED, "lease_expired");
            assertThat(nothing.get("hint").getAsString()).contains("nothing is committed in '" + ws.toAbsolutePath() + "' yet")
                    .contains("rhizome claim --direction d --from " + seed.substring(0, 10))
                    .doesNotContain("can still be submitted");

            try (Git git = Git.open(ws.toFile())) {
                Files.writeString(ws.resolve("notes.txt"), "a change\n");
                git.add().addFilepattern("notes.txt").call();
                git.commit().setMessage("a change").setAuthor("a", "a@example.org").setCommitter("a", "a@example.org")
                        .setSign(false).call();
            }
            JsonObject committed = CliRun.of("submit", "--workspace", ws.toString(), "--json").failure(ExitCodes.REFUSED, "lease_expired");
            assertThat(committed.get("hint").getAsString()).contains("what you committed in '" + ws.toAbsolutePath()
                    + "' can still be submitted, under a new claim").contains("rhizome submit --workspace '"
                            + ws.toAbsolutePath() + "'");
        }
    }

    @Test
    void aCoordinatorStartedAfreshSaysItDoesNotKnowTheClaimAndTheWayOn() throws Exception {
        Path agent = dir.resolve("agent");
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            CliRun claim = CliRun.of("claim", "--direction", "d", "--json", "--coordinator", c.url(), "--data-dir", agent.toString());
            assertThat(claim.code()).as(claim.err()).isZero();
            String unitId = claim.json().getAsJsonObject("unit").get("id").getAsString();
            // another coordinator on a fresh store (this one still runs, so the two never share a port):
            // no direction yet (it said "an operator opens one", as if nothing had been claimed)
            try (Coordinator fresh = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("fresh")))) {
                JsonObject none = CliRun.of("renew", "--unit", unitId, "--json", "--coordinator", fresh.url(), "--data-dir",
                        agent.toString()).failure(ExitCodes.USAGE, "unknown_direction");
                assertThat(none.get("hint").getAsString()).contains("does not know unit " + unitId)
                        .contains("once direction d is open there").contains("rhizome claim --direction d --from");
                // the direction opened again: the unit is what it does not know (it was not_found, exit 4, with a generic hint)
                CliRun.openDirection(fresh.url(), dir.resolve("op2"), dir.resolve("node2"), "d");
                JsonObject unknown = CliRun.of("renew", "--unit", unitId, "--json", "--coordinator", fresh.url(), "--data-dir",
                        agent.toString()).failure(ExitCodes.USAGE, "unknown_unit");
                assertThat(unknown.get("hint").getAsString()).contains("does not know unit " + unitId)
                        .contains("rhizome submit").doesNotContain("NEW_UNIT").contains("pass --coordinator with the one that leased it");
                assertThat(unknown.get("option").getAsString()).isEqualTo("--unit");
            }
        }
    }

    @Test
    void theBriefOfAClosedDirectionSaysItIsClosedAndABannedKeyIsToldWhy() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String op = dir.resolve("op").toString();
            String agent = dir.resolve("agent").toString();
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            assertThat(CliRun.of("brief", "--direction", "d", "--json", "--coordinator", c.url(), "--data-dir", agent)
                    .json().get("closed").getAsBoolean()).isFalse();
            CliRun close = CliRun.of("direction", "close", "--name", "d", "--reason", "done here", "--json",
                    "--coordinator", c.url(), "--data-dir", op);
            assertThat(close.code()).as(close.err()).isZero();

            CliRun brief = CliRun.of("brief", "--direction", "d", "--json", "--coordinator", c.url(), "--data-dir", agent);
            assertThat(brief.json().get("closed").getAsBoolean()).isTrue();
            assertThat(brief.json().getAsJsonObject("closed_reason").get("text").getAsString()).isEqualTo("done here");
            assertThat(CliRun.of("brief", "--direction", "d", "--coordinator", c.url(), "--data-dir", agent).out())
                    .contains("This direction is closed");

            String banned = IdentityStore.loadOrCreate(Path.of(agent)).publicId().toString();
            CliRun ban = CliRun.of("ban", "--key", banned, "--reason", "spam", "--json", "--coordinator", c.url(),
                    "--data-dir", op);
            assertThat(ban.code()).as(ban.err()).isZero();
            JsonObject refused = CliRun.of("claim", "--json", "--coordinator", c.url(), "--data-dir", agent)
                    .failure(ExitCodes.REFUSED, "forbidden");
            assertThat(refused.get("message").getAsString()).contains("spam");
            assertThat(refused.get("hint").getAsString()).contains("banned").doesNotContain("rhizome seed list");
        }
    }

    @Test
    void aWorkspaceWhoseCoordinatorIsGoneSaysTheURLCameFromItsClaim() throws Exception {
        // the hint was "start the coordinator or pass --coordinator URL", with no word of where the URL came from
        Path ws = Files.createDirectories(dir.resolve("ws").resolve(".git")).getParent();
        new WorkspaceClaim("u-1", dir.resolve("agent"), "http://127.0.0.1:1").write(ws);
        ProcessBuilder b = new ProcessBuilder(TestNetwork.launcher("status", "--json")).directory(ws.toFile())
                .redirectError(dir.resolve("err.txt").toFile());
        b.environment().remove("RHIZOME_COORDINATOR");
        b.environment().remove("RHIZOME_DATA_DIR");
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(ExitCodes.UNREACHABLE);
        JsonObject o = com.google.gson.JsonParser.parseString(out.strip()).getAsJsonObject();
        assertThat(o.get("hint").getAsString()).contains(".git/rhizome-claim").contains("--coordinator");
    }
}
