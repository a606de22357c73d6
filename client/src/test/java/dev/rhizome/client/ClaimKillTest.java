package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.client.agent.Research;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent's `rhizome claim` SIGKILLed once the coordinator has leased it a unit and before the
 * answer reaches it (a real child process, killed by a proxy as the answer comes back). It kept no
 * claim on disk, and the unit stayed leased to nobody who knew of it until its deadline, holding one
 * of the direction's explorations. Now the next claim of the key sends the dead one's claim again:
 * it gets that unit when it asks the same, and gives it back when it asks something else.
 */
class ClaimKillTest {
    @TempDir
    Path dir;

    // What every case starts from: a coordinator seeded from a volunteer's repository, its operator,
    // and the agent whose commands are killed (its data directory and its public key).
    private SeededCoordinator network;
    private CoordinatorClient operator;
    private Path agent;
    private byte[] key;

    @BeforeEach
    void startNetwork() throws Exception {
        network = SeededCoordinator.start(dir, dir.resolve("volunteer"), TestNetwork.slowSeed(3, 300));
        operator = network.operator();
        agent = dir.resolve("agent");
        key = IdentityStore.loadOrCreate(agent).publicId().toByteString().toByteArray();
    }

    @AfterEach
    void stopNetwork() {
        if (network != null) {
            network.close();
        }
    }

    @Test
    void aClaimKilledBeforeItsAnswerLeavesNoUnitLeasedToNobody() throws Exception {
        try (KillingProxy proxy = new KillingProxy(network.url())) {
            // killed asking with one hypothesis; the next claim asks with another: the unit goes back
            String stranded = killedAtItsAnswer(proxy, "raise x");
            String fresh = claimed("lower x");
            assertThat(fresh).isNotEqualTo(stranded);
            assertThat(leasedToTheAgent()).as("the dead claim's unit given back, the new one held")
                    .containsExactly(fresh);
            assertThat(inFlight()).as("claims left in flight").isEmpty();

            // killed again; the next claim asks the same: it is handed the unit the dead one was leased
            String second = killedAtItsAnswer(proxy, "lower x");
            assertThat(claimed("lower x")).as("the unit the killed claim was leased").isEqualTo(second);
            assertThat(leasedToTheAgent()).containsExactlyInAnyOrder(fresh, second);
            assertThat(inFlight()).as("claims left in flight").isEmpty();
        }
    }

    /**
     * Killed once the answer came and before the unit was saved (a crash point holds the child in
     * that moment, microseconds otherwise): the claim used to leave the journal as the answer came,
     * and the unit was neither saved nor sent again, leased to nobody until its deadline. The claim
     * now stays in flight until its unit is saved; the next claim gets that lease again.
     */
    @Test
    void aClaimKilledBetweenItsAnswerAndItsSaveLeavesNoUnitLeasedToNobody() throws Exception {
        String unsaved = killedUnsaved("lower x");
        assertThat(claimed("lower x")).as("the lease the killed claim got and never saved").isEqualTo(unsaved);
        assertThat(ClaimFiles.load(agent, unsaved).getId()).as("saved now").isEqualTo(unsaved);
        assertThat(leasedToTheAgent()).containsExactly(unsaved);
        assertThat(inFlight()).as("claims left in flight").isEmpty();

        // asking something else, the next claim gives the killed one's unit back
        String other = killedUnsaved("raise x");
        String fresh = claimed("halve x");
        assertThat(leasedToTheAgent()).as("the unsaved unit given back").containsExactlyInAnyOrder(unsaved, fresh)
                .doesNotContain(other);
        assertThat(inFlight()).as("claims left in flight").isEmpty();
    }

