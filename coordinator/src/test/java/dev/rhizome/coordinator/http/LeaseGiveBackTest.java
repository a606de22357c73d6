package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.service.ClaimWaits;
import dev.rhizome.coordinator.service.Dispatcher;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A node gives back an EVALUATE unit it will not run (its job kept off a CPU, its owner paused it):
 * the unit used to wait out the lease (150 s here) before anyone else got it, counted as an expired
 * lease against the node and a failed attempt of the commit.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class LeaseGiveBackTest {
    @Parameter
    String store;

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().store(() -> store).into(started -> h = started);
    private final Identity first = Identity.generate();
    private final Identity second = Identity.generate();

    @Test
    void aUnitGivenBackIsOfferedToTheNextClaimAtOnceAndCountsAsNoFailure() {
        WorkUnit unit = h.claimEvaluation(first, h.seedCommit);
        assertThat(h.api.claim(second)).as("held by the first node").isNull();

        var back = h.api.signAndPost("/v1/leases/give-back", first, giveBack(first, unit, "kept off a CPU"));
        assertThat(back.status()).isEqualTo(200);
        assertThat(back.ack().getMessage()).contains("given back");
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.OPEN);

        WorkUnit reissued = h.claimEvaluation(second, h.seedCommit);  // the clock never moved
        assertThat(reissued.getId()).isEqualTo(unit.getId());
        assertThat(reissued.getAttempt()).as("the unrun attempt is not counted").isEqualTo(1);
        assertThat(h.unit(unit.getId()).getExpiredLeases()).isZero();
        assertThat(h.api.get("/v1/stats", CoordinatorStats.newBuilder()).getLeasesExpired()).isZero();

        h.api.signAndPost("/v1/results", second, Fixtures.result(second, reissued, 3.5, h.clock.millis())).ack();
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.DONE);
    }

    @Test
    void aClaimWaitingForWorkGetsTheUnitGivenBack() throws Exception {
        WorkUnit unit = h.claimEvaluation(first, h.seedCommit);
        CompletableFuture<ClaimResponse> waiting = CompletableFuture.supplyAsync(
                () -> h.api.claimResponse(second, ClaimWaits.MAX_WAIT_S, WorkUnit.Kind.EVALUATE));
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == 1);
        h.api.signAndPost("/v1/leases/give-back", first, giveBack(first, unit, "paused")).ack();
        // The unit in the answer, not this bound, tells a wake from the end of its 20 s wait (which
        // answers no unit): a 10 s bound sat within half that wait and failed only a slow machine.
        ClaimResponse woken = waiting.get(3L * ClaimWaits.MAX_WAIT_S, TimeUnit.SECONDS);
        assertThat(woken.getUnit().getId()).as("woken by the give-back, not left to its wait").isEqualTo(unit.getId());
    }

    @Test
    void onlyTheHolderGivesBackAndAGiveBackSentAgainChangesNothing() {
        WorkUnit unit = h.claimEvaluation(first, h.seedCommit);

        var stranger = h.api.signAndPost("/v1/leases/give-back", second, giveBack(second, unit, ""));
        assertThat(stranger.status()).as("not the holder").isEqualTo(409);
        assertThat(stranger.error().getMessage()).contains("not leased to");
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.LEASED);
        assertThat(h.unit(unit.getId()).getHolder()).isEqualTo(first.publicId().toByteString());

        assertThat(h.api.signAndPost("/v1/leases/give-back", first, giveBack(first, unit, "")).status()).isEqualTo(200);
        var again = h.api.signAndPost("/v1/leases/give-back", first, giveBack(first, unit, ""));
        assertThat(again.status()).as("a retry after a lost answer").isEqualTo(200);
        assertThat(again.ack().getMessage()).contains("nothing given back");
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.OPEN);

        WorkUnit reissued = h.claimEvaluation(second, h.seedCommit);
        var late = h.api.signAndPost("/v1/leases/give-back", first, giveBack(first, unit, ""));
        assertThat(late.status()).as("the unit is the second node's now").isEqualTo(409);
        assertThat(h.unit(reissued.getId()).getHolder()).isEqualTo(second.publicId().toByteString());
    }

    @Test
    void badGiveBacksAreRefusedByName() {
        WorkUnit unit = h.claimEvaluation(first, h.seedCommit);
        var unknown = h.api.signAndPost("/v1/leases/give-back", first,
                giveBack(first, unit, "").toBuilder().setWorkUnitId("no-such-unit").build());
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error().getMessage()).contains("unknown work unit no-such-unit");

        var tooLong = h.api.signAndPost("/v1/leases/give-back", first, giveBack(first, unit, "x".repeat(501)));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.error().getMessage()).contains("reason").contains("at most 500");

        var stale = h.api.signAndPost("/v1/leases/give-back", first,
                giveBack(first, unit, "").toBuilder().setTimeMs(h.clock.millis() - 3_600_000).build());
        assertThat(stale.status()).as("signed outside the replay window").isEqualTo(400);
        assertThat(h.unit(unit.getId()).getState()).as("none of them gave it back").isEqualTo(UnitStatus.State.LEASED);

        WorkUnit exploration = h.api.claim(second, WorkUnit.Kind.EXPLORE);
        assertThat(exploration).isNotNull();
        var explore = h.api.signAndPost("/v1/leases/give-back", second, giveBack(second, exploration, ""));
        assertThat(explore.status()).isEqualTo(400);
        assertThat(explore.error().getMessage()).contains("EXPLORE").contains("/v1/explore-done");
    }

    /**
     * A node gave a unit back because its download outlasted the job's limit, the download going on:
     * its claims name the commit (fetching_given_back), and none of them is leased a unit of it, not
     * even a claim held waiting when another give-back opens it; any other node gets it at once, and
     * the same node once its claims name it no more (its download ended).
     */
    @Test
    void aNodeStillFetchingTheCommitOfAUnitItGaveBackIsNotLeasedItAgainWhileOthersAre() throws Exception {
        WorkUnit unit = h.claimEvaluation(first, h.seedCommit);
        h.api.signAndPost("/v1/leases/give-back", first, giveBack(first, unit, "still being fetched")).ack();

        ClaimResponse named = claimNaming(first, 0, unit.getCommit());
        assertThat(named.hasUnit()).as("its slot would wait on the same download").isFalse();
        assertThat(named.getReason()).contains("no open evaluation this node may run");

        CompletableFuture<ClaimResponse> held = CompletableFuture.supplyAsync(
                () -> claimNaming(first, ClaimWaits.MAX_WAIT_S, unit.getCommit()));
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == 1);
        WorkUnit other = h.claimEvaluation(second, h.seedCommit);
        assertThat(other.getId()).as("another node gets it at once").isEqualTo(unit.getId());
        // opened again while the first node's claim waits: the wake-up runs it, and it must pass the unit by
        h.api.signAndPost("/v1/leases/give-back", second, giveBack(second, other, "paused")).ack();
        ClaimResponse answered = held.get(3L * ClaimWaits.MAX_WAIT_S, TimeUnit.SECONDS);
        assertThat(answered.hasUnit()).as("the held claim naming the commit passed it by").isFalse();
        assertThat(answered.getWaited()).isTrue();
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.OPEN);

        assertThat(h.claimEvaluation(first, h.seedCommit).getId())
                .as("its download ended: a lone node is not kept off the unit").isEqualTo(unit.getId());
    }

    @Test
    void aClaimNamingTooManyOrMalformedCommitsItFetchesIsRefusedByName() {
        ClaimRequest.Builder many = claimRequest(first, 0);
        for (int i = 0; i <= Dispatcher.MAX_FETCHING_GIVEN_BACK; i++) {
            many.addFetchingGivenBack(String.format("%040x", i));
        }
        var tooMany = h.api.signAndPost("/v1/claim", first, many.build());
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.error().getMessage()).contains("fetching_given_back names 17 commits; at most 16");

        var malformed = h.api.signAndPost("/v1/claim", first, claimRequest(first, 0).addFetchingGivenBack("HEAD").build());
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.error().getMessage()).contains("fetching_given_back[0] must be a 40-hex-digit commit id");
        assertThat(h.unit(h.claimEvaluation(first, h.seedCommit).getId()).getState())
                .as("neither leased anything").isEqualTo(UnitStatus.State.LEASED);
    }

    private ClaimRequest.Builder claimRequest(Identity node, int waitS) {
        return ClaimRequest.newBuilder().setNode(node.publicId().toByteString()).setHardwareClass("cpu:x86_64")
                .setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).setWaitS(waitS);
    }

    private ClaimResponse claimNaming(Identity node, int waitS, String commit) {
        var response = h.api.signAndPost("/v1/claim", node, claimRequest(node, waitS).addFetchingGivenBack(commit).build());
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.parse(ClaimResponse.newBuilder()).build();
    }

    private double waiting() {
        for (String line : h.api.get("/metrics").text().split("\n")) {
            if (line.startsWith("rhizome_claims_waiting ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no rhizome_claims_waiting in /metrics");
    }

    private LeaseGiveBack giveBack(Identity node, WorkUnit unit, String reason) {
        return LeaseGiveBack.newBuilder().setWorkUnitId(unit.getId()).setNode(node.publicId().toByteString())
                .setReason(reason).setTimeMs(h.clock.millis()).build();
    }
}
