package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.work.GiveBacks;

import dev.rhizome.proto.v1.ClaimRequest;

import dev.rhizome.proto.v1.LeaseGiveBack;


import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;

import java.time.Duration;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A give-back (`POST /v1/leases/give-back`) that meets a coordinator stopped is kept in the node's
 * data directory and sent again, by the node's next start too, until the coordinator hears: sent
 * once, it left the unit leased to a node that would not run it until the lease ran out. A real
 * coordinator process, stopped (SIGTERM) and started again on its store and port.
 */
class GiveBackRetriedTest {
    @TempDir
    Path dir;

    @Test
    void aGiveBackTheCoordinatorMissedIsSentAgainAcrossARestartUntilItHears() throws Exception {
        CoordinatorProcesses coordinators = new CoordinatorProcesses(dir);
        // a lease long enough to outlast the coordinator's restart at load 30
        Process c = coordinators.start("c", "", List.of(), "--lease-seconds", "3600");
        try {
            String url = coordinators.url("c", c);
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            UnkeptReceiptsTest.publishSeedAndDirection(operator, "a");
            Identity node = Identity.generate();
            CoordinatorClient client = new CoordinatorClient(url, node, Duration.ofSeconds(10));
            WorkUnit unit = claim(client, node);
            GiveBacks.Pending pending = new GiveBacks.Pending(unit.getId(), "cpu0", "paused by its owner",
                    unit.getLeaseDeadlineMs());
            Path kept = dir.resolve("node").resolve("give-backs");

            CoordinatorProcesses.stop(c);
            GiveBacks beforeRestart = new GiveBacks(kept, sender(client, node), System::currentTimeMillis);
            assertThat(beforeRestart.keep(pending)).isTrue();
            assertThat(beforeRestart.round()).as("not heard: kept").isEqualTo(1);
            assertThat(beforeRestart.holds(unit.getId())).isTrue();

            // the node restarts while the coordinator is still down; then the coordinator comes back
            GiveBacks afterRestart = new GiveBacks(kept, sender(client, node), System::currentTimeMillis);
            assertThat(afterRestart.holds(unit.getId())).as("read from the data directory").isTrue();
            c = coordinators.start("c", "", List.of(), "--lease-seconds", "3600");
            assertThat(coordinators.url("c", c)).isEqualTo(url);
            await().atMost(new LoadScaledBudget(Duration.ofSeconds(60), Duration.ofSeconds(240)).now())
                    .until(() -> afterRestart.round() == 0);

            assertThat(afterRestart.holds(unit.getId())).as("heard: forgotten").isFalse();
            assertThat(Files.list(kept)).as("nothing left on disk").isEmpty();
            UnitStatus open = operator.units("OPEN").getUnitsList().stream()
                    .filter(u -> u.getUnit().getId().equals(unit.getId())).findFirst().orElse(null);
            assertThat(open).as("open to the next claim before its lease ran out").isNotNull();
            assertThat(open.getExpiredLeases()).as("given back, not expired").isZero();
        } finally {
            CoordinatorProcesses.stop(c);
        }
    }

    @Test
    void aUnitLeasedToAnotherKeyIsRefusedOnceAndNotSentAgain() throws Exception {
        CoordinatorProcesses coordinators = new CoordinatorProcesses(dir);
        Process c = coordinators.start("c", "", List.of(), "--lease-seconds", "3600");
        try {
            String url = coordinators.url("c", c);
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            UnkeptReceiptsTest.publishSeedAndDirection(operator, "a");
            Identity other = Identity.generate();
            WorkUnit theirs = claim(new CoordinatorClient(url, other, Duration.ofSeconds(30)), other);
            Identity node = Identity.generate();
            GiveBacks giveBacks = new GiveBacks(dir.resolve("give-backs"),
                    sender(new CoordinatorClient(url, node, Duration.ofSeconds(30)), node), System::currentTimeMillis);
            giveBacks.keep(new GiveBacks.Pending(theirs.getId(), "cpu0", "paused by its owner",
                    theirs.getLeaseDeadlineMs()));

            assertThat(giveBacks.round()).as("409: not this node's, so no retry").isZero();
            assertThat(giveBacks.holds(theirs.getId())).isFalse();
            assertThat(operator.units("LEASED").getUnitsList()).as("still the other key's")
                    .anyMatch(u -> u.getUnit().getId().equals(theirs.getId()) && u.getHolder().equals(other.publicId().toByteString()));
        } finally {
            CoordinatorProcesses.stop(c);
        }
    }

    private static GiveBacks.Sender sender(CoordinatorClient client, Identity node) {
        return p -> client.giveBackLease(LeaseGiveBack.newBuilder().setWorkUnitId(p.unitId())
                .setNode(node.publicId().toByteString()).setReason(p.reason())
                .setTimeMs(System.currentTimeMillis()).build());
    }

    private static WorkUnit claim(CoordinatorClient client, Identity who) throws CoordinatorException {
        WorkUnit unit = client.claim(ClaimRequest.newBuilder().setNode(who.publicId().toByteString())
                .setHardwareClass("cpu:give-back").addKinds(WorkUnit.Kind.EVALUATE)
                .setTimeMs(System.currentTimeMillis()).build()).getUnit();
        assertThat(unit.getId()).as("a unit claimed").isNotEmpty();
        return unit;
    }
}
