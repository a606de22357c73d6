package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed by SIGKILL while a write of its is answered: the coordinator did the work, the node
 * never learned it. A real node process, killed by a proxy as the answer comes back, then started
 * again on its data directory.
 */
class LostAnswerKillTest {
    @TempDir
    Path dir;

    /**
     * Its result: the restarted node sends it again, is told it is already recorded, and lets it go;
     * the coordinator holds it once, and the unit is not run a second time (which would sign a
     * different result, refused for good).
     */
    @Test
    void nodeKilledBeforeItsResultsAnswerSendsItAgainOnRestartAndItIsStoredOnce() throws Exception {
        Path node = dir.resolve("node");
        NodeLayout layout = new NodeLayout(node);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
                KillingProxy proxy = new KillingProxy(coordinator.url())) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = seedAndDirection(operator, node);

            // what the node's files hold when its first result has been stored and its answer is on the way
            Set<String> sentResults = ConcurrentHashMap.newKeySet();
            Set<String> bufferedResults = ConcurrentHashMap.newKeySet();
            AtomicReference<Process> first = new AtomicReference<>();
            proxy.arm("POST /v1/results ", KillingProxy.When.AFTER_ANSWER, first::get, () -> {
                sentResults.addAll(names(layout.outbox(), ".result"));
                bufferedUnits(layout).forEach(u -> bufferedResults.add(ResultOutbox.fileName(u)));
            });
            first.set(node(node, proxy.url(), "node-1.log"));
            assertThat(first.get().waitFor(300, TimeUnit.SECONDS)).as("the node killed at its first result's answer").isTrue();
            assertThat(proxy.fired()).as("killed by the proxy; its log: %s", log("node-1.log")).isTrue();
            assertThat(sentResults).as("the result in flight, still in the outbox").hasSize(1);
            String file = sentResults.iterator().next();
            // a result is sent only once its unit left the buffer: a restart must not run it again
            assertThat(bufferedResults).as("units still buffered when their result was sent").doesNotContain(file);
            List<Result> storedBefore = stored(operator, seed, file);
            assertThat(storedBefore).as("stored before the answer was lost").hasSize(1);

