package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record signed for one network is refused by another network's coordinator, whatever its kind,
 * however fresh its time and whoever signed it (a volunteer with one key on two networks), and
 * accepted by its own; a record signed for no network (envelope version 1) is refused by both.
 */
class CrossNetworkReplayTest {
    @TempDir
    Path dirA;
    @TempDir
    Path dirB;
    private Harness a;
    private Harness b;

    @BeforeEach
    void start() throws Exception {
        // both clocks read the same: B's replay window holds A's records, only the network differs
        a = new Harness(dirA, Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF).withSeedAndDirection();
        b = new Harness(dirB, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection();
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @Test
    void eachStoreMakesItsOwnNetworkIdAndKeepsItAcrossRestarts() throws Exception {
        String idA = stats(a).getNetworkId();
        assertThat(idA).matches("[0-9a-f]{32}");
        assertThat(stats(b).getNetworkId()).matches("[0-9a-f]{32}").isNotEqualTo(idA);

        a.restart(ApiClient.Format.PROTOBUF);

        assertThat(stats(a).getNetworkId()).isEqualTo(idA);
    }

    @Test
    void everyKindOfSignedRecordMadeForOneNetworkIsRefusedByAnotherAndAcceptedByItsOwn() {
        Identity node = Identity.generate();
        long now = a.clock.millis();
        replayThenAccept("/v1/seeds", a.operator, Fixtures.seed(a.operator, "second-seed", Fixtures.commit(),
                a.manifest, now));
        replayThenAccept("/v1/directions", a.operator, Fixtures.direction(a.operator, "second-direction", SEED,
                a.seedCommit, now));
        replayThenAccept("/v1/announce", node, NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                .setHost("127.0.0.1").setPort(7000).setHardwareClass("cpu:x86_64").setTimeMs(now).build());
        WorkUnit baseline = replayThenAccept("/v1/claim", node, ClaimRequest.newBuilder()
                .setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64")
                .addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(now).setNonce(Fixtures.nonce()).build())
                .parse(ClaimResponse.newBuilder()).getUnit();
        assertThat(baseline.getCommit()).isEqualTo(a.seedCommit);
        replayThenAccept("/v1/leases/renew", node, LeaseRenewal.newBuilder().setWorkUnitId(baseline.getId())
                .setNode(node.publicId().toByteString()).setTimeMs(now).build());
        WorkUnit explore = a.api.claim(node, WorkUnit.Kind.EXPLORE);
        assertThat(explore).isNotNull();
        replayThenAccept("/v1/experiments", node, Fixtures.experiment(node, SEED, DIRECTION, Fixtures.commit(),
                a.seedCommit, now));
        replayThenAccept("/v1/explore-done", node, ExploreDone.newBuilder().setWorkUnitId(explore.getId())
                .setNode(node.publicId().toByteString()).setTimeMs(now).build());
        replayThenAccept("/v1/results", node, Fixtures.result(node, baseline, 3.2, now));
        replayThenAccept("/v1/papers", node, Paper.newBuilder().setAuthor(node.publicId().toByteString())
                .setDirection(DIRECTION).setTitle("what we found").setBodyMarkdown("lower lr helps")
                .setCreatedMs(now).build());
        replayThenAccept("/v1/directions/close", a.operator, DirectionClosure.newBuilder().setName("second-direction")
                .setReason("done").setClosedBy(a.operator.publicId().toByteString()).setClosedMs(now).build());
        replayThenAccept("/v1/bans", a.operator, KeyBan.newBuilder().setKey(Identity.generate().publicId().toByteString())
                .setReason("forged metrics").setBannedBy(a.operator.publicId().toByteString()).setBannedMs(now).build());

        // nothing of A's reached B: its history is its own seed and direction
        CoordinatorStats onB = stats(b);
        assertThat(onB.getSeeds()).isEqualTo(1);
        assertThat(onB.getDirections()).isEqualTo(1);
        assertThat(onB.getExperiments() + onB.getResults() + onB.getPapers() + onB.getNodes()).isZero();
        assertThat(onB.getRejectedSignatures()).as("a replay is no forgery of its signer").isZero();
    }

    /**
     * Posts {@code record} signed for A's network to B (refused), signed for no network to A
     * (refused), then signed for A to A (accepted), and returns A's answer.
     */
    private ApiClient.Response replayThenAccept(String path, Identity signer, Message record) {
        SignedEnvelope forA = a.api.sign(signer, record);
        String what = record.getDescriptorForType().getName();

        ApiClient.Response replayed = b.api.post(path, forA);
        assertThat(replayed.status()).as("%s for network A, sent to B", what).isEqualTo(403);
        assertThat(replayed.error().getCode()).isEqualTo(Error.Code.WRONG_NETWORK);
        assertThat(replayed.error().getMessage()).contains(what).contains(a.api.network()).contains(b.api.network());

        ApiClient.Response unnamed = a.api.post(path, Envelopes.sign(signer, record));
        assertThat(unnamed.status()).as("%s naming no network, sent to A", what).isEqualTo(403);
        assertThat(unnamed.error().getCode()).isEqualTo(Error.Code.WRONG_NETWORK);
        assertThat(unnamed.error().getMessage()).contains("version 1").contains(a.api.network());

        ApiClient.Response accepted = a.api.post(path, forA);
        assertThat(accepted.status()).as("%s for network A, sent to A: %s", what, accepted.text()).isEqualTo(200);
        return accepted;
    }

    private static CoordinatorStats stats(Harness h) {
        return h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
    }
}
