package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.UnderWay;
import dev.rhizome.proto.v1.UnderWayList;
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
 * {@code GET /v1/under-way?direction=D}: the hypotheses agents claimed on a direction and still hold,
 * before they submit anything: `brief` showed only what was submitted, so two agents picked the
 * same idea. A unit given back is no longer under way; the built-in explorer's claims and claims
 * without a hypothesis are not listed. On both stores.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class UnderWayTest {
    @Parameter
    String store;

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().store(() -> store).into(started -> h = started);

    private WorkUnit explore(Identity agent, String hypothesis) {
        ApiClient.Response r = h.api.signAndPost("/v1/claim", agent, ClaimRequest.newBuilder()
                .setNode(agent.publicId().toByteString()).setHardwareClass("cpu").addKinds(WorkUnit.Kind.EXPLORE)
                .setDirection(Harness.DIRECTION).setHypothesis(hypothesis).setTimeMs(h.clock.millis())
                .setNonce(Fixtures.nonce()).build());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        WorkUnit unit = r.parse(ClaimResponse.newBuilder()).build().getUnit();
        assertThat(unit.getKind()).isEqualTo(WorkUnit.Kind.EXPLORE);
        h.clock.advance(Duration.ofSeconds(1));
        return unit;
    }

    private UnderWayList underWay() {
        return h.api.get("/v1/under-way?direction=" + Harness.DIRECTION, UnderWayList.newBuilder()).build();
    }

    @Test
    void theHypothesesClaimedAndHeldAreListedNewestFirstUntilTheUnitIsGivenBack() {
        Identity runner = Identity.generate();
        WorkUnit baseline = h.claimEvaluation(runner, h.seedCommit);
        h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, baseline, 3.0, h.clock.millis())).ack();
        assertThat(underWay().getUnderWayList()).isEmpty();

        Identity first = Identity.generate();
        Identity second = Identity.generate();
        WorkUnit a = explore(first, "halve the learning rate and add warmup");
        explore(second, "");  // no hypothesis stated: nothing to show
        WorkUnit b = explore(second, "tie the input and output embeddings");

        List<UnderWay> listed = underWay().getUnderWayList();
        assertThat(listed).extracting(UnderWay::getUnitId).containsExactly(b.getId(), a.getId());
        UnderWay older = listed.get(1);
        assertThat(older.getHypothesis()).isEqualTo("halve the learning rate and add warmup");
        assertThat(older.getClaimant()).isEqualTo(first.publicId().toByteString());
        assertThat(older.getLeaseDeadlineMs()).isEqualTo(a.getLeaseDeadlineMs());
        assertThat(older.getCommit()).isEqualTo(a.getCommit());
        assertThat(older.getClaimedMs()).isPositive().isLessThan(listed.get(0).getClaimedMs());

        // given back: no longer under way
        h.api.signAndPost("/v1/explore-done", first, ExploreDone.newBuilder().setWorkUnitId(a.getId())
                .setNode(first.publicId().toByteString()).setReason("unclaimed").setTimeMs(h.clock.millis()).build()).ack();
        assertThat(underWay().getUnderWayList()).extracting(UnderWay::getUnitId).containsExactly(b.getId());
    }

    @Test
    void aMissingOrUnknownDirectionIsRefused() {
        ApiClient.Response missing = h.api.get("/v1/under-way");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.error().getMessage()).contains("query parameter direction");
        ApiClient.Response unknown = h.api.get("/v1/under-way?direction=no-such-direction");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error().getCode()).isEqualTo(Error.Code.NOT_FOUND);
        assertThat(h.api.get("/v1/under-way?direction=" + Harness.DIRECTION + "&limit=5").status())
                .as("no paging: an unknown key").isEqualTo(400);
    }
}
