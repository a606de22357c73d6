package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A young network: three volunteers on networks of their own, none with a valid result yet, so
 * no key can be drawn for a tie-breaker (the draw takes keys with standing only). The tie-breaker
 * is then reserved for nobody and open at once, as any replica: it does not wait its 10 minutes
 * for keys that do not exist. Through HTTP behind a trusted proxy, on each store.
 */
class YoungNetworkTieBreakerTest extends OnEachStore {
    private final Identity first = Identity.generate();
    private final Identity second = Identity.generate();
    private final Identity third = Identity.generate();

    @BeforeEach
    void start() throws Exception {
        // 2 replicas per trial, 1 random seed
        open(Fixtures.manifest(2, 0.01, 1).toBuilder().setTimeoutSeconds(600).build(), ApiClient.Format.PROTOBUF,
                CoordinatorLimits.defaults(), c -> c.withTrustedProxies(List.of("127.0.0.1", "::1")));
        h.withSeedAndDirection();
        announce(first, "84.17.46.7");
        announce(second, "84.17.47.7");
        announce(third, "84.17.48.7");
    }

    @Test
    void aTieBreakerWithNobodyToDrawIsOpenAtOnce() {
        WorkUnit a = claim(first, "84.17.46.7");
        WorkUnit b = claim(second, "84.17.47.7");
        assertThat(b.getRandomSeed()).as("the other replica of the same trial").isEqualTo(a.getRandomSeed());
        String ackA = report(first, a, 3.25);
        String ackB = report(second, b, 1.0);
        assertThat(ackB).contains("another evaluation queued").doesNotContain("key(s) the coordinator chose");
        assertThat(ackA).doesNotContain("another evaluation queued");

        WorkUnit tieBreaker = claim(third, "84.17.48.7");
        assertThat(tieBreaker).as("at once, by the young network's third volunteer").isNotNull();
        assertThat(tieBreaker.getCommit()).isEqualTo(a.getCommit());
        assertThat(tieBreaker.getRandomSeed()).isEqualTo(a.getRandomSeed());
        report(third, tieBreaker, 3.25);
        assertThat(h.api.get("/v1/trials?commit=" + a.getCommit(), TrialList.newBuilder()).getTrialsList())
                .singleElement()
                .satisfies(t -> assertThat(t.getState()).isEqualTo(ResultVerdict.State.VALID));
    }

    private void announce(Identity node, String from) {
        h.api.from(from).signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("node-" + from + ".example").setPort(7000)
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack();
    }

    private WorkUnit claim(Identity node, String from) {
        return h.api.from(from).claim(node, WorkUnit.Kind.EVALUATE);
    }

    private String report(Identity runner, WorkUnit unit, double metric) {
        return h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, metric, h.clock.millis()))
                .ack().getMessage();
    }
}
