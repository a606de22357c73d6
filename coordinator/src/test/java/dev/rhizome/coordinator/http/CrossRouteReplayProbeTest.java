package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every signed record a client could capture, sent over raw HTTP to every other signed route and
 * then twice to its own (round 29). Elsewhere it is refused by name ({@code 400}, naming the type
 * the route takes and the type it got) before anything is read or spent, so it is still taken on its
 * own route afterwards (a claim's nonce included); sent twice to its own route it acts once, and the
 * second answer is the one each route documents. Nothing a client can read changes with a refusal
 * or a replay, and none of it is counted as a forged signature. The table must hold every POST route.
 */
class CrossRouteReplayProbeTest extends SeededCoordinatorTest {
    /** Each signed route and the record type it takes, as a refusal names it. */
    private static final Map<String, String> TAKES = new LinkedHashMap<>();

    static {
        TAKES.put("/v1/seeds", "rhizome.v1.Seed");
        TAKES.put("/v1/directions", "rhizome.v1.Direction");
        TAKES.put("/v1/announce", "rhizome.v1.NodeAnnouncement");
        TAKES.put("/v1/claim", "rhizome.v1.ClaimRequest");
        TAKES.put("/v1/leases/renew", "rhizome.v1.LeaseRenewal");
        TAKES.put("/v1/results", "rhizome.v1.Result");
        TAKES.put("/v1/experiments", "rhizome.v1.Experiment");
        TAKES.put("/v1/leases/give-back", "rhizome.v1.LeaseGiveBack");
        TAKES.put("/v1/explore-done", "rhizome.v1.ExploreDone");
        TAKES.put("/v1/papers", "rhizome.v1.Paper");
        TAKES.put("/v1/directions/close", "rhizome.v1.DirectionClosure");
        TAKES.put("/v1/bans", "rhizome.v1.KeyBan");
        TAKES.put("/v1/directions/requeue", "rhizome.v1.TrialRequeueOrder");
    }

    /**
     * The second answer is the first, word for word: a claim's is the unit it leased (a reply lost
     * to a crash is asked for again this way), a renewal's the deadline as it stands.
     */
    private static final String SAME_ANSWER = null;
    /** Between a record's first and second sending: a renewal or claim acting twice would move a deadline. */
    private static final Duration LATER = Duration.ofMinutes(1);

    private final Identity node = Identity.generate();
    private final Identity explorer = Identity.generate();

    @Test
    void everySignedRecordIsRefusedByNameOnEveryOtherRouteUnspentAndActsOnceOnItsOwn() throws Exception {
        assertThat(TAKES.keySet()).as("every POST route is walked here").isEqualTo(RouteTable.paths("POST"));
        long forgeries = rejectedSignatures();

        walk("/v1/seeds", "seed already published", h.operator,
                Fixtures.seed(h.operator, "other-seed", Fixtures.commit(), h.manifest, h.clock.millis()));
        walk("/v1/directions", "direction already open", h.operator,
                Fixtures.direction(h.operator, "other", Harness.SEED, h.seedCommit, h.clock.millis()));
        walk("/v1/announce", "is already on record; nothing changed", node, NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                .setHost("127.0.0.1").setPort(7001).setHardwareClass("cpu:x86_64").addCommits(h.seedCommit)
                .setTimeMs(h.clock.millis()).build());
        // the claim is refused on every other route before its own: its nonce must still lease once there
        RawHttp.Response claimed = walk("/v1/claim", SAME_ANSWER, node, ClaimRequest.newBuilder()
                .setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis())
                .setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EVALUATE).build());
        WorkUnit unit = Json.parse(claimed.body(), ClaimResponse.newBuilder()).getUnit();
        assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
        walk("/v1/leases/renew", SAME_ANSWER, node, LeaseRenewal.newBuilder().setWorkUnitId(unit.getId())
                .setNode(node.publicId().toByteString()).setTimeMs(h.clock.millis()).build());
        walk("/v1/results", "result already recorded", node, Fixtures.result(node, unit, 3.0, h.clock.millis()));

        WorkUnit exploration = h.api.claim(explorer, WorkUnit.Kind.EXPLORE);
        String commit = Fixtures.commit();
        walk("/v1/experiments", "experiment already registered", explorer, Fixtures.experiment(explorer, Harness.SEED, Harness.DIRECTION, commit,
                exploration.getCommit(), h.clock.millis()).toBuilder().setWorkUnitId(exploration.getId()).build());
        // an evaluation of the experiment, given back unrun: the second sending finds it open and changes nothing
        Identity quitter = Identity.generate();
        WorkUnit unrun = h.api.claim(quitter, WorkUnit.Kind.EVALUATE);
        assertThat(unrun).as("an evaluation of the experiment to give back").isNotNull();
        walk("/v1/leases/give-back", "nothing given back", quitter, LeaseGiveBack.newBuilder().setWorkUnitId(unrun.getId())
                .setNode(quitter.publicId().toByteString()).setReason("paused").setTimeMs(h.clock.millis()).build());
        walk("/v1/explore-done", "exploration already closed", explorer, ExploreDone.newBuilder().setWorkUnitId(exploration.getId())
                .setNode(explorer.publicId().toByteString()).addCommits(commit).setTimeMs(h.clock.millis()).build());
        walk("/v1/papers", "paper already published", explorer, Paper.newBuilder().setDirection(Harness.DIRECTION).setTitle("t")
                .setBodyMarkdown("b").addCommits(commit).setAuthor(explorer.publicId().toByteString())
                .setCreatedMs(h.clock.millis()).build());
        walk("/v1/directions/close", "direction already closed", h.operator, DirectionClosure.newBuilder().setName("other").setReason("done")
                .setClosedBy(h.operator.publicId().toByteString()).setClosedMs(h.clock.millis()).build());
        walk("/v1/bans", "key already banned", h.operator, KeyBan.newBuilder().setKey(Identity.generate().publicId().toByteString())
                .setReason("forged metrics").setBannedBy(h.operator.publicId().toByteString())
                .setBannedMs(h.clock.millis()).build());
        // nothing of the direction was queued again for another class: refused on its own route, alike each time
        walkRefused("/v1/directions/requeue", 409, "were never queued again for another class", h.operator,
                TrialRequeueOrder.newBuilder().setName(Harness.DIRECTION).setReason("banned the pair")
                        .setRequeuedBy(h.operator.publicId().toByteString()).setRequeuedMs(h.clock.millis()).build());

        assertThat(rejectedSignatures()).as("no refusal here was a signature that failed").isEqualTo(forgeries);
        String metrics = h.api.get("/metrics").text();
        for (String route : TAKES.keySet()) {
            assertThat(metrics).as("each route refused the records of all the others")
                    .contains("rhizome_refusals_total{reason=\"BAD_REQUEST\",route=\"" + route + "\"} "
                            + (TAKES.size() - 1) + ".0");
        }
    }

    /**
     * A claim refused on its own route before it leases (its key holds its leases' cap: 429) is
     * rolled back whole, its nonce with it: sent again once the key's lease is done, the same
     * bytes are a claim like any other. Only a claim that ran to its answer spends its nonce.
     */
    @Test
    void aClaimRefusedAtItsKeysLeaseCapKeepsItsNonce() throws Exception {
        h.close();
        h = new Harness(dataDir.resolve("capped"), Fixtures.manifest(1, 0.01), ApiClient.Format.JSON,
                CoordinatorLimits.defaults().withLeases(1, 10)).withSeedAndDirection();
        WorkUnit held = h.api.claim(node, WorkUnit.Kind.EVALUATE);
        String claim = Json.print(h.api.sign(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce())
                .addKinds(WorkUnit.Kind.EVALUATE).build()));
        RawHttp.Response capped = post("/v1/claim", claim);
        assertThat(capped.status()).as(capped.body()).isEqualTo(429);
        assertThat(capped.body()).contains("LIMIT_REACHED").contains("holds 1 leases");

        RawHttp.Response result = post("/v1/results", Json.print(h.api.sign(node,
                Fixtures.result(node, held, 3.0, h.clock.millis()))));
        assertThat(result.status()).as(result.body()).isEqualTo(200);
        RawHttp.Response taken = post("/v1/claim", claim);
        assertThat(taken.status()).as("the nonce the 429 did not spend: %s", taken.body()).isEqualTo(200);
        assertThat(taken.body()).doesNotContain("already used");
        // this one ran to its answer (no work left): now the nonce is spent
        RawHttp.Response spent = post("/v1/claim", claim);
        assertThat(spent.status()).as(spent.body()).isEqualTo(409);
        assertThat(spent.body()).contains("nonce was already used");
    }

    /**
     * Sends the record to every other signed route (each a refusal naming both types, nothing
     * changed), then to its own (taken), then again a minute later (nothing changed, answered
     * {@code 200} with {@code again} in its message: idempotent by design); returns the first answer.
     */
    private RawHttp.Response walk(String route, String again, Identity signer, Message record) throws Exception {
        String envelope = Json.print(h.api.sign(signer, record));
        String type = TAKES.get(route);
        refusedElsewhere(route, envelope);
        RawHttp.Response taken = post(route, envelope);
        assertThat(taken.status()).as("%s on its own route after its refusals elsewhere: %s", type, taken.body()).isEqualTo(200);
        h.clock.advance(LATER);
        List<Object> after = ReplayedRequestsTest.state(h);
        RawHttp.Response replayed = post(route, envelope);
        assertThat(replayed.status()).as("%s sent twice to %s: %s", type, route, replayed.body()).isEqualTo(200);
        if (again == SAME_ANSWER) {
            assertThat(replayed.body()).as("%s sent twice to %s", type, route).isEqualTo(taken.body());
        } else {
            assertThat(replayed.body()).as("%s sent twice to %s", type, route).contains(again);
        }
        assertThat(ReplayedRequestsTest.state(h)).as("%s sent twice to %s acted twice", type, route).isEqualTo(after);
        return taken;
    }

    /** Sends the record to every signed route but its own: each a refusal naming both types, nothing changed. */
    private void refusedElsewhere(String route, String envelope) throws Exception {
        String type = TAKES.get(route);
        List<Object> before = ReplayedRequestsTest.state(h);
        for (Map.Entry<String, String> other : TAKES.entrySet()) {
            if (other.getKey().equals(route)) {
                continue;
            }
            RawHttp.Response refused = post(other.getKey(), envelope);
            assertThat(refused.status()).as("%s sent to %s: %s", type, other.getKey(), refused.body()).isEqualTo(400);
            assertThat(refused.body()).as("%s sent to %s", type, other.getKey()).contains("BAD_REQUEST")
                    .contains("expected a signed " + other.getValue() + ", got " + type);
        }
        assertThat(ReplayedRequestsTest.state(h)).as("%s refused elsewhere changed something", type).isEqualTo(before);
    }

    /**
     * {@link #walk} for a record its own route refuses where the state gives it nothing to do:
     * refused elsewhere by type, then on its own route with {@code status} naming why, the same
     * a minute later, and nothing changed by any of it.
     */
    private void walkRefused(String route, int status, String why, Identity signer, Message record) throws Exception {
        String envelope = Json.print(h.api.sign(signer, record));
        refusedElsewhere(route, envelope);
        List<Object> before = ReplayedRequestsTest.state(h);
        for (int i = 0; i < 2; i++) {
            RawHttp.Response refused = post(route, envelope);
            assertThat(refused.status()).as("%s on %s: %s", TAKES.get(route), route, refused.body()).isEqualTo(status);
            assertThat(refused.body()).contains(why);
            h.clock.advance(LATER);
        }
        assertThat(ReplayedRequestsTest.state(h)).as("%s refused on %s changed something", TAKES.get(route), route)
                .isEqualTo(before);
    }

    private RawHttp.Response post(String path, String json) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(RawHttp.bytes("POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8))).read();
        }
    }

    private long rejectedSignatures() {
        return h.api.get("/v1/stats", CoordinatorStats.newBuilder()).getRejectedSignatures();
    }
}