            Process second = node(node, coordinator.url(), "node-2.log");
            try {
                await().atMost(Duration.ofSeconds(240)).until(() -> log("node-2.log").contains("(acknowledged " + file + ")"));
                assertThat(layout.outbox().resolve(file)).doesNotExist();
            } finally {
                RealProcess.stop(second);  // SIGTERM: the node's own stop
            }
            assertThat(stored(operator, seed, file)).as("the unit's results after the resend").isEqualTo(storedBefore);
            assertThat(names(layout.outbox().resolve("refused"), ".result")).as("results refused for good").isEmpty();
            String unit = storedBefore.get(0).getWorkUnitId();
            assertThat(log("node-2.log")).as("the unit run again").doesNotContain("(unit " + unit + ")");
        }
    }

    /**
     * Its claim: the coordinator leased it a unit and the answer was lost. The restarted node sends the
     * same signed claim again and gets that unit back, and runs it; it used to claim afresh, and the
     * unit stayed leased to nobody who knew of it until its deadline.
     */
    @Test
    void nodeKilledBeforeItsClaimsAnswerGetsTheLeasedUnitBackOnRestart() throws Exception {
        Path node = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)));
                KillingProxy proxy = new KillingProxy(coordinator.url())) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = seedAndDirection(operator, node);
            AtomicReference<Process> first = new AtomicReference<>();
            proxy.arm("POST /v1/claim ", KillingProxy.When.AFTER_ANSWER, first::get);
            first.set(node(node, proxy.url(), "node-1.log"));
            assertThat(first.get().waitFor(300, TimeUnit.SECONDS)).as("the node killed at its first claim's answer").isTrue();
            assertThat(proxy.fired()).as("killed by the proxy; its log: %s", log("node-1.log")).isTrue();
            byte[] nodeKey = IdentityStore.loadOrCreate(node).publicId().toByteString().toByteArray();
            List<String> leased = operator.units("LEASED").getUnitsList().stream()
                    .filter(u -> Arrays.equals(u.getHolder().toByteArray(), nodeKey))
                    .map(u -> u.getUnit().getId()).toList();
            assertThat(leased).as("units leased to the killed node").hasSize(1);
            String unit = leased.get(0);

            Process second = node(node, coordinator.url(), "node-2.log");
            try {
                await().atMost(Duration.ofSeconds(240)).until(() -> operator.units("DONE").getUnitsList().stream()
                        .anyMatch(u -> u.getUnit().getId().equals(unit)));
            } finally {
                RealProcess.stop(second);
            }
            List<Result> results = SignedResults.check(operator.results(null, seed.getCommit()).getEnvelopesList())
                    .valid().stream().map(v -> v.record()).filter(r -> r.getWorkUnitId().equals(unit)).toList();
            assertThat(results).as("the unit's result").hasSize(1);
            assertThat(results.get(0).getRunner().toByteArray()).as("run by the node it was leased to").isEqualTo(nodeKey);
            assertClaimsLeftAfterAStop(node, 1, log("node-2.log"));
        }
    }

    /**
     * A node of two slots whose claims were both answered by the coordinator and neither answer
     * reached it: the restarted node sends each claim again and gets both units back, one to each
     * slot. Only the newest used to go again; the other unit stayed leased to nobody until its
     * deadline. (Running them is the single-slot test's; here the jobs would only add minutes.)
     */
    @Test
    void nodeOfSeveralSlotsKilledBeforeAllTheirClaimsAnswersGetsEveryLeasedUnitBack() throws Exception {
        Path node = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)));
                KillingProxy proxy = new KillingProxy(coordinator.url())) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            seedAndDirection(operator, node);
            AtomicReference<Process> first = new AtomicReference<>();
            proxy.armAfterAnswers("POST /v1/claim ", 2, first::get);
            first.set(node(node, proxy.url(), "node-1.log", "--cpu-jobs", "2"));
            assertThat(first.get().waitFor(300, TimeUnit.SECONDS)).as("the node killed at its second claim's answer").isTrue();
            assertThat(proxy.fired()).as("killed by the proxy; its log: %s", log("node-1.log")).isTrue();
            byte[] nodeKey = IdentityStore.loadOrCreate(node).publicId().toByteString().toByteArray();
            Set<String> leased = Set.copyOf(operator.units("LEASED").getUnitsList().stream()
                    .filter(u -> Arrays.equals(u.getHolder().toByteArray(), nodeKey))
                    .map(u -> u.getUnit().getId()).toList());
            assertThat(leased).as("units leased to the killed node").hasSize(2);
            assertThat(names(new NodeLayout(node).claims(), ".claim")).as("claims kept in flight at the kill").hasSize(2);

            assertThat(bufferedUnits(new NodeLayout(node))).as("units the killed node knew of").isEmpty();

            Process second = node(node, coordinator.url(), "node-2.log", "--cpu-jobs", "2");
            try {
                // a unit is kept in the buffer from its claim's answer until its result is out: each
                // leased unit reached a slot of the restarted node (a fresh claim would get others)
                Set<String> reached = ConcurrentHashMap.newKeySet();
                await().atMost(Duration.ofSeconds(300)).until(() -> {
                    reached.addAll(bufferedUnits(new NodeLayout(node)));
                    operator.units("DONE").getUnitsList().forEach(u -> reached.add(u.getUnit().getId()));
                    return reached.containsAll(leased);
                });
                assertThat(operator.units("LEASED").getUnitsList().stream()
                        .filter(u -> Arrays.equals(u.getHolder().toByteArray(), nodeKey)).map(u -> u.getUnit().getId())
                        .filter(u -> !leased.contains(u)).toList()).as("other units leased to the restarted node").isEmpty();
            } finally {
                RealProcess.stop(second);
            }
            assertClaimsLeftAfterAStop(node, 2, log("node-2.log"));
        }
    }

    /**
     * A node killed after its claim's answer came and before the unit reached its buffer (a crash
     * point holds it there): the claim used to leave the journal as the answer came, so the restart
     * neither resumed the unit nor sent the claim again, and the unit stayed leased to nobody until
     * its deadline. The claim now leaves the journal once the unit is buffered.
     */
    @Test
    void nodeKilledBetweenItsClaimsAnswerAndItsBufferGetsTheLeasedUnitBackOnRestart() throws Exception {
        Path node = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            seedAndDirection(operator, node);
            Process first = crashingNode(node, coordinator.url(), "node-1.log", CrashPoints.CLAIM_ANSWERED);
            try {
                await().atMost(Duration.ofMinutes(4)).until(() -> !first.isAlive()
                        || log("node-1.log").contains("at crash point " + CrashPoints.CLAIM_ANSWERED));
                assertThat(first.isAlive()).as("stopped between the answer and the buffer; its log: %s",
                        log("node-1.log")).isTrue();
            } finally {
                RealProcess.kill(first);
            }
            byte[] nodeKey = IdentityStore.loadOrCreate(node).publicId().toByteString().toByteArray();
            List<String> leased = operator.units("LEASED").getUnitsList().stream()
                    .filter(u -> Arrays.equals(u.getHolder().toByteArray(), nodeKey))
                    .map(u -> u.getUnit().getId()).toList();
            assertThat(leased).as("units leased to the killed node").hasSize(1);
            assertThat(bufferedUnits(new NodeLayout(node))).as("buffered before the kill").isEmpty();
            assertThat(names(new NodeLayout(node).claims(), ".claim")).as("the claim kept in flight at the kill").hasSize(1);

            Process second = node(node, coordinator.url(), "node-2.log");
            try {
                Set<String> reached = ConcurrentHashMap.newKeySet();
                await().atMost(Duration.ofSeconds(300)).until(() -> {
                    reached.addAll(bufferedUnits(new NodeLayout(node)));
                    operator.units("DONE").getUnitsList().forEach(u -> reached.add(u.getUnit().getId()));
                    return reached.containsAll(leased);
                });
            } finally {
                RealProcess.stop(second);
            }
        }
    }

    /**
     * A node killed while its slot holds a unit claimed ahead of its running job (the prefetch; a
     * crash point holds it once that unit is kept): the restart runs the job's unit, then the one
     * claimed ahead. That unit used to be held in memory only until the job ended, and a kill then
     * left it leased to nobody until its deadline.
     */
    @Test
    void nodeKilledWhileItHoldsAUnitClaimedAheadRunsItAfterTheRestart() throws Exception {
        Path node = dir.resolve("node");
        NodeLayout layout = new NodeLayout(node);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            // jobs of some 17 s under a timeout of 25 s: a slot claims its next unit 10 s before the
            // running job's timeout, so while the first job still runs (2 s and the job's start-up
            // before its end, 8 s less its start-up before its timeout: the margins the 32 s jobs
            // under 40 s had, which made this case alone a minute and a half)
            Seed seed = TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(170, 25), "d");
            Process first = crashingNode(node, coordinator.url(), "node-1.log", CrashPoints.CLAIMED_AHEAD);
            try {
                await().atMost(Duration.ofMinutes(6)).until(() -> !first.isAlive()
                        || log("node-1.log").contains("at crash point " + CrashPoints.CLAIMED_AHEAD)
                        || log("node-1.log").contains(": result "));
                assertThat(log("node-1.log")).as("stopped with a unit claimed ahead of its running job")
                        .contains("at crash point " + CrashPoints.CLAIMED_AHEAD);
                assertThat(first.isAlive()).isTrue();
            } finally {
                RealProcess.kill(first);
            }
            byte[] nodeKey = IdentityStore.loadOrCreate(node).publicId().toByteString().toByteArray();
            Set<String> leased = Set.copyOf(leasedTo(operator, nodeKey));
            List<String> running = bufferedUnits(layout);
            List<String> ahead = aheadUnits(layout);
            assertThat(running).as("the running job's unit, buffered").hasSize(1);
            assertThat(ahead).as("the unit claimed ahead, kept").hasSize(1);
            assertThat(leased).as("units leased to the killed node").containsExactlyInAnyOrder(running.get(0), ahead.get(0));
            assertThat(names(layout.claims(), ".claim")).as("claims in flight at the kill").isEmpty();

            // the job's unit is resumed at once; the one claimed ahead takes its place in the buffer when
            // that job ends (a fresh claim would get another unit, and this one would stay leased)
            String claimedAhead = ahead.get(0);
            Process second = node(node, coordinator.url(), "node-2.log");
            try {
                await().atMost(Duration.ofSeconds(300)).until(() -> bufferedUnits(layout).contains(claimedAhead)
                        || operator.units("DONE").getUnitsList().stream().anyMatch(u -> u.getUnit().getId().equals(claimedAhead)));
                assertThat(leasedTo(operator, nodeKey)).as("units leased to the restarted node").isSubsetOf(leased);
            } finally {
                RealProcess.stop(second);
            }
            List<Result> results = SignedResults.check(operator.results(null, seed.getCommit()).getEnvelopesList())
                    .valid().stream().map(v -> v.record()).filter(r -> leased.contains(r.getWorkUnitId())).toList();
            assertThat(results).as("results of the two units").allSatisfy(r -> assertThat(r.getRunner().toByteArray())
                    .as("run by the node it was leased to").isEqualTo(nodeKey));
            assertThat(results.stream().map(Result::getWorkUnitId).distinct().count()).as("no unit run twice")
                    .isEqualTo(results.size());
            assertClaimsLeftAfterAStop(node, 1, log("node-2.log"));
        }
    }

    /**
     * A node stopped (SIGTERM) while its slot's claim waits at the coordinator for work: the stop
     * cuts the claim, asks the coordinator again with the same claim, is told it leased nothing, and
     * leaves no claim in flight (it used to leave one, sent again at the next start).
     */
    @Test
    void nodeStoppedWhileItsClaimWaitsAtTheCoordinatorLeavesNoClaimInFlight() throws Exception {
        Path node = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Process first = node(node, coordinator.url(), "node-1.log");
            try {
                // held at the coordinator, and in flight at the node (the two at once: a wait ends after 20 s)
                await().atMost(Duration.ofMinutes(3)).until(() -> claimsWaiting(coordinator) >= 1
                        && names(new NodeLayout(node).claims(), ".claim").size() == 1);
            } finally {
                first.destroy();  // SIGTERM: the node's own stop
                assertThat(first.waitFor(60, TimeUnit.SECONDS)).as("stopped").isTrue();
            }
            assertThat(names(new NodeLayout(node).claims(), ".claim")).as("claims left in flight after the stop; log: %s",
                    log("node-1.log")).isEmpty();
            assertThat(claimsWaiting(coordinator)).as("claims the coordinator still holds").isZero();
        }
    }

    /**
     * One client for every look at /metrics, its connections kept alive: a client per look left a
     * connection open each time, and at 64 the coordinator refused the address (503).
     */
    private static final HttpClient METRICS = HttpClient.newHttpClient();

    /** The coordinator's count of claims held waiting for work (its /metrics). */
    private static double claimsWaiting(Coordinator coordinator) throws IOException, InterruptedException {
        String metrics = METRICS.send(HttpRequest.newBuilder(URI.create(coordinator.url() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("rhizome_claims_waiting ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no rhizome_claims_waiting in /metrics: " + metrics);
    }

    private static List<String> leasedTo(CoordinatorClient operator, byte[] nodeKey) throws Exception {
        return operator.units("LEASED").getUnitsList().stream()
                .filter(u -> Arrays.equals(u.getHolder().toByteArray(), nodeKey)).map(u -> u.getUnit().getId()).toList();
    }

    private Process crashingNode(Path data, String coordinatorUrl, String logName, String point) throws IOException {
        return RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", data.toString(), "--coordinator",
                coordinatorUrl), dir.resolve(logName), RealProcess.crashPoint(point));
    }

    /** The slow seed published from the node's repository (as if fetched before), with direction d. */
    private static Seed seedAndDirection(CoordinatorClient operator, Path node) throws Exception {
        return TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(3, 300), "d");
    }

    /**
     * A stop may come while a slot's next claim waits at the coordinator for work (claims wait up to
     * 20 s): the stop sends that claim again to learn its answer, and its journal entry goes with
     * the answer. Nothing is left, whatever the slots ({@code slots}: kept for the callers' reading).
     */
    private static void assertClaimsLeftAfterAStop(Path node, int slots, String log) throws IOException {
        assertThat(names(new NodeLayout(node).claims(), ".claim")).as("claims left in flight after a stop of %d slot(s); "
                + "the node's log: %s", slots, log).isEmpty();
    }

    private Process node(Path data, String coordinatorUrl, String logName, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("node", "--data-dir", data.toString(), "--coordinator",
                coordinatorUrl));
        args.addAll(List.of(more));
        return RealProcess.start(TestNetwork.nodeCommand(args.toArray(String[]::new)), dir.resolve(logName));
    }

    private String log(String name) throws IOException {
        return RealProcess.output(dir.resolve(name));
    }

    private static List<Result> stored(CoordinatorClient reader, Seed seed, String file) throws Exception {
        return SignedResults.check(reader.results(null, seed.getCommit()).getEnvelopesList()).valid().stream()
                .map(v -> v.record()).filter(r -> ResultOutbox.fileName(r.getWorkUnitId()).equals(file)).toList();
    }

    private static Set<String> names(Path dir, String suffix) {
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return Set.copyOf(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).toList());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> bufferedUnits(NodeLayout layout) {
        return unitsIn(layout, ".unit");
    }

    /** Units claimed ahead of a slot's running job (the prefetch), kept beside the buffer. */
    private static List<String> aheadUnits(NodeLayout layout) {
        return unitsIn(layout, ".ahead");
    }

    private static List<String> unitsIn(NodeLayout layout, String suffix) {
        return names(layout.buffer(), suffix).stream().map(n -> {
            try {
                return WorkUnit.parseFrom(Files.readAllBytes(layout.buffer().resolve(n))).getId();
            } catch (IOException e) {
                return "";  // cleared between the listing and the read
            }
        }).toList();
    }
}
