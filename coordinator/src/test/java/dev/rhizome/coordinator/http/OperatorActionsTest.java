package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operators close directions and ban keys, through signed requests to a real coordinator. */
class OperatorActionsTest {
    @TempDir
    Path dataDir;

    @Test
    void aClosedDirectionHandsOutNoWorkTakesNoExperimentsAndShowsAsClosed() throws Exception {
        Identity node = Identity.generate();
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            assertThat(h.units("OPEN").getUnitsList()).as("the baseline waits for a runner").isNotEmpty();

            ApiClient.Response stranger = h.api.signAndPost("/v1/directions/close", node, closure(node, h, "mine now"));
            assertThat(stranger.status()).isEqualTo(403);
            assertThat(stranger.error().getMessage()).contains("not an operator");

            assertThat(h.api.signAndPost("/v1/directions/close", h.operator, closure(h.operator, h, "budget spent"))
                    .ack().getMessage()).isEqualTo("direction closed");
            assertThat(h.api.signAndPost("/v1/directions/close", h.operator, closure(h.operator, h, "again"))
                    .ack().getMessage()).isEqualTo("direction already closed");

            assertThat(h.api.claim(node)).as("no work from a closed direction").isNull();
            ClaimResponse named = h.api.signAndPost("/v1/claim", node, ClaimRequest.newBuilder()
                    .setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64").setDirection(DIRECTION)
                    .setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build()).parse(ClaimResponse.newBuilder()).build();
            assertThat(named.hasUnit()).isFalse();
            assertThat(named.getReason()).contains("closed").contains("budget spent");
            assertThat(named.getDirectionClosed()).as("said in a field, not only in words").isTrue();
            assertThat(h.units("OPEN").getUnitsList()).as("its open units stay as they were").isNotEmpty();

            ApiClient.Response experiment = h.api.signAndPost("/v1/experiments", node,
                    Fixtures.experiment(node, SEED, DIRECTION, Fixtures.commit(), h.seedCommit, h.clock.millis()));
            assertThat(experiment.status()).isEqualTo(409);
            assertThat(experiment.error().getMessage()).contains("closed");

            DirectionStatus listed = h.api.get("/v1/directions", DirectionList.newBuilder()).build().getDirections(0);
            assertThat(listed.getClosed()).isTrue();
            assertThat(listed.getClosedReason()).isEqualTo("budget spent");

            h.restart(ApiClient.Format.PROTOBUF);
            assertThat(h.api.claim(node)).as("a closure outlives a restart").isNull();
        }
    }

    @Test
    void aBannedKeysClaimsResultsExperimentsAndPapersAreRefusedWithTheReason() throws Exception {
        Identity cheat = Identity.generate();
        Identity honest = Identity.generate();
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            WorkUnit unit = h.claimEvaluation(cheat, h.seedCommit);

            ApiClient.Response notOperator = h.api.signAndPost("/v1/bans", honest, ban(honest, cheat, h, "x"));
            assertThat(notOperator.status()).isEqualTo(403);
            assertThat(h.api.signAndPost("/v1/bans", h.operator, ban(h.operator, cheat, h, "forged metrics"))
                    .ack().getMessage()).isEqualTo("key banned");

            ApiClient.Response result = h.api.signAndPost("/v1/results", cheat,
                    Fixtures.result(cheat, unit, 1.0, h.clock.millis()));
            assertRefused(result, cheat, "report results");
            assertRefused(h.api.signAndPost("/v1/claim", cheat, ClaimRequest.newBuilder()
                    .setNode(cheat.publicId().toByteString()).setHardwareClass("cpu:x86_64")
                    .setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build()), cheat, "claim work");
            assertRefused(h.api.signAndPost("/v1/experiments", cheat,
                    Fixtures.experiment(cheat, SEED, DIRECTION, Fixtures.commit(), h.seedCommit, h.clock.millis())),
                    cheat, "propose experiments");
            assertRefused(h.api.signAndPost("/v1/papers", cheat, Paper.newBuilder().setDirection(DIRECTION)
                    .setTitle("t").setBodyMarkdown("b").setAuthor(cheat.publicId().toByteString())
                    .setCreatedMs(h.clock.millis()).build()), cheat, "publish papers");

            h.api.signAndPost("/v1/experiments", honest,
                    Fixtures.experiment(honest, SEED, DIRECTION, Fixtures.commit(), h.seedCommit, h.clock.millis())).ack();

            h.restart(ApiClient.Format.JSON);
            assertRefused(h.api.signAndPost("/v1/experiments", cheat,
                    Fixtures.experiment(cheat, SEED, DIRECTION, Fixtures.commit(), h.seedCommit, h.clock.millis())),
                    cheat, "propose experiments");
        }
    }

    @Test
    void aBannedKeyIsRefusedOnEverySignedRoute() throws Exception {
        Identity cheat = Identity.generate();
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            WorkUnit unit = h.claimEvaluation(cheat, h.seedCommit);
            assertThat(h.api.signAndPost("/v1/leases/renew", cheat, renewal(cheat, unit, h)).status())
                    .as("the lease is renewable before the ban").isEqualTo(200);
            assertThat(h.api.signAndPost("/v1/announce", cheat, announcement(cheat, h)).status())
                    .as("announcing is allowed before the ban").isEqualTo(200);
            h.api.signAndPost("/v1/bans", h.operator, ban(h.operator, cheat, h, "forged metrics")).ack();

            // Every signed route, each with a record the banned key signs; the table must list
            // every POST route the coordinator serves, so a route added later is walked too.
            long now = h.clock.millis();
            Map<String, Message> requests = new TreeMap<>(Map.ofEntries(
                    Map.entry("/v1/seeds", Fixtures.seed(cheat, "other-seed", Fixtures.commit(), h.manifest, now)),
                    Map.entry("/v1/directions", Fixtures.direction(cheat, "other", SEED, h.seedCommit, now)),
                    Map.entry("/v1/directions/close", closure(cheat, h, "mine now")),
                    Map.entry("/v1/directions/requeue", TrialRequeueOrder.newBuilder().setName(DIRECTION)
                            .setReason("mine now").setRequeuedBy(cheat.publicId().toByteString()).setRequeuedMs(now)
                            .build()),
                    Map.entry("/v1/bans", ban(cheat, h.operator, h, "revenge")),
                    Map.entry("/v1/claim", ClaimRequest.newBuilder().setNode(cheat.publicId().toByteString())
                            .setHardwareClass("cpu:x86_64").setTimeMs(now).setNonce(Fixtures.nonce()).build()),
                    Map.entry("/v1/leases/renew", renewal(cheat, unit, h)),
                    Map.entry("/v1/leases/give-back", LeaseGiveBack.newBuilder().setWorkUnitId(unit.getId())
                            .setNode(cheat.publicId().toByteString()).setTimeMs(now).build()),
                    Map.entry("/v1/explore-done", ExploreDone.newBuilder().setWorkUnitId(unit.getId())
                            .setNode(cheat.publicId().toByteString()).setTimeMs(now).build()),
                    Map.entry("/v1/experiments",
                            Fixtures.experiment(cheat, SEED, DIRECTION, Fixtures.commit(), h.seedCommit, now)),
                    Map.entry("/v1/results", Fixtures.result(cheat, unit, 1.0, now)),
                    Map.entry("/v1/papers", Paper.newBuilder().setDirection(DIRECTION).setTitle("t")
                            .setBodyMarkdown("b").setAuthor(cheat.publicId().toByteString()).setCreatedMs(now).build()),
                    Map.entry("/v1/announce", announcement(cheat, h))));
            assertThat(requests.keySet()).as("every POST route is signed and walked here")
                    .isEqualTo(RouteTable.paths("POST"));
            requests.forEach((path, record) -> assertRefused(h.api.signAndPost(path, cheat, record), cheat,
                    SignedRequests.action(record)));

            assertThat(h.api.signAndPost("/v1/announce", h.operator, announcement(h.operator, h)).status())
                    .as("others are still admitted").isEqualTo(200);
        }
    }

    private static LeaseRenewal renewal(Identity node, WorkUnit unit, Harness h) {
        return LeaseRenewal.newBuilder().setWorkUnitId(unit.getId()).setNode(node.publicId().toByteString())
                .setTimeMs(h.clock.millis()).build();
    }

    private static NodeAnnouncement announcement(Identity node, Harness h) {
        return NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString()).setHost("127.0.0.1")
                .setPort(7001).setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build();
    }

    private static void assertRefused(ApiClient.Response response, Identity key, String action) {
        assertThat(response.status()).as(response.text()).isEqualTo(403);
        assertThat(response.error().getCode()).isEqualTo(Error.Code.FORBIDDEN);
        assertThat(response.error().getMessage()).contains(key.publicId().toString()).contains("banned")
                .contains(action).contains("forged metrics");
    }

    private static DirectionClosure closure(Identity signer, Harness h, String reason) {
        return DirectionClosure.newBuilder().setName(DIRECTION).setReason(reason)
                .setClosedBy(signer.publicId().toByteString()).setClosedMs(h.clock.millis()).build();
    }

    private static KeyBan ban(Identity signer, Identity banned, Harness h, String reason) {
        return KeyBan.newBuilder().setKey(banned.publicId().toByteString()).setReason(reason)
                .setBannedBy(signer.publicId().toByteString()).setBannedMs(h.clock.millis()).build();
    }
}
