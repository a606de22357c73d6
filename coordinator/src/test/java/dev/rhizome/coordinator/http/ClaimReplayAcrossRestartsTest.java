package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A signed claim is accepted once (docs/api.md "Claims"), across restarts and clock corrections
 * too, and the replay window's edges are where the docs put them. On both stores: the nonces are
 * rows of each.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class ClaimReplayAcrossRestartsTest {
    private static final long WINDOW_MS = ReplayWindow.WINDOW.toMillis();

    @Parameter
    String store;

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().store(() -> store).into(started -> h = started);

    private SignedEnvelope claim(Identity node, long timeMs) {
        return h.api.sign(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(timeMs)
                .setNonce(Fixtures.nonce()).build());
    }

    @Test
    void aClaimReplayedAfterARestartWhoseClockSteppedBackLeasesNothing() throws Exception {
        Identity node = Identity.generate();
        SignedEnvelope signed = claim(node, h.clock.millis());
        ApiClient.Response first = h.api.post("/v1/claim", signed);
        WorkUnit baseline = first.parse(ClaimResponse.newBuilder()).getUnit();
        assertThat(baseline.getCommit()).isEqualTo(h.seedCommit);

        // The coordinator's clock runs 6 minutes ahead (its lease runs out meanwhile); its sweeps
        // forget old nonces. Then it is restarted with its clock corrected, 2 minutes after the
        // claim was signed: the claim is inside the window again.
        h.clock.advance(Duration.ofMinutes(6));
        // The unit open again is the sweep's own doing (nothing claimed since), and that sweep's one
        // transaction also forgot every nonce it may at the advanced clock: later sweeps at the same
        // clock forget nothing more, so no wait for "a few more" (it was a fixed sleep)
        await().atMost(Duration.ofSeconds(30)).until(() -> h.units("OPEN").getUnitsCount() == 1);
        h.clock.advance(Duration.ofMinutes(-4));
        h.restart(ApiClient.Format.PROTOBUF);

        ApiClient.Response replayed = h.api.post("/v1/claim", signed);
        assertThat(replayed.status()).as("the same signed claim, sent again: %s", replayed.text()).isEqualTo(409);
        assertThat(replayed.error().getCode()).isEqualTo(Error.Code.CONFLICT);
        assertThat(h.units("LEASED").getUnitsCount()).as("nothing leased by the replay").isZero();
    }

    @Test
    void theReplayWindowsEdgesAreInsideAndOneMillisecondPastIsRefusedByName() {
        long now = h.clock.millis();
        for (long skew : new long[] {-WINDOW_MS, WINDOW_MS}) {
            ApiClient.Response edge = h.api.post("/v1/claim", claim(Identity.generate(), now + skew));
            assertThat(edge.status()).as("signed %d ms from the coordinator's clock: %s", skew, edge.text()).isEqualTo(200);
        }
        for (long skew : new long[] {-WINDOW_MS - 1, WINDOW_MS + 1, Long.MIN_VALUE / 2, Long.MAX_VALUE / 2}) {
            ApiClient.Response past = h.api.post("/v1/claim", claim(Identity.generate(), now + skew));
            assertThat(past.status()).as("signed %d ms from the coordinator's clock", skew).isEqualTo(400);
            assertThat(past.error().getCode()).isEqualTo(Error.Code.BAD_REQUEST);
            assertThat(past.error().getMessage()).contains("time_ms").contains("within " + WINDOW_MS / 1000 + " s");
        }
        // a claim taken at the window's edge is still accepted once: sent again as the clock moves
        // on, it is refused as used, then as out of the window, never leased again
        SignedEnvelope edge = claim(Identity.generate(), now - WINDOW_MS + 1_000);
        assertThat(h.api.post("/v1/claim", edge).status()).isEqualTo(200);
        assertThat(h.api.post("/v1/claim", edge).status()).isEqualTo(409);
        h.clock.advance(Duration.ofSeconds(2));
        assertThat(h.api.post("/v1/claim", edge).status()).isEqualTo(400);
    }
}
