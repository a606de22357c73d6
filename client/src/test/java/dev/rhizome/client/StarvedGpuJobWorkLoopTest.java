package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.control.ControlServer;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.disk.DiskRoom;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.hardware.Gpu;
import dev.rhizome.node.job.BwrapLauncher;
import dev.rhizome.node.job.JobDirs;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.NodeJobDirs;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.peer.FetchResult;
import dev.rhizome.node.prefs.IdleSignals;
import dev.rhizome.node.prefs.NodePreferences;
import dev.rhizome.node.prefs.RunGate;
import dev.rhizome.node.work.CommitFetcher;
import dev.rhizome.node.work.Evaluator;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.node.work.MachineLoad;
import dev.rhizome.node.work.NodeStatus;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.node.work.Slot;
import dev.rhizome.node.work.UnitBuffer;
import dev.rhizome.node.work.WorkLoop;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.coordinator.core.StarvedGiveBacks;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GPU slot's job kept off a CPU by the owner's work (spinners on every core, the job at a
 * volunteer's nice 19 in the real sandbox), through the real work loop, its load read from the
 * test's readings as the loop's constructor takes it: no TIMEOUT is charged to the honest commit
 * (a seed that ends in about a second with a core to spare; before round 33 two of three such units
 * were reported as TIMEOUTs, judged asleep at the end), the starved unit is not reported and is
 * given back (open again at once, no expired lease), the slot claims nothing while the load leaves
 * no core (its own back-off, `busy_slots`, resource the slot's name), and it claims the commit's
 * units again once the load leaves one. Its give-back says starved (round 35), and the coordinator
 * counts it: one network, which two more keys on the same machine (loopback) do not add to.
 */
class StarvedGpuJobWorkLoopTest {
    @TempDir
    Path dir;

    @Test
    void aStarvedGpuJobIsGivenBackAndItsSlotWaitsForACoreBeforeClaimingAgain() throws Exception {
        Path node = dir.resolve("node");
        NodeLayout layout = new NodeLayout(node);
        int cores = Runtime.getRuntime().availableProcessors();
        AtomicReference<Optional<MachineLoad>> load =
                new AtomicReference<>(Optional.of(new MachineLoad(4.0 * cores, 4 * cores, cores)));
        List<Process> owners = new ArrayList<>();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            SortedMap<String, byte[]> seed = TestNetwork.slowSeed(5, 2);
            TestNetwork.seedInto(node, seed);
            String base = TestNetwork.publishWithDirection(operator, dir.resolve("operator-repo"), seed, "d").getCommit();
            for (int i = 0; i < cores; i++) {
                owners.add(new ProcessBuilder("/bin/sh", "-c", "while :; do :; done").start());
            }
            Identity identity = IdentityStore.loadOrCreate(node);
            CoordinatorClient client = new CoordinatorClient(coordinator.url(), identity);
            Clock clock = Clock.systemUTC();
            Slot gpu0 = new Slot("gpu0", "nvidia:test-gpu",
                    Optional.of(new Gpu(0, "Test GPU", 1024, "GPU-00000000", "0", "00000000:00:00.0")));
            BwrapLauncher launcher = SandboxProbe.launcher();  // a volunteer's priority, as `rhizome node` runs its jobs
            NodeJobDirs jobDirs = launcher.startNodeJobDirs(layout.jobsName());
            try (NodeRepository repository = NodeRepository.open(layout.repository())) {
                // the seed's commit is in the node's repository already, as a gossip layer would find it
                CommitFetcher held = new CommitFetcher((commit, hints, reach) -> FetchResult.alreadyHeld(commit), client);
                JobRunner runner = new JobRunner(launcher);
                Evaluator evaluator = new Evaluator(identity, repository, held, runner, runner.launcher(),
                        gpu0.hardwareClass(), jobDirs, layout.logs(), clock, gpu0.env());
                RunGate gate = new RunGate(NodePreferences.defaults(), new IdleSignals(), clock, () -> 0,
                        new DiskRoom(List.of(node), DiskRoom.MIN_FREE_BYTES));
                WorkLoop loop = new WorkLoop(identity, client, held::fetch, Map.of(gpu0, evaluator), null,
                        new ResultOutbox(layout.outbox()), new UnitBuffer(layout.buffer()), layout.giveBacks(),
                        new InventoryAnnouncer(client, repository, "127.0.0.1", 7000, gpu0.hardwareClass(), clock, c -> {
                        }), gate, new WorkLoop.Settings(null, 0, 2_000, false), layout.logs(), clock, load::get, signed -> {
                        });
                Thread thread = new Thread(loop, "work-loop");
                thread.start();
                try {
                    Duration minutes = new LoadScaledBudget(Duration.ofSeconds(60), Duration.ofSeconds(240)).now();
                    NodeStatus.Failures busy = await().atMost(minutes)
                            .until(() -> failure(loop, "MACHINE_BUSY"), f -> f != null);
                    assertThat(busy.lastReason()).startsWith("not run to its end: ")
                            .contains("s for a CPU, which other work on this busy machine held");
                    assertThat(failure(loop, "TIMEOUT")).as("no TIMEOUT charged to the commit on a starved machine").isNull();
                    String starved = busy.lastUnit();
                    assertThat(reported(operator, starved)).as("nothing reported of the starved unit").isEmpty();
                    Duration soon = new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60)).now();
                    UnitStatus open = await().atMost(soon).until(() -> unit(operator, "OPEN", starved), u -> u != null);
                    assertThat(open.getExpiredLeases()).as("given back, not expired").isZero();

                    // the slot's own back-off holds its claims while the load leaves no core
                    // (read as `node status --json` shows it)
                    JsonObject status = await().atMost(soon).until(() -> statusJson(loop),
                            s -> s.getAsJsonArray("busy_slots").size() == 1 && s.getAsJsonArray("busy_slots").get(0)
                                    .getAsJsonObject().get("waiting_for").getAsString().startsWith("the load"));
                    JsonArray busySlots = status.getAsJsonArray("busy_slots");
                    assertThat(busySlots).hasSize(1);
                    JsonObject held0 = busySlots.get(0).getAsJsonObject();
                    assertThat(held0.get("resource").getAsString()).isEqualTo("gpu0");
                    assertThat(held0.get("claiming").getAsBoolean()).isFalse();
                    assertThat(held0.get("waiting_for").getAsString()).contains("the load to leave 1 core");
                    assertThat(status.get("busy").isJsonNull()).as("no CPU slot backs off: the node has none").isTrue();
                    await().atMost(soon).until(() -> loop.status().slots().get(0).state(), st -> st.startsWith("not claiming"));
                    assertThat(unit(operator, "OPEN", starved)).as("still open: the slot claimed nothing").isNotNull();

                    // The loop's give-back said its job starved: the coordinator counts it (had it not
                    // said so, nothing would be). Two more keys' starved give-backs, each its own on
                    // loopback, are the same machine's: one network still, the unit offered to any
                    // claim and not charged (round 36; they used to count once a key and reach the charge).
                    assertThat(unit(operator, "OPEN", starved).getStarvedNetworks()).as("the loop's give-back counted")
                            .isEqualTo(1);
                    for (int i = 1; i < StarvedGiveBacks.CHARGE_AFTER; i++) {
                        Leased other = leaseOf(coordinator.url(), gpu0.hardwareClass(), starved);
                        assertThat(other.unit().getChargeIfStarved()).isFalse();
                        other.giveBack(true);
                    }
                    UnitStatus oneMachine = unit(operator, "OPEN", starved);
                    assertThat(oneMachine.getStarvedNetworks()).as("one machine, three keys").isEqualTo(1);
                    assertThat(oneMachine.getWaitingFor()).isEmpty();
                    assertThat(oneMachine.getChargeIfStarved()).isFalse();

                    // the load leaves a core (as the loop reads it): the slot claims the unit again
                    owners.forEach(Process::destroyForcibly);
                    load.set(Optional.of(new MachineLoad(0, 0, cores)));
                    // (the base's replicas are several units of one commit: it takes one of them)
                    UnitStatus again = await().atMost(minutes).until(() -> operator.units("LEASED").getUnitsList().stream()
                            .filter(u -> u.getHolder().equals(identity.publicId().toByteString())).findFirst().orElse(null),
                            u -> u != null);
                    assertThat(again.getUnit().getCommit()).isEqualTo(base);
                } finally {
                    loop.stop();
                    thread.interrupt();
                    thread.join(Duration.ofSeconds(60).toMillis());
                }
            } finally {
                jobDirs.stop(Duration.ofSeconds(10));
                JobDirs.delete(jobDirs.dir());
            }
        } finally {
            owners.forEach(Process::destroyForcibly);
        }
    }

    /** A fresh key's lease of unit {@code id}, claimed with a core to spare: the units before it are held, not given back. */
    private static Leased leaseOf(String url, String hardwareClass, String id) throws Exception {
        Identity key = Identity.generate();
        CoordinatorClient client = new CoordinatorClient(url, key);
        for (int i = 0; i < 16; i++) {
            ClaimResponse r = client.claim(ClaimRequest.newBuilder().setNode(key.publicId().toByteString())
                    .setHardwareClass(hardwareClass).addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(System.currentTimeMillis())
                    .setCoreToSpare(true).build());
            assertThat(r.hasUnit()).as("an open unit: %s", r.getReason()).isTrue();
            if (r.getUnit().getId().equals(id)) {
                return new Leased(client, key, r.getUnit());
            }
        }
        throw new AssertionError("unit " + id + " was not leased in 16 claims");
    }

    private record Leased(CoordinatorClient client, Identity key, WorkUnit unit) {
        void giveBack(boolean starved) throws Exception {
            client.giveBackLease(LeaseGiveBack.newBuilder().setWorkUnitId(unit.getId()).setNode(key.publicId().toByteString())
                    .setReason(starved ? "kept off a CPU" : "not run").setStarved(starved)
                    .setTimeMs(System.currentTimeMillis()).build());
        }
    }

    private static JsonObject statusJson(WorkLoop loop) {
        return ControlServer.JSON.toJsonTree(loop.status()).getAsJsonObject();
    }

    private static NodeStatus.Failures failure(WorkLoop loop, String outcome) {
        return loop.status().failures().stream().filter(f -> f.outcome().equals(outcome)).findFirst().orElse(null);
    }

    /** The valid results reported for unit {@code id}. */
    private static List<Result> reported(CoordinatorClient operator, String id) throws Exception {
        return SignedResults.check(operator.results("d", null).getEnvelopesList()).valid().stream()
                .map(v -> v.record()).filter(r -> r.getWorkUnitId().equals(id)).toList();
    }

    private static UnitStatus unit(CoordinatorClient operator, String state, String id) throws Exception {
        return operator.units(state).getUnitsList().stream().filter(u -> u.getUnit().getId().equals(id)).findFirst()
                .orElse(null);
    }
}
