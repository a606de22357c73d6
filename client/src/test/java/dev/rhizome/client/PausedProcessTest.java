package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
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
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes paused (SIGSTOP) under load and resumed (SIGCONT), as a closed laptop lid, a
 * frozen VM or a debugger does. A `rhizome node` paused while it holds a lease, past the lease's deadline,
 * then resumed (SIGCONT): a laptop's lid closed mid-job, a VM frozen. The coordinator gives the
 * unit to another key meanwhile; the resumed node's late result for it is stored as documented
 * ("Late results": TOO_LATE, never a replica) or dropped with its lease (the node renews before it
 * reports, and is refused), never counted twice; the node carries on claiming, and leaves nothing
 * behind in its data directory. A `rhizome coordinator` (SQLite) paused with a lease held and a
 * node running: on resume everything goes on, and no result is stored twice.
 */
class PausedProcessTest {
    /** Short, so the pause outlives it; the node renews it while it runs (it did at load 30 in FaultsTest). */
    private static final Duration LEASE = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void aNodePausedPastItsLeaseGetsItsUnitReissuedCountsOnceAndCarriesOnWhenResumed() throws Exception {
        // 100 steps of 100 ms: the job runs on while its node is paused
        SortedMap<String, byte[]> seedFiles = TestNetwork.slowSeed(100, 120);
        Path nodeA = dir.resolve("node-a");
        Identity idA = IdentityStore.loadOrCreate(nodeA);
        ByteString keyA = idA.publicId().toByteString();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(LEASE))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = TestNetwork.publishWithDirection(operator, nodeA, seedFiles, "d");
            Process a = RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", nodeA.toString(),
                    "--coordinator", coordinator.url(), "--cpu-jobs", "1"), dir.resolve("node-a.log"));
            String unitOfA = null;
            try {
                UnitStatus leased = await().atMost(Duration.ofMinutes(2)).until(
                        () -> heldBy(operator, keyA).stream().findFirst().orElse(null), u -> u != null || !a.isAlive());
                assertThat(a.isAlive()).as("node a runs; its log: %s", log("node-a.log")).isTrue();
                unitOfA = leased.getUnit().getId();
                await().atMost(Duration.ofMinutes(3)).until(() -> !a.isAlive() || a.descendants()
                        .anyMatch(p -> p.info().commandLine().orElse("").contains("Train.java")));
                assertThat(a.isAlive()).as("node a runs its job; its log: %s", log("node-a.log")).isTrue();

                signal("STOP", a);
                // past the deadline the coordinator takes the lease back and leases the unit again: to
                // fresh keys here, claiming until one gets it (the base runs at several random seeds)
                WorkUnit reissued = null;
                Identity other = null;
                long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                while (reissued == null && System.nanoTime() < until) {
                    Identity x = Identity.generate();
                    WorkUnit u = new CoordinatorClient(coordinator.url(), x).claim(claim(x)).getUnit();
                    if (u.getId().equals(unitOfA)) {
                        reissued = u;
                        other = x;
                    } else {
                        Thread.sleep(500);  // another of the trial's units, or none yet: its lease runs out by itself
                    }
                }
                assertThat(reissued).as("unit %s leased again while its node was paused", unitOfA).isNotNull();
                CoordinatorClient otherClient = new CoordinatorClient(coordinator.url(), other);
                otherClient.reportResult(otherClient.signed(HandRunResults.ok(reissued, other, "cpu:test", "val_bpb", 1.5)));
                assertThat(done(operator, unitOfA)).as("the reissued unit done by the other key").isTrue();

                signal("CONT", a);
                String mine = unitOfA;
                // it carries on: a lease of another unit after the resume (the ones the fresh keys
                // held ran out), its outbox emptied
                await().atMost(Duration.ofMinutes(4)).until(() -> !a.isAlive() || heldBy(operator, keyA).stream()
                        .anyMatch(u -> !u.getUnit().getId().equals(mine)) || ranAnother(operator, seed, keyA, mine));
                assertThat(a.isAlive()).as("node a resumed; its log: %s", log("node-a.log")).isTrue();
                await().atMost(Duration.ofMinutes(2)).until(() -> names(new NodeLayout(nodeA).outbox()).stream()
                        .noneMatch(n -> n.endsWith(".result")));
            } finally {
                signal("CONT", a);
                RealProcess.stop(a);  // SIGTERM: the node's own stop
            }
            String paused = unitOfA;
            // its late result: sent when its job ended, and stored as late (TOO_LATE, no replica), or
            // dropped with its lease; either way it counts for nothing
            String nodeLog = log("node-a.log");
            boolean sent = nodeLog.contains("(acknowledged " + paused + ".result)");
            assertThat(sent || nodeLog.contains("dropping unit " + paused)).as("the paused unit's end in node a's log: %s",
                    nodeLog).isTrue();
            List<ResultVerdict> verdictsOfA = trials(coordinator.url(), seed).stream().flatMap(t -> t.getResultsList().stream())
                    .filter(v -> v.getRunner().equals(keyA)).toList();
            assertThat(verdictsOfA.stream().filter(v -> v.getState() == ResultVerdict.State.TOO_LATE))
                    .as("node a's verdicts, late").hasSize(sent ? 1 : 0);
            List<Result> ofUnit = SignedResults.check(operator.results(null, seed.getCommit()).getEnvelopesList())
                    .valid().stream().map(v -> v.record()).filter(r -> r.getWorkUnitId().equals(paused))
                    .toList();
            assertThat(ofUnit.stream().filter(r -> r.getRunner().equals(keyA))).as("node a's results for its unit")
                    .hasSizeLessThanOrEqualTo(1);
            assertThat(ofUnit.stream().filter(r -> !r.getRunner().equals(keyA))).as("the other key's").hasSize(1);
            NodeLayout layout = new NodeLayout(nodeA);
            // a claim still in flight at the stop (held at the coordinator for work) is kept to be sent
        // again at the next start (ClaimJournal): at most one for the node's one slot
        assertThat(names(layout.claims())).as("claims in flight after the stop").hasSizeLessThanOrEqualTo(1);
            assertThat(temporaryFiles(nodeA)).as("temporary files left").isEmpty();
            assertThat(names(layout.outbox().resolve("refused"))).as("results refused for good").isEmpty();
        }
    }

    @Test
    void aCoordinatorPausedWithALeaseHeldAndANodeRunningResumesAndStoresNoResultTwice() throws Exception {
        SortedMap<String, byte[]> seedFiles = TestNetwork.slowSeed(20, 120);
        Path nodeA = dir.resolve("node-a");
        ByteString keyA = IdentityStore.loadOrCreate(nodeA).publicId().toByteString();
        CoordinatorProcesses coordinators = new CoordinatorProcesses(dir);
        Process c = coordinators.start("c", "", List.of(), "--lease-seconds", "120");
        Process a = null;
        try {
            String url = coordinators.url("c", c);
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate(), Duration.ofMinutes(2));
            Seed seed = TestNetwork.publishWithDirection(operator, nodeA, seedFiles, "d");
            a = RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", nodeA.toString(), "--coordinator", url,
                    "--cpu-jobs", "1"), dir.resolve("node-a.log"));
            Process node = a;
            await().atMost(Duration.ofMinutes(2)).until(() -> !node.isAlive() || !heldBy(operator, keyA).isEmpty());
            assertThat(a.isAlive()).as("node a runs; its log: %s", log("node-a.log")).isTrue();
            // a claim of another key held too, as an agent's is between its claim and its submit
            Identity agent = Identity.generate();
            WorkUnit held = new CoordinatorClient(url, agent).claim(claim(agent)).getUnit();

            signal("STOP", c);
            // the node's calls meanwhile go unanswered (its job runs on, its report waits in its outbox)
            await().pollDelay(Duration.ofSeconds(15)).atMost(Duration.ofSeconds(16)).until(() -> true);
            signal("CONT", c);

            if (!held.getId().isEmpty()) {
                CoordinatorClient agentClient = new CoordinatorClient(url, agent, Duration.ofMinutes(2));
                agentClient.reportResult(agentClient.signed(HandRunResults.ok(held, agent, "cpu:test", "val_bpb", 1.5)));
            }
            // it goes on: node a's results for two units, the one it held at the pause and a later one
            await().atMost(Duration.ofMinutes(5)).until(() -> !node.isAlive() || !c.isAlive()
                    || resultsBy(operator, seed, keyA).stream().map(Result::getWorkUnitId).distinct().count() >= 2);
            assertThat(c.isAlive()).as("the coordinator resumed; its log: %s", coordinators.output("c")).isTrue();
            assertThat(a.isAlive()).as("node a resumed; its log: %s", log("node-a.log")).isTrue();
            List<Result> byA = resultsBy(operator, seed, keyA);
            assertThat(byA).as("node a's results, one per unit").extracting(Result::getWorkUnitId).doesNotHaveDuplicates();
            if (!held.getId().isEmpty()) {
                assertThat(done(operator, held.getId())).as("the agent's unit, its result taken after the pause").isTrue();
            }
        } finally {
            signal("CONT", c);
            RealProcess.stop(a);
            CoordinatorProcesses.stop(c);
        }
        NodeLayout layout = new NodeLayout(nodeA);
        assertThat(names(layout.outbox()).stream().filter(n -> n.endsWith(".result"))).as("results never sent").isEmpty();
        // a claim still in flight at the stop (held at the coordinator for work) is kept to be sent
        // again at the next start (ClaimJournal): at most one for the node's one slot
        assertThat(names(layout.claims())).as("claims in flight after the stop").hasSizeLessThanOrEqualTo(1);
        assertThat(temporaryFiles(nodeA)).as("temporary files left").isEmpty();
    }

    private static List<Result> resultsBy(CoordinatorClient operator, Seed seed, ByteString key) throws CoordinatorException {
        return SignedResults.check(operator.results(null, seed.getCommit()).getEnvelopesList()).valid().stream()
                .map(v -> v.record()).filter(r -> r.getRunner().equals(key)).toList();
    }

    /** The seed commit's trials, as {@code GET /v1/trials} answers them (JSON). */
    private static List<Trial> trials(String url, Seed seed) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(url + "/v1/trials?commit=" + seed.getCommit())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET /v1/trials: %s", r.body()).isEqualTo(200);
        TrialList.Builder list = TrialList.newBuilder();
        JsonFormat.parser().ignoringUnknownFields().merge(r.body(), list);
        return list.getTrialsList();
    }

    private static ClaimRequest claim(Identity who) {
        return ClaimRequest.newBuilder().setNode(who.publicId().toByteString()).setHardwareClass("cpu:test")
                .addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(System.currentTimeMillis()).build();
    }

    private static List<UnitStatus> heldBy(CoordinatorClient operator, ByteString key) throws CoordinatorException {
        return operator.units("LEASED").getUnitsList().stream().filter(u -> u.getHolder().equals(key)).toList();
    }

    private static boolean done(CoordinatorClient operator, String unit) throws CoordinatorException {
        return operator.units("DONE").getUnitsList().stream().anyMatch(u -> u.getUnit().getId().equals(unit));
    }

    private static boolean ranAnother(CoordinatorClient operator, Seed seed, ByteString key, String unit)
            throws CoordinatorException {
        return SignedResults.check(operator.results(null, seed.getCommit()).getEnvelopesList()).valid().stream()
                .map(v -> v.record()).anyMatch(r -> r.getRunner().equals(key) && !r.getWorkUnitId().equals(unit));
    }

    /** SIGSTOP or SIGCONT, through kill(1): Java has no call for either. */
    static void signal(String name, Process p) throws IOException, InterruptedException {
        if (p.isAlive()) {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).inheritIO().start();
            assertThat(kill.waitFor()).as("kill -%s %d", name, p.pid()).isZero();
        }
    }

    private String log(String name) throws IOException {
        return RealProcess.output(dir.resolve(name));
    }

    private static List<String> names(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(d)) {
            return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
        }
    }

    private static List<Path> temporaryFiles(Path d) throws IOException {
        try (Stream<Path> files = Files.walk(d)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }
}
