package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.StarvedGiveBacks;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A unit whose job starves on every loaded volunteer (a commit that hangs, or is heavy) used to be
 * given back by each, unrun and uncounted, forever. Counted once a network, it now waits for a claim
 * with a core to spare after two networks, and after three its next lease says charge_if_starved:
 * the runner reports the TIMEOUT, and a starved give-back of that lease is charged as an expired
 * lease. The clients come through a proxy the coordinator trusts, each from the network it names.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class StarvedGiveBackBoundTest {
    @Parameter
    String store;

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().store(() -> store)
            .config(c -> c.withTrustedProxies(List.of("127.0.0.1", "::1"))).into(started -> h = started);

    @Test
    void givenBackStarvedFromTwoNetworksItWaitsForACoreToSpareAndFromThreeItIsCharged() {
        WorkUnit unit = claimFrom("81.2.69.5", Identity.generate(), false);
        Identity first = lastClaimant;
        assertThat(unit.getChargeIfStarved()).isFalse();
        assertThat(starved(first, unit).ack().getMessage()).isEqualTo("given back; open to the next claim");

        // another key of the same network: its starved give-back counts no more than the first's
        Identity sameNetwork = Identity.generate();
        WorkUnit again = claimFrom("81.2.69.77", sameNetwork, false);
        assertThat(again.getId()).isEqualTo(unit.getId());
        assertThat(starved(sameNetwork, again).ack().getMessage()).isEqualTo("given back; open to the next claim");
        assertThat(claimFrom("84.17.46.7", Identity.generate(), false).getId())
                .as("one network, whatever its keys, is one").isEqualTo(unit.getId());
        Identity second = lastClaimant;
        assertThat(starved(second, unit).ack().getMessage()).contains("with a core to spare")
                .contains("from " + StarvedGiveBacks.SPARE_CORE_AFTER + " networks");

        ClaimResponse busy = claimResponseFrom("91.198.174.192", Identity.generate(), false);
        assertThat(busy.hasUnit()).as("a claim with no core to spare is not offered it").isFalse();
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.OPEN);

        WorkUnit spare = claimFrom("91.198.174.200", Identity.generate(), true);
        assertThat(spare.getId()).isEqualTo(unit.getId());
        assertThat(spare.getChargeIfStarved()).isFalse();
        Identity third = lastClaimant;
        assertThat(starved(third, spare).ack().getMessage()).contains("its next run is charged if it times out");
        assertThat(h.unit(unit.getId()).getExpiredLeases()).as("none of them counted against the commit").isZero();

        WorkUnit charged = claimFrom("62.210.16.61", Identity.generate(), true);
        assertThat(charged.getId()).isEqualTo(unit.getId());
        assertThat(charged.getChargeIfStarved()).as("its next run is the commit's to time out").isTrue();
        Identity fourth = lastClaimant;
        var dodge = starved(fourth, charged);
        assertThat(dodge.status()).isEqualTo(200);
        assertThat(dodge.ack().getMessage()).contains("charged as an expired lease");
        UnitStatus after = h.unit(unit.getId());
        assertThat(after.getExpiredLeases()).as("the starved give-back of a charged lease is a failed attempt").isEqualTo(1);
        assertThat(after.getState()).isEqualTo(UnitStatus.State.OPEN);

        // the honest runner of a charged lease reports the TIMEOUT: it is stored as any result
        WorkUnit honest = claimFrom("62.210.17.1", Identity.generate(), true);
        assertThat(honest.getChargeIfStarved()).isTrue();
        Result timeout = Fixtures.result(lastClaimant, honest, 0, h.clock.millis()).toBuilder().clearMetric()
                .setStatus(Result.Status.TIMEOUT).setReason("timed out on a busy machine").build();
        h.api.signAndPost("/v1/results", lastClaimant, timeout).ack();
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.DONE);
    }

    @Test
    void aGiveBackNotStarvedCountsNothingAndAClaimWithNoCoreToSpareStillGetsTheUnit() {
        for (String from : List.of("81.2.69.5", "84.17.46.7", "91.198.174.192")) {
            WorkUnit unit = claimFrom(from, Identity.generate(), false);
            var back = h.api.signAndPost("/v1/leases/give-back", lastClaimant, giveBack(lastClaimant, unit, false));
            assertThat(back.ack().getMessage()).isEqualTo("given back; open to the next claim");
        }
        WorkUnit unit = claimFrom("62.210.16.61", Identity.generate(), false);
        assertThat(unit.getChargeIfStarved()).isFalse();
    }

    private Identity lastClaimant;

    private WorkUnit claimFrom(String address, Identity node, boolean coreToSpare) {
        ClaimResponse r = claimResponseFrom(address, node, coreToSpare);
        assertThat(r.hasUnit()).as("a unit for %s: %s", address, r.getReason()).isTrue();
        return r.getUnit();
    }

    private ClaimResponse claimResponseFrom(String address, Identity node, boolean coreToSpare) {
        lastClaimant = node;
        ApiClient api = h.api.from(address);
        return api.signAndPost("/v1/claim", node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce())
                .addKinds(WorkUnit.Kind.EVALUATE).setCoreToSpare(coreToSpare).build()).parse(ClaimResponse.newBuilder()).build();
    }

    private ApiClient.Response starved(Identity node, WorkUnit unit) {
        return h.api.signAndPost("/v1/leases/give-back", node, giveBack(node, unit, true));
    }

    private LeaseGiveBack giveBack(Identity node, WorkUnit unit, boolean starved) {
        return LeaseGiveBack.newBuilder().setWorkUnitId(unit.getId()).setNode(node.publicId().toByteString())
                .setReason(starved ? "its job was kept off a CPU" : "paused").setStarved(starved)
                .setTimeMs(h.clock.millis()).build();
    }
}
