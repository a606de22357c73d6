package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Identity churn: keys are free, so a client that signs each request with a fresh key gets around
 * every bound kept per key, unless the same bound is kept per address too. One address's fresh
 * keys meet its address's bound (named so), and a neighbour's keys are still served.
 */
class IdentityChurnTest {
    /** Clients behind a proxy the coordinator trusts (loopback), each in a network of its own. */
    private static final String CHURNER = "192.0.2.1";
    private static final String NEIGHBOUR = "198.51.100.1";

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json()
            .limits(CoordinatorLimits.defaults().withDailyWrites(WriteQuota.Limits.defaults()
                    .with(WriteQuota.Kind.EXPLORATIONS, new WriteQuota.Limit(1, 2, 0))
                    .with(WriteQuota.Kind.PAPERS, new WriteQuota.Limit(1, 2, 0))))
            .config(c -> c.withTrustedProxies(List.of("127.0.0.1", "::1")))
            .into(started -> h = started);

    @BeforeEach
    void baseline() {
        assertThat(h.api.claimResponse(Identity.generate()).hasUnit()).as("the baseline, out of the way").isTrue();
    }

    private ApiClient.Response explore(String from) {
        Identity fresh = Identity.generate();
        return h.api.from(from).signAndPost("/v1/claim", fresh, ClaimRequest.newBuilder()
                .setNode(fresh.publicId().toByteString()).setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis())
                .setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EXPLORE).build());
    }

    private ApiClient.Response publish(String from) {
        Identity fresh = Identity.generate();
        return h.api.from(from).signAndPost("/v1/papers", fresh, Paper.newBuilder()
                .setAuthor(fresh.publicId().toByteString()).setDirection(DIRECTION).setTitle("t")
                .setBodyMarkdown("b").setCreatedMs(h.clock.millis()).build());
    }

    private static void assertAddressBound(ApiClient.Response refused, String kind) {
        assertThat(refused.status()).as(refused.text()).isEqualTo(429);
        assertThat(refused.error().getCode()).isEqualTo(Error.Code.LIMIT_REACHED);
        assertThat(refused.error().getMessage()).contains("daily " + kind + " limit reached").contains("this address");
    }

    @Test
    void freshKeysFromOneAddressMeetItsBoundOnExplorations() {
        for (int i = 0; i < 2; i++) {
            ApiClient.Response served = explore(CHURNER);
            assertThat(served.status()).as(served.text()).isEqualTo(200);
            assertThat(served.parse(ClaimResponse.newBuilder()).getUnit().getKind()).isEqualTo(WorkUnit.Kind.EXPLORE);
        }
        assertAddressBound(explore(CHURNER), "explorations");
        assertThat(explore(NEIGHBOUR).status()).as("another address's key").isEqualTo(200);
    }

    @Test
    void freshKeysFromOneAddressMeetItsBoundOnPapers() {
        for (int i = 0; i < 2; i++) {
            assertThat(publish(CHURNER).status()).isEqualTo(200);
        }
        assertAddressBound(publish(CHURNER), "papers");
        assertThat(publish(NEIGHBOUR).status()).as("another address's key").isEqualTo(200);
    }
}
