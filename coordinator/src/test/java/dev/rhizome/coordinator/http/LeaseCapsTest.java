package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Leases held at once per address and per network ({@link LeaseCaps}), on a real coordinator
 * over HTTP, behind a proxy it trusts (loopback) so that each client presents its own origin.
 * Keys are free: fresh keys from one address, then from one /24, used to lease every open unit
 * while honest runners elsewhere found none. Small caps here stand for the defaults.
 */
class LeaseCapsTest extends OnEachStore {
    private static final int PER_ADDRESS = 3;
    private static final int PER_NETWORK = 5;
    private static final int EXPERIMENTS = 12;

    @BeforeEach
    void start() throws Exception {
        open(Fixtures.manifest(1, 0.01).toBuilder().setTimeoutSeconds(60).build(), ApiClient.Format.PROTOBUF,
                CoordinatorLimits.defaults().withLeasesHeld(new LeaseCaps.Limits(PER_ADDRESS, PER_NETWORK)));
        h.restart(ApiClient.Format.PROTOBUF, c -> c.withTrustedProxies(List.of("127.0.0.1", "::1")));
        h.withSeedAndDirection();
        Identity proposer = Identity.generate();
        for (int i = 0; i < EXPERIMENTS; i++) {
            h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, SEED, DIRECTION,
                    Fixtures.commit(), h.seedCommit, h.clock.millis())).ack();
        }
    }

    private ClaimResponse claim(String from, Identity node, WorkUnit.Kind... kinds) {
        return h.api.from(from).claimResponse(node, kinds);
    }

    private static void assertRefused(ClaimResponse r, String scope) {
        assertThat(r.hasUnit()).as("no unit past the cap").isFalse();
        assertThat(r.getReason()).contains(scope).contains("at most").contains("leases_held");
        assertThat(r.getRetryAfterS()).as("a wait an honest node backs off on").isEqualTo(LeaseCaps.RETRY_S);
    }

    private double refusals(String reason) {
        for (String line : h.api.get("/metrics").text().split("\n")) {
            if (line.startsWith("rhizome_claims_refused_total") && line.contains("\"" + reason + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    @Test
    void freshKeysFromOneAddressThenOneNetworkLeaseAtMostTheCapsWhileAnotherNetworkGetsWork() {
        for (int i = 0; i < PER_ADDRESS; i++) {
            assertThat(claim("81.2.69.5", Identity.generate()).hasUnit()).as("lease %d of the address", i).isTrue();
        }
        assertRefused(claim("81.2.69.5", Identity.generate()), "this address (81.2.69.5)");
        // a claim that may explore meets it too: an exploration is a lease of the address as well
        assertRefused(claim("81.2.69.5", Identity.generate(), WorkUnit.Kind.EVALUATE, WorkUnit.Kind.EXPLORE),
                "this address");
        for (int i = PER_ADDRESS; i < PER_NETWORK; i++) {
            assertThat(claim("81.2.69." + (10 + i), Identity.generate()).hasUnit()).as("lease %d of the /24", i).isTrue();
        }
        assertRefused(claim("81.2.69.200", Identity.generate()), "this network (81.2.69.0/24)");
        assertThat(claim("84.17.46.7", Identity.generate()).hasUnit()).as("an honest node elsewhere").isTrue();
        assertThat(refusals("leases_per_address")).isEqualTo(2);
        assertThat(refusals("leases_per_network")).isEqualTo(1);
    }

    @Test
    void anIpv6SlashSixtyFourIsOneAddressAndItsSlashFortyEightOneNetwork() {
        for (int i = 0; i < PER_ADDRESS; i++) {
            assertThat(claim("2001:db8:1:2::" + (i + 1), Identity.generate()).hasUnit()).isTrue();
        }
        assertRefused(claim("2001:db8:1:2::ffff", Identity.generate()), "this address (2001:db8:1:2::/64)");
        for (int i = PER_ADDRESS; i < PER_NETWORK; i++) {
            assertThat(claim("2001:db8:1:" + (10 + i) + "::1", Identity.generate()).hasUnit()).isTrue();
        }
        assertRefused(claim("2001:db8:1:ff::1", Identity.generate()), "this network (2001:db8:1::/48)");
    }

    @Test
    void theCapFreesAsLeasesEnd() {
        Identity runner = Identity.generate();
        WorkUnit reported = claim("81.2.69.5", runner).getUnit();
        claim("81.2.69.5", Identity.generate());
        claim("81.2.69.5", Identity.generate());
        assertRefused(claim("81.2.69.5", Identity.generate()), "this address");

        h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, reported, 3.0, h.clock.millis())).ack();
        assertThat(claim("81.2.69.5", Identity.generate()).hasUnit()).as("a result ends its lease").isTrue();
        assertRefused(claim("81.2.69.5", Identity.generate()), "this address");

        h.clock.advance(Duration.ofSeconds(2 * 60 + 31));
        for (int i = 0; i < PER_ADDRESS; i++) {
            assertThat(claim("81.2.69.5", Identity.generate()).hasUnit()).as("leases that ran out hold nothing").isTrue();
        }
        assertRefused(claim("81.2.69.5", Identity.generate()), "this address");
    }

    @Test
    void theCountsSurviveARestart() throws Exception {
        for (int i = 0; i < PER_ADDRESS; i++) {
            claim("81.2.69.5", Identity.generate());
        }
        h.restart(ApiClient.Format.PROTOBUF, c -> c.withTrustedProxies(List.of("127.0.0.1", "::1")));
        assertRefused(claim("81.2.69.5", Identity.generate()), "this address");
        assertThat(claim("81.2.69.9", Identity.generate()).hasUnit()).isTrue();
    }
}
