package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.ExperimentList;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.OperatorHistory;
import dev.rhizome.proto.v1.OperatorTerm;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.PeerList;
import dev.rhizome.proto.v1.SeedList;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A hostile client that sees a request's bytes (plain HTTP, a log) sends them again within the
 * replay window (5 minutes): no signed route may act twice. Each route's request is sent, the
 * clock moves a minute, and the same bytes again must leave everything a client can read as it
 * was; the table must list every POST route, so a route added later is walked too.
 */
class ReplayedRequestsTest extends OnEachStore {
    private static final Duration LATER = Duration.ofMinutes(1);

    private final Identity node = Identity.generate();
    private final Identity explorer = Identity.generate();

    @Test
    void theExactBytesOfEverySignedRequestSentAgainChangeNothing() throws Exception {
        Harness h = harness().withSeedAndDirection();
        Set<String> walked = new LinkedHashSet<>();
        replay(h, walked, "/v1/seeds", h.operator,
                Fixtures.seed(h.operator, "other-seed", Fixtures.commit(), h.manifest, h.clock.millis()));
        replay(h, walked, "/v1/directions", h.operator,
                Fixtures.direction(h.operator, "other", Harness.SEED, h.seedCommit, h.clock.millis()));
        replay(h, walked, "/v1/announce", node, NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                .setHost("127.0.0.1").setPort(7001).setHardwareClass("cpu:x86_64").addCommits(h.seedCommit)
                .setTimeMs(h.clock.millis()).build());
        ApiClient.Response claimed = replay(h, walked, "/v1/claim", node, ClaimRequest.newBuilder()
                .setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64")
                .setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build());
        WorkUnit unit = claimed.parse(ClaimResponse.newBuilder()).getUnit();
        replay(h, walked, "/v1/leases/renew", node, LeaseRenewal.newBuilder().setWorkUnitId(unit.getId())
                .setNode(node.publicId().toByteString()).setTimeMs(h.clock.millis()).build());
        replay(h, walked, "/v1/results", node, Fixtures.result(node, unit, 3.0, h.clock.millis()));

        WorkUnit exploration = h.api.claim(explorer, WorkUnit.Kind.EXPLORE);
        String commit = Fixtures.commit();
        replay(h, walked, "/v1/experiments", explorer, Fixtures.experiment(explorer, Harness.SEED,
                Harness.DIRECTION, commit, exploration.getCommit(), h.clock.millis()).toBuilder()
                .setWorkUnitId(exploration.getId()).build());
        Identity quitter = Identity.generate();
        WorkUnit unrun = h.api.claim(quitter, WorkUnit.Kind.EVALUATE);
        assertThat(unrun).as("an evaluation of the experiment to give back").isNotNull();
        replay(h, walked, "/v1/leases/give-back", quitter, LeaseGiveBack.newBuilder().setWorkUnitId(unrun.getId())
                .setNode(quitter.publicId().toByteString()).setReason("paused").setTimeMs(h.clock.millis()).build());
        replay(h, walked, "/v1/explore-done", explorer, ExploreDone.newBuilder().setWorkUnitId(exploration.getId())
                .setNode(explorer.publicId().toByteString()).addCommits(commit).setTimeMs(h.clock.millis()).build());
        replay(h, walked, "/v1/papers", explorer, Paper.newBuilder().setDirection(Harness.DIRECTION).setTitle("t")
                .setBodyMarkdown("b").addCommits(commit).setAuthor(explorer.publicId().toByteString())
                .setCreatedMs(h.clock.millis()).build());
        replay(h, walked, "/v1/directions/close", h.operator, DirectionClosure.newBuilder().setName("other")
                .setReason("done").setClosedBy(h.operator.publicId().toByteString())
                .setClosedMs(h.clock.millis()).build());
        replay(h, walked, "/v1/bans", h.operator, KeyBan.newBuilder()
                .setKey(Identity.generate().publicId().toByteString()).setReason("forged metrics")
                .setBannedBy(h.operator.publicId().toByteString()).setBannedMs(h.clock.millis()).build());
        // nothing was queued again for another class here: the order is refused, alike when sent again
        walked.add("/v1/directions/requeue");
        SignedEnvelope order = h.api.sign(h.operator, TrialRequeueOrder.newBuilder().setName(Harness.DIRECTION)
                .setReason("banned the pair").setRequeuedBy(h.operator.publicId().toByteString())
                .setRequeuedMs(h.clock.millis()).build());
        List<Object> beforeOrder = state(h);
        for (int i = 0; i < 2; i++) {
            ApiClient.Response refused = h.api.post("/v1/directions/requeue", order);
            assertThat(refused.status()).as(refused.text()).isEqualTo(409);
            assertThat(refused.text()).contains("were never queued again for another class");
            h.clock.advance(LATER);
        }
        assertThat(state(h)).as("what the refused order changed").isEqualTo(beforeOrder);

        assertThat(walked).as("every POST route is signed and replayed here")
                .isEqualTo(RouteTable.paths("POST"));
    }