    /**
     * `rhizome renew` killed once the coordinator renewed the lease and before the new deadline was
     * saved (a crash point holds it there): the saved claim kept the old deadline, and a submit
     * after it was refused here as expired though the lease ran on. The next command that loads the
     * claim now renews again and saves the deadline.
     */
    @Test
    void aRenewalKilledBeforeItsSaveIsFinishedByTheNextCommand() throws Exception {
        String unit = claimed("lower x");
        long saved = ClaimFiles.load(agent, unit).getLeaseDeadlineMs();

        killedAt(CrashPoints.RENEW_ANSWERED, "renew", "--data-dir", agent.toString(), "--coordinator", network.url(),
                "--unit", unit, "--json");
        long renewed = deadlineAt(unit);
        assertThat(renewed).as("renewed at the coordinator").isGreaterThan(saved);
        assertThat(ClaimFiles.load(agent, unit).getLeaseDeadlineMs()).as("saved before the kill").isEqualTo(saved);

        WorkUnit loaded = new Research(new CoordinatorClient(network.url(), IdentityStore.loadOrCreate(agent)), agent)
                .load(unit, "--unit");
        assertThat(loaded.getLeaseDeadlineMs()).as("the deadline the next command works with")
                .isGreaterThanOrEqualTo(renewed).isEqualTo(deadlineAt(unit));
        assertThat(ClaimFiles.load(agent, unit).getLeaseDeadlineMs()).as("saved").isEqualTo(loaded.getLeaseDeadlineMs());
        assertThat(ClaimFiles.isRenewing(agent, unit)).as("a renewal left to finish").isFalse();
    }

    /**
     * `rhizome unclaim` killed once the coordinator took the unit back and before the claim was
     * forgotten (a crash point holds it there): the claim stayed, and the next submit or renew of it
     * was refused by the coordinator as not leased, where the agent is told `given_back`. The next
     * command that loads it now finishes the give-back.
     */
    @Test
    void aGiveBackKilledBeforeItForgetsTheClaimIsFinishedByTheNextCommand() throws Exception {
        String unit = claimed("lower x");

        killedAt(CrashPoints.GIVEN_BACK, "unclaim", "--data-dir", agent.toString(), "--coordinator", network.url(),
                "--unit", unit, "--json");
        assertThat(leasedToTheAgent()).as("given back at the coordinator").doesNotContain(unit);
        assertThat(agent.resolve("claims").resolve(unit + ".pb")).as("the claim at the kill").exists();

        CliRun renew = CliRun.of("renew", "--data-dir", agent.toString(), "--coordinator", network.url(), "--unit",
                unit, "--json");
        renew.failure(ExitCodes.USAGE, "given_back");
        assertThat(agent.resolve("claims").resolve(unit + ".pb")).as("the claim after the next command").doesNotExist();
    }

    /**
     * `rhizome claim --workspace W` killed once its unit is saved and before it is checked out and
     * printed (a crash point holds it there; a fetch from peers stretches that moment to minutes): it
     * printed nothing, so the agent never learnt the unit's id, and the unit stayed leased to it until
     * its deadline while the rerun claimed another. The rerun now takes that unit over when it asks the
     * same (checked out into W, {@code resumed}), and gives it back when it asks something else.
     */
    @Test
    void aClaimKilledBeforeItsCheckoutIsTakenOverOrGivenBackByTheNextClaim() throws Exception {
        try (NodeDaemon seedHolder = TestNetwork.node(NodeConfig.defaults(dir.resolve("volunteer"), network.url()))) {
            Path ws = dir.resolve("ws");
            String unhanded = killedUnhanded(ws, "lower x");
            assertThat(ws).as("the workspace at the kill").doesNotExist();

            CliRun again = CliRun.of(claimInto(ws, "lower x"));
            assertThat(again.code()).as(again.err()).isZero();
            assertThat(again.json().getAsJsonObject("unit").get("id").getAsString()).as("the killed claim's unit")
                    .isEqualTo(unhanded);
            assertThat(again.json().get("resumed").getAsBoolean()).isTrue();
            assertThat(again.err()).contains("unit " + unhanded + " was leased to an earlier `rhizome claim`");
            assertThat(WorkspaceClaim.read(ws).orElseThrow().unitId()).as("the workspace's claim").isEqualTo(unhanded);
            assertThat(leasedToTheAgent()).containsExactly(unhanded);
            assertThat(unhandedMarks()).as("marks left").isEmpty();

            // killed again; the next claim asks something else: the killed one's unit goes back
            String other = killedUnhanded(dir.resolve("ws2"), "raise x");
            CliRun fresh = CliRun.of(claimInto(dir.resolve("ws3"), "halve x"));
            assertThat(fresh.code()).as(fresh.err()).isZero();
            String freshId = fresh.json().getAsJsonObject("unit").get("id").getAsString();
            assertThat(fresh.json().get("resumed").getAsBoolean()).isFalse();
            assertThat(fresh.err()).contains("unit " + other + " was leased to an earlier `rhizome claim`")
                    .contains("given back");
            assertThat(leasedToTheAgent()).as("the killed claim's unit given back")
                    .containsExactlyInAnyOrder(unhanded, freshId).doesNotContain(other);
            CliRun submit = CliRun.of("renew", "--data-dir", agent.toString(), "--coordinator", network.url(), "--unit",
                    other, "--json");
            submit.failure(ExitCodes.USAGE, "given_back");
            assertThat(unhandedMarks()).as("marks left").isEmpty();
            assertThat(inFlight()).as("claims left in flight").isEmpty();
        }
    }

