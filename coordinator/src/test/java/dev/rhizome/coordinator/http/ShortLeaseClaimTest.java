package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.LeaseFit;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Under a fixed lease shorter than a node measured its jobs take, the node used to be leased the
 * unit, run it past the deadline, be charged for the expired lease and see its result kept as
 * TOO_LATE. Its claim now says what it measured (expected_ms_by_seed), and the coordinator keeps
 * such units off it, saying why; given back by a node that did not say, the unit is not offered
 * to it either.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class ShortLeaseClaimTest {
    private static final Duration LEASE = Duration.ofMinutes(2);

    @Parameter
    String store;

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().store(() -> store)
            .config(c -> c.withLeaseDuration(LEASE)).into(started -> h = started);

    @Test
    void aNodeWhoseMeasuredRunExceedsTheFixedLeaseIsNotLeasedTheUnitAndIsToldWhy() {
        Identity slow = Identity.generate();
        ClaimResponse refused = claim(slow, Map.of(Harness.SEED, Duration.ofMinutes(5).toMillis()));
        assertThat(refused.hasUnit()).as("a lease of 2 min for a job of 5 min").isFalse();
        assertThat(refused.getReason()).contains("kept off this claim").contains("seed " + Harness.SEED)
                .contains("(120 s)").contains("300 s").contains(LeaseFit.KEY);

        // an older node says nothing, and is leased it as before; it gives it back
        Identity old = Identity.generate();
        ClaimResponse leased = claim(old, Map.of());
        assertThat(leased.hasUnit()).as(leased.getReason()).isTrue();
        WorkUnit unit = leased.getUnit();
        h.api.signAndPost("/v1/leases/give-back", old, LeaseGiveBack.newBuilder().setWorkUnitId(unit.getId())
                .setNode(old.publicId().toByteString()).setReason("its lease cannot cover its run")
                .setTimeMs(h.clock.millis()).build()).ack();

        ClaimResponse again = claim(slow, Map.of(Harness.SEED, Duration.ofMinutes(5).toMillis()));
        assertThat(again.hasUnit()).as("the unit given back is not offered to the slow node: no loop").isFalse();
        assertThat(again.getReason()).contains("seed " + Harness.SEED);

        Identity fast = Identity.generate();
        ClaimResponse fits = claim(fast, Map.of(Harness.SEED, Duration.ofMinutes(1).toMillis(), "other", 1L));
        assertThat(fits.hasUnit()).as("a minute's job fits a 2 min lease: %s", fits.getReason()).isTrue();
        assertThat(fits.getUnit().getLeaseDeadlineMs()).isEqualTo(h.clock.millis() + LEASE.toMillis());
    }

    @Test
    void aClaimNamingTooManySeedsIsRefusedWithTheKey() {
        Identity node = Identity.generate();
        Map<String, Long> many = new HashMap<>();
        for (int i = 0; i <= LeaseFit.MAX_SEEDS; i++) {
            many.put("seed-" + i, 1L);
        }
        var r = h.api.signAndPost("/v1/claim", node, request(node, many));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text()).contains(LeaseFit.KEY);
    }

    private ClaimResponse claim(Identity node, Map<String, Long> expected) {
        return h.api.signAndPost("/v1/claim", node, request(node, expected)).parse(ClaimResponse.newBuilder()).build();
    }

    private ClaimRequest request(Identity node, Map<String, Long> expected) {
        return ClaimRequest.newBuilder().setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64")
                .setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EVALUATE)
                .putAllExpectedMsBySeed(expected).build();
    }
}