    /**
     * A node's announcement sent again later must not make the node look alive after it stopped:
     * the node is listed for 10 minutes after its own last announcement, not after a copy's.
     */
    @Test
    void aReplayedAnnouncementDoesNotKeepANodeThatStoppedListed() throws Exception {
        Harness h = harness();
        SignedEnvelope announcement = h.api.sign(node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("127.0.0.1").setPort(7001)
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build());
        assertThat(h.api.post("/v1/announce", announcement).status()).isEqualTo(200);
        h.clock.advance(Duration.ofMinutes(4));
        assertThat(h.api.post("/v1/announce", announcement).ack().getMessage()).contains("nothing changed");
        h.clock.advance(Duration.ofMinutes(6).plusSeconds(1));
        assertThat(h.api.get("/v1/nodes", PeerList.newBuilder()).getPeersList())
                .as("10 minutes after the node's own announcement").isEmpty();
    }

    private Harness harness() throws Exception {
        return open(Fixtures.manifest(1, 0.01), ApiClient.Format.JSON, CoordinatorLimits.defaults());
    }

    /** Sends a signed request, moves the clock, and sends its exact bytes again: nothing may change. */
    private static ApiClient.Response replay(Harness h, Set<String> walked, String path, Identity signer, Message record) {
        walked.add(path);
        SignedEnvelope envelope = h.api.sign(signer, record);
        ApiClient.Response first = h.api.post(path, envelope);
        assertThat(first.status()).as(path + ": " + first.text()).isEqualTo(200);
        h.clock.advance(LATER);
        List<Object> before = state(h);
        ApiClient.Response again = h.api.post(path, envelope);
        assertThat(again.status()).as(path + " again: " + again.text()).isLessThan(500);
        assertThat(state(h)).as("what %s sent again changed", path).isEqualTo(before);
        return first;
    }

    /**
     * What a client can read of the coordinator's state. The stats' operator history is signed as it
     * is read (its signed_ms the read's time): its terms are the state.
     */
    static List<Object> state(Harness h) {
        CoordinatorStats stats = h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
        List<OperatorTerm> terms;
        try {
            terms = OperatorHistory.parseFrom(stats.getOperatorHistory().getPayload()).getTermsList();
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("the stats' operator_history is not an OperatorHistory", e);
        }
        return List.of(h.units(""), stats.toBuilder().clearOperatorHistory().build(), terms,
                h.api.get("/v1/seeds", SeedList.newBuilder()).build(),
                h.api.get("/v1/directions", DirectionList.newBuilder()).build(),
                h.api.get("/v1/experiments", ExperimentList.newBuilder()).build(),
                h.api.get("/v1/results", EnvelopeList.newBuilder()).build(),
                h.api.get("/v1/papers", EnvelopeList.newBuilder()).build(),
                h.api.get("/v1/peers", PeerList.newBuilder()).build(),
                h.api.get("/v1/audit").text());
    }
}