    /**
     * `rhizome claim` SIGKILLed once its answer is printed whole, before its unhanded mark goes: the
     * mark used to go before the print, and a kill between the two left the unit leased to a user
     * who never saw it (nothing printed, nothing marked). Now the mark stays until the answer is out:
     * the next claim asking the same resumes the printed unit, one asking something else gives it
     * back (the killed command's exit status says its answer does not count).
     */
    @Test
    void aClaimKilledAfterItsPrintIsTakenOverOrGivenBackByTheNextClaim() throws Exception {
        try (NodeDaemon seedHolder = TestNetwork.node(NodeConfig.defaults(dir.resolve("volunteer"), network.url()))) {
            Path ws = dir.resolve("ws");
            String printed = killedPrinted(ws, "lower x");

            CliRun again = CliRun.of(claimInto(dir.resolve("ws-again"), "lower x"));
            assertThat(again.code()).as(again.err()).isZero();
            assertThat(again.json().getAsJsonObject("unit").get("id").getAsString()).as("the killed claim's unit")
                    .isEqualTo(printed);
            assertThat(again.json().get("resumed").getAsBoolean()).isTrue();
            assertThat(leasedToTheAgent()).containsExactly(printed);
            assertThat(unhandedMarks()).as("marks left").isEmpty();

            String other = killedPrinted(dir.resolve("ws2"), "raise x");
            CliRun fresh = CliRun.of(claimInto(dir.resolve("ws3"), "halve x"));
            assertThat(fresh.code()).as(fresh.err()).isZero();
            String freshId = fresh.json().getAsJsonObject("unit").get("id").getAsString();
            assertThat(fresh.json().get("resumed").getAsBoolean()).isFalse();
            assertThat(fresh.err()).contains("unit " + other + " was leased to an earlier `rhizome claim`")
                    .contains("given back");
            assertThat(leasedToTheAgent()).as("the killed claim's unit given back")
                    .containsExactlyInAnyOrder(printed, freshId).doesNotContain(other);
            assertThat(unhandedMarks()).as("marks left").isEmpty();
            assertThat(inFlight()).as("claims left in flight").isEmpty();
        }
    }

    /** Runs `rhizome claim --workspace ws` stopped once its answer is printed, SIGKILLs it there; the unit it printed. */
    private String killedPrinted(Path ws, String hypothesis) throws Exception {
        List<String> before = leasedToTheAgent();
        killedAt(CrashPoints.CLAIM_PRINTED, claimInto(ws, hypothesis));
        List<String> leased = leasedToTheAgent().stream().filter(u -> !before.contains(u)).toList();
        assertThat(leased).as("leased to the killed claim").hasSize(1);
        assertThat(RealProcess.output(dir.resolve(CrashPoints.CLAIM_PRINTED + ".log"))).as("its answer, printed")
                .contains("\"id\":\"" + leased.get(0) + "\"");
        assertThat(unhandedMarks()).as("its unit still marked unhanded").hasSize(1);
        return leased.get(0);
    }

    /** Runs `rhizome claim --workspace ws` stopped once its unit is saved, SIGKILLs it there; the unit it was leased. */
    private String killedUnhanded(Path ws, String hypothesis) throws Exception {
        List<String> before = leasedToTheAgent();
        killedAt(CrashPoints.CLAIM_KEPT, claimInto(ws, hypothesis));
        List<String> leased = leasedToTheAgent().stream().filter(u -> !before.contains(u)).toList();
        assertThat(leased).as("leased to the killed claim").hasSize(1);
        assertThat(agent.resolve("claims").resolve(leased.get(0) + ".pb")).as("saved before the kill").exists();
        assertThat(unhandedMarks()).as("its unit marked unhanded").hasSize(1);
        return leased.get(0);
    }

