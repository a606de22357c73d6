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
import java.time.Duration;
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
        assertThat(busy.getReason()).as("and is told what the unit waits for").contains(StarvedGiveBacks.CORE_TO_SPARE)
                .contains("1 open evaluation(s) wait for a claim with a core to spare");
        UnitStatus waiting = h.unit(unit.getId());
        assertThat(waiting.getState()).isEqualTo(UnitStatus.State.OPEN);
        assertThat(waiting.getStarvedNetworks()).isEqualTo(StarvedGiveBacks.SPARE_CORE_AFTER);
        assertThat(waiting.getWaitingFor()).isEqualTo(StarvedGiveBacks.CORE_TO_SPARE);
        assertThat(waiting.getOpenToAnyMs()).isEqualTo(h.clock.millis() + StarvedGiveBacks.SPARE_CORE_WAIT.toMillis());
        assertThat(waiting.getChargeIfStarved()).isFalse();

        WorkUnit spare = claimFrom("91.198.174.200", Identity.generate(), true);
        assertThat(spare.getId()).isEqualTo(unit.getId());
        assertThat(spare.getChargeIfStarved()).isFalse();
        Identity third = lastClaimant;
        assertThat(starved(third, spare).ack().getMessage()).contains("its next run is charged if it times out");
        assertThat(h.unit(unit.getId()).getExpiredLeases()).as("none of them counted against the commit").isZero();

        UnitStatus three = h.unit(unit.getId());
        assertThat(three.getWaitingFor()).as("a machine with a core to spare starved on it too: it waits no more")
                .isEmpty();
        assertThat(three.getChargeIfStarved()).isTrue();
        WorkUnit charged = claimFrom("62.210.16.61", Identity.generate(), false);
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

    @Test
    void aUnitThatWaitedOutItsSpareCoreIsOfferedToAnyClaimChargedIfStarvedAgain() {
        WorkUnit unit = givenBackStarvedFromTwoNetworks();
        h.clock.advance(StarvedGiveBacks.SPARE_CORE_WAIT.minusSeconds(1));
        assertThat(claimResponseFrom("91.198.174.192", Identity.generate(), false).hasUnit()).as("still waiting").isFalse();
        h.clock.advance(Duration.ofSeconds(1));
        UnitStatus waitedOut = h.unit(unit.getId());
        assertThat(waitedOut.getWaitingFor()).as("waited out: it waits for nothing more").isEmpty();
        assertThat(waitedOut.getChargeIfStarved()).isTrue();

        WorkUnit any = claimFrom("91.198.174.192", Identity.generate(), false);
        assertThat(any.getId()).as("a claim with no core to spare gets it").isEqualTo(unit.getId());
        assertThat(any.getChargeIfStarved()).as("its run the commit's to time out").isTrue();
        assertThat(starved(lastClaimant, any).ack().getMessage()).contains("charged as an expired lease");
        UnitStatus after = h.unit(unit.getId());
        assertThat(after.getExpiredLeases()).as("a failed attempt of the commit").isEqualTo(1);
        assertThat(after.getState()).isEqualTo(UnitStatus.State.OPEN);
        assertThat(after.getChargeIfStarved()).as("and charged still").isTrue();
        assertThat(claimFrom("62.210.16.61", Identity.generate(), false).getChargeIfStarved()).isTrue();
    }

    @Test
    void aLeaseMadeBeforeTheBoundIsNotChargedWhenItsGiveBackComesAfter() {
        WorkUnit unit = givenBackStarvedFromTwoNetworks();
        h.clock.advance(StarvedGiveBacks.SPARE_CORE_WAIT.minusMinutes(1));
        WorkUnit early = claimFrom("91.198.174.200", Identity.generate(), true);
        assertThat(early.getId()).isEqualTo(unit.getId());
        assertThat(early.getChargeIfStarved()).isFalse();
        h.clock.advance(Duration.ofMinutes(2));
        assertThat(starved(lastClaimant, early).ack().getMessage()).as("its lease did not say charge_if_starved")
                .startsWith("given back; open to the next claim").contains("its next run is charged if it times out");
        UnitStatus three = h.unit(unit.getId());
        assertThat(three.getExpiredLeases()).isZero();
        assertThat(three.getStarvedNetworks()).isEqualTo(3);
        assertThat(three.getWaitingFor()).as("charged from the third network: it waits for a core no more").isEmpty();
        assertThat(three.getChargeIfStarved()).isTrue();
        assertThat(claimFrom("62.210.16.61", Identity.generate(), false).getChargeIfStarved()).isTrue();
    }

    @Test
    void theWaitForACoreToSpareEndsWhenItWouldHoweverManyGiveBacksComeMeanwhile() {
        WorkUnit unit = givenBackStarvedFromTwoNetworks();
        long openToAny = h.unit(unit.getId()).getOpenToAnyMs();
        // the two networks that starved on it take it in turn on machines with a core to spare, and
        // starve again, each a little before the wait ends: it used to restart at each, for good
        int minutesLeft = 3;
        for (String from : List.of("81.2.69.40", "84.17.46.40", "81.2.69.41")) {
            h.clock.advance(Duration.ofMillis(openToAny - h.clock.millis() - Duration.ofMinutes(minutesLeft--).toMillis()));
            WorkUnit spare = claimFrom(from, Identity.generate(), true);
            assertThat(spare.getId()).isEqualTo(unit.getId());
            assertThat(spare.getChargeIfStarved()).isFalse();
            assertThat(starved(lastClaimant, spare).ack().getMessage()).contains("with a core to spare");
            UnitStatus waiting = h.unit(unit.getId());
            assertThat(waiting.getStarvedNetworks()).isEqualTo(StarvedGiveBacks.SPARE_CORE_AFTER);
            assertThat(waiting.getOpenToAnyMs()).as("the wait ends when it would have, given back from %s", from)
                    .isEqualTo(openToAny);
        }
        assertThat(claimResponseFrom("91.198.174.192", Identity.generate(), false).hasUnit()).as("still waiting")
                .isFalse();
        h.clock.advance(Duration.ofMillis(openToAny - h.clock.millis()));
        WorkUnit any = claimFrom("91.198.174.192", Identity.generate(), false);
        assertThat(any.getId()).as("open to any claim when the wait that began ends").isEqualTo(unit.getId());
        assertThat(any.getChargeIfStarved()).isTrue();
    }

    private WorkUnit givenBackStarvedFromTwoNetworks() {
        WorkUnit unit = claimFrom("81.2.69.5", Identity.generate(), false);
        starved(lastClaimant, unit);
        assertThat(claimFrom("84.17.46.7", Identity.generate(), false).getId()).isEqualTo(unit.getId());
        assertThat(starved(lastClaimant, unit).ack().getMessage()).contains("with a core to spare");
        UnitStatus waiting = h.unit(unit.getId());
        assertThat(waiting.getWaitingFor()).isEqualTo(StarvedGiveBacks.CORE_TO_SPARE);
        assertThat(waiting.getOpenToAnyMs()).isEqualTo(h.clock.millis() + StarvedGiveBacks.SPARE_CORE_WAIT.toMillis());
        return unit;
    }

    @Test
    void keysOfTheCoordinatorsOwnMachineCountAsOneNetwork() {
        // no proxy's word: each claim comes from loopback, as every node of the demo does
        WorkUnit unit = null;
        for (int i = 0; i < StarvedGiveBacks.CHARGE_AFTER; i++) {
            Identity key = Identity.generate();
            ClaimResponse r = h.api.signAndPost("/v1/claim", key, claim(key, false)).parse(ClaimResponse.newBuilder()).build();
            assertThat(r.hasUnit()).as("three keys of one machine never keep it from a claim: %s", r.getReason()).isTrue();
            if (unit != null) {
                assertThat(r.getUnit().getId()).isEqualTo(unit.getId());
            }
            unit = r.getUnit();
            assertThat(unit.getChargeIfStarved()).isFalse();
            assertThat(h.api.signAndPost("/v1/leases/give-back", key, giveBack(key, unit, true)).ack().getMessage())
                    .isEqualTo("given back; open to the next claim");
        }
        UnitStatus after = h.api.get("/v1/units?unit=" + unit.getId()).parse(dev.rhizome.proto.v1.UnitList.newBuilder())
                .build().getUnits(0);
        assertThat(after.getStarvedNetworks()).as("one machine, three keys").isEqualTo(1);
        assertThat(after.getWaitingFor()).isEmpty();
        assertThat(after.getChargeIfStarved()).isFalse();
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
        return api.signAndPost("/v1/claim", node, claim(node, coreToSpare)).parse(ClaimResponse.newBuilder()).build();
    }

    private ClaimRequest claim(Identity node, boolean coreToSpare) {
        return ClaimRequest.newBuilder().setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64")
                .setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EVALUATE)
                .setCoreToSpare(coreToSpare).build();
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
