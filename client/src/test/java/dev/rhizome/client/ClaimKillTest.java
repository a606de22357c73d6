package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.client.agent.Research;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
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

    @Test
    void aClaimKilledBeforeItsAnswerLeavesNoUnitLeasedToNobody() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300));
                KillingProxy proxy = new KillingProxy(network.url())) {
            CoordinatorClient operator = network.operator();
            byte[] key = IdentityStore.loadOrCreate(agent).publicId().toByteString().toByteArray();

            // killed asking with one hypothesis; the next claim asks with another: the unit goes back
            String stranded = killedAt(proxy, agent, operator, key, "raise x");
            CliRun other = CliRun.of(claim(agent, network.url(), "lower x"));
            assertThat(other.code()).as(other.err()).isZero();
            String fresh = other.json().getAsJsonObject("unit").get("id").getAsString();
            assertThat(fresh).isNotEqualTo(stranded);
            assertThat(leasedTo(operator, key)).as("the dead claim's unit given back, the new one held")
                    .containsExactly(fresh);
            assertThat(inFlight(agent)).as("claims left in flight").isEmpty();

            // killed again; the next claim asks the same: it is handed the unit the dead one was leased
            String second = killedAt(proxy, agent, operator, key, "lower x");
            CliRun same = CliRun.of(claim(agent, network.url(), "lower x"));
            assertThat(same.code()).as(same.err()).isZero();
            assertThat(same.json().getAsJsonObject("unit").get("id").getAsString())
                    .as("the unit the killed claim was leased").isEqualTo(second);
            assertThat(leasedTo(operator, key)).containsExactlyInAnyOrder(fresh, second);
            assertThat(inFlight(agent)).as("claims left in flight").isEmpty();
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
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300))) {
            CoordinatorClient operator = network.operator();
            byte[] key = IdentityStore.loadOrCreate(agent).publicId().toByteString().toByteArray();

            String unsaved = killedUnsaved(network.url(), agent, operator, key, "lower x");
            CliRun same = CliRun.of(claim(agent, network.url(), "lower x"));
            assertThat(same.code()).as(same.err()).isZero();
            assertThat(same.json().getAsJsonObject("unit").get("id").getAsString())
                    .as("the lease the killed claim got and never saved").isEqualTo(unsaved);
            assertThat(ClaimFiles.load(agent, unsaved).getId()).as("saved now").isEqualTo(unsaved);
            assertThat(leasedTo(operator, key)).containsExactly(unsaved);
            assertThat(inFlight(agent)).as("claims left in flight").isEmpty();

            // asking something else, the next claim gives the killed one's unit back
            String other = killedUnsaved(network.url(), agent, operator, key, "raise x");
            CliRun fresh = CliRun.of(claim(agent, network.url(), "halve x"));
            assertThat(fresh.code()).as(fresh.err()).isZero();
            String freshId = fresh.json().getAsJsonObject("unit").get("id").getAsString();
            assertThat(leasedTo(operator, key)).as("the unsaved unit given back").containsExactlyInAnyOrder(unsaved, freshId)
                    .doesNotContain(other);
            assertThat(inFlight(agent)).as("claims left in flight").isEmpty();
        }
    }

    /**
     * `rhizome renew` killed once the coordinator renewed the lease and before the new deadline was
     * saved (a crash point holds it there): the saved claim kept the old deadline, and a submit
     * after it was refused here as expired though the lease ran on. The next command that loads the
     * claim now renews again and saves the deadline.
     */
    @Test
    void aRenewalKilledBeforeItsSaveIsFinishedByTheNextCommand() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300))) {
            CoordinatorClient operator = network.operator();
            byte[] key = IdentityStore.loadOrCreate(agent).publicId().toByteString().toByteArray();
            CliRun claimed = CliRun.of(claim(agent, network.url(), "lower x"));
            assertThat(claimed.code()).as(claimed.err()).isZero();
            String unit = claimed.json().getAsJsonObject("unit").get("id").getAsString();
            long saved = ClaimFiles.load(agent, unit).getLeaseDeadlineMs();

            killedAt(CrashPoints.RENEW_ANSWERED, "renew.log", "renew", "--data-dir", agent.toString(), "--coordinator",
                    network.url(), "--unit", unit, "--json");
            long renewed = deadlineAt(operator, key, unit);
            assertThat(renewed).as("renewed at the coordinator").isGreaterThan(saved);
            assertThat(ClaimFiles.load(agent, unit).getLeaseDeadlineMs()).as("saved before the kill").isEqualTo(saved);

            WorkUnit loaded = new Research(new CoordinatorClient(network.url(), IdentityStore.loadOrCreate(agent)), agent)
                    .load(unit, "--unit");
            assertThat(loaded.getLeaseDeadlineMs()).as("the deadline the next command works with")
                    .isGreaterThanOrEqualTo(renewed).isEqualTo(deadlineAt(operator, key, unit));
            assertThat(ClaimFiles.load(agent, unit).getLeaseDeadlineMs()).as("saved").isEqualTo(loaded.getLeaseDeadlineMs());
            assertThat(ClaimFiles.isRenewing(agent, unit)).as("a renewal left to finish").isFalse();
        }
    }

    /**
     * `rhizome unclaim` killed once the coordinator took the unit back and before the claim was
     * forgotten (a crash point holds it there): the claim stayed, and the next submit or renew of it
     * was refused by the coordinator as not leased, where the agent is told `given_back`. The next
     * command that loads it now finishes the give-back.
     */
    @Test
    void aGiveBackKilledBeforeItForgetsTheClaimIsFinishedByTheNextCommand() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300))) {
            CoordinatorClient operator = network.operator();
            byte[] key = IdentityStore.loadOrCreate(agent).publicId().toByteString().toByteArray();
            CliRun claimed = CliRun.of(claim(agent, network.url(), "lower x"));
            assertThat(claimed.code()).as(claimed.err()).isZero();
            String unit = claimed.json().getAsJsonObject("unit").get("id").getAsString();

            killedAt(CrashPoints.GIVEN_BACK, "unclaim.log", "unclaim", "--data-dir", agent.toString(), "--coordinator",
                    network.url(), "--unit", unit, "--json");
            assertThat(leasedTo(operator, key)).as("given back at the coordinator").doesNotContain(unit);
            assertThat(agent.resolve("claims").resolve(unit + ".pb")).as("the claim at the kill").exists();

            CliRun renew = CliRun.of("renew", "--data-dir", agent.toString(), "--coordinator", network.url(), "--unit",
                    unit, "--json");
            renew.failure(ExitCodes.USAGE, "given_back");
            assertThat(agent.resolve("claims").resolve(unit + ".pb")).as("the claim after the next command").doesNotExist();
        }
    }

    /** Runs a command stopped at {@code point}, SIGKILLs it there. */
    private void killedAt(String point, String logName, String... args) throws Exception {
        List<String> command = TestNetwork.launcher(args);
        command.add(command.indexOf("-Dlogback.configurationFile=logback.xml"), "-Drhizome.crash-point=" + point);
        Path log = dir.resolve(logName);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofMinutes(3)).until(() -> !p.isAlive()
                    || Files.readString(log, StandardCharsets.UTF_8).contains("at crash point " + point));
            assertThat(p.isAlive()).as("stopped at %s; its output: %s", point,
                    Files.readString(log, StandardCharsets.UTF_8)).isTrue();
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    private static long deadlineAt(CoordinatorClient operator, byte[] key, String unit) throws Exception {
        return operator.units("LEASED").getUnitsList().stream()
                .filter(u -> Arrays.equals(u.getHolder().toByteArray(), key) && u.getUnit().getId().equals(unit))
                .findFirst().orElseThrow(() -> new AssertionError(unit + " not leased to the agent"))
                .getUnit().getLeaseDeadlineMs();
    }

    /** Runs `rhizome claim` stopped at its crash point after the answer, SIGKILLs it there; the unit it was leased. */
    private String killedUnsaved(String url, Path agent, CoordinatorClient operator, byte[] key, String hypothesis)
            throws Exception {
        List<String> before = leasedTo(operator, key);
        List<String> command = TestNetwork.launcher(claim(agent, url, hypothesis));
        command.add(command.indexOf("-Dlogback.configurationFile=logback.xml"),
                "-Drhizome.crash-point=" + CrashPoints.CLAIM_ANSWERED);
        Path log = dir.resolve("claim-" + hypothesis.replace(' ', '-') + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofMinutes(3)).until(() -> !p.isAlive()
                    || Files.readString(log, StandardCharsets.UTF_8).contains("at crash point " + CrashPoints.CLAIM_ANSWERED));
            assertThat(p.isAlive()).as("stopped between the answer and the save; its output: %s",
                    Files.readString(log, StandardCharsets.UTF_8)).isTrue();
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        assertThat(inFlight(agent)).as("the claim kept in flight at the kill").hasSize(1);
        List<String> leased = leasedTo(operator, key).stream().filter(u -> !before.contains(u)).toList();
        assertThat(leased).as("leased to the killed claim").hasSize(1);
        assertThat(Files.exists(agent.resolve("claims").resolve(leased.get(0) + ".pb"))).as("saved before the kill").isFalse();
        return leased.get(0);
    }

    private static String[] claim(Path agent, String url, String hypothesis) {
        return new String[] {"claim", "--data-dir", agent.toString(), "--coordinator", url, "--direction",
            SeededCoordinator.DIRECTION, "--hypothesis", hypothesis, "--json"};
    }

    /** Runs `rhizome claim` as a child the proxy kills once its claim is answered; the unit it was leased. */
    private String killedAt(KillingProxy proxy, Path agent, CoordinatorClient operator, byte[] key, String hypothesis)
            throws Exception {
        List<String> before = leasedTo(operator, key);
        AtomicReference<Process> child = new AtomicReference<>();
        proxy.arm("POST /v1/claim ", KillingProxy.When.AFTER_ANSWER, child::get);
        Process p = new ProcessBuilder(TestNetwork.launcher(claim(agent, proxy.url(), hypothesis)))
                .redirectErrorStream(true).redirectOutput(dir.resolve("claim.log").toFile()).start();
        child.set(p);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("claim ended").isTrue();
        assertThat(proxy.fired()).as("killed after its claim's answer; its output: %s",
                Files.readString(dir.resolve("claim.log"), StandardCharsets.UTF_8)).isTrue();
        assertThat(inFlight(agent)).as("the claim kept in flight at the kill").hasSize(1);
        List<String> leased = leasedTo(operator, key).stream().filter(u -> !before.contains(u)).toList();
        assertThat(leased).as("leased to the killed claim").hasSize(1);
        return leased.get(0);
    }

    private static List<String> leasedTo(CoordinatorClient operator, byte[] key) throws Exception {
        return operator.units("LEASED").getUnitsList().stream()
                .filter(u -> Arrays.equals(u.getHolder().toByteArray(), key)).map(u -> u.getUnit().getId()).toList();
    }

    private static List<String> inFlight(Path agent) throws IOException {
        Path claims = Research.claimsInFlight(agent);
        if (!Files.isDirectory(claims)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(claims)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