    private String[] claimInto(Path ws, String hypothesis) {
        return new String[] {"claim", "--data-dir", agent.toString(), "--coordinator", network.url(), "--direction",
            SeededCoordinator.DIRECTION, "--hypothesis", hypothesis, "--workspace", ws.toString(), "--json"};
    }

    private List<String> unhandedMarks() throws IOException {
        try (Stream<Path> files = Files.list(agent.resolve("claims"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".unhanded-")).toList();
        }
    }

    /**
     * Runs the agent's command {@code args} stopped at crash point {@code point} and SIGKILLs it
     * there; its output is kept in {@code <point>.log} (one per point: a case killing twice at one
     * point reads only the second's).
     */
    private void killedAt(String point, String... args) throws Exception {
        Path log = dir.resolve(point + ".log");
        Process p = RealProcess.start(TestNetwork.launcher(args), log, RealProcess.crashPoint(point));
        try {
            await().atMost(Duration.ofMinutes(3)).until(() -> !p.isAlive()
                    || RealProcess.output(log).contains("at crash point " + point));
            assertThat(p.isAlive()).as("stopped at %s; its output: %s", point, RealProcess.output(log)).isTrue();
        } finally {
            RealProcess.kill(p);
        }
    }

    /** Runs `rhizome claim` stopped at its crash point after the answer, SIGKILLs it there; the unit it was leased. */
    private String killedUnsaved(String hypothesis) throws Exception {
        List<String> before = leasedToTheAgent();
        killedAt(CrashPoints.CLAIM_ANSWERED, claim(network.url(), hypothesis));
        String leased = theOneLeasedSince(before);
        assertThat(Files.exists(agent.resolve("claims").resolve(leased + ".pb"))).as("saved before the kill").isFalse();
        return leased;
    }

    /** Runs `rhizome claim` as a child the proxy kills once its claim is answered; the unit it was leased. */
    private String killedAtItsAnswer(KillingProxy proxy, String hypothesis) throws Exception {
        List<String> before = leasedToTheAgent();
        AtomicReference<Process> child = new AtomicReference<>();
        proxy.arm("POST /v1/claim ", KillingProxy.When.AFTER_ANSWER, child::get);
        Process p = RealProcess.start(TestNetwork.launcher(claim(proxy.url(), hypothesis)), dir.resolve("claim.log"));
        child.set(p);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("claim ended").isTrue();
        assertThat(proxy.fired()).as("killed after its claim's answer; its output: %s",
                RealProcess.output(dir.resolve("claim.log"))).isTrue();
        return theOneLeasedSince(before);
    }

    /** After a kill: its claim kept in flight, and the one unit leased to it. */
    private String theOneLeasedSince(List<String> before) throws Exception {
        assertThat(inFlight()).as("the claim kept in flight at the kill").hasSize(1);
        List<String> leased = leasedToTheAgent().stream().filter(u -> !before.contains(u)).toList();
        assertThat(leased).as("leased to the killed claim").hasSize(1);
        return leased.get(0);
    }

    /** A `rhizome claim` run to its end; the unit it answered. */
    private String claimed(String hypothesis) throws Exception {
        CliRun run = CliRun.of(claim(network.url(), hypothesis));
        assertThat(run.code()).as(run.err()).isZero();
        return run.json().getAsJsonObject("unit").get("id").getAsString();
    }

    private String[] claim(String url, String hypothesis) {
        return new String[] {"claim", "--data-dir", agent.toString(), "--coordinator", url, "--direction",
            SeededCoordinator.DIRECTION, "--hypothesis", hypothesis, "--json"};
    }

    private long deadlineAt(String unit) throws Exception {
        return operator.units("LEASED").getUnitsList().stream()
                .filter(u -> Arrays.equals(u.getHolder().toByteArray(), key) && u.getUnit().getId().equals(unit))
                .findFirst().orElseThrow(() -> new AssertionError(unit + " not leased to the agent"))
                .getUnit().getLeaseDeadlineMs();
    }

    private List<String> leasedToTheAgent() throws Exception {
        return operator.units("LEASED").getUnitsList().stream()
                .filter(u -> Arrays.equals(u.getHolder().toByteArray(), key)).map(u -> u.getUnit().getId()).toList();
    }

    private List<String> inFlight() throws IOException {
        Path claims = Research.claimsInFlight(agent);
        if (!Files.isDirectory(claims)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(claims)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
