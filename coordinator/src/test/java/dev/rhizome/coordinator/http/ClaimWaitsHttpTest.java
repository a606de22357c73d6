package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.service.ClaimWaits;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A claim that waits, over HTTP on a real coordinator: its request is held (no worker, no store
 * read) and answered with the experiment registered meanwhile, or at the end of its wait; the
 * coordinator's close answers the claims it holds.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class ClaimWaitsHttpTest {
    @Parameter
    String store;

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().store(() -> store).into(started -> h = started);

    @BeforeEach
    void baseline() {
        assertThat(h.api.claimResponse(Identity.generate()).hasUnit()).as("the direction's baseline, out of the way").isTrue();
    }

    private double waiting() {
        for (String line : h.api.get("/metrics").text().split("\n")) {
            if (line.startsWith("rhizome_claims_waiting ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no rhizome_claims_waiting in /metrics");
    }

    @Test
    void anExperimentRegisteredWhileAClaimWaitsIsLeasedToIt() {
        Identity runner = Identity.generate();
        CompletableFuture<ClaimResponse> answer = CompletableFuture.supplyAsync(
                () -> h.api.claimResponse(runner, ClaimWaits.MAX_WAIT_S));
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == 1);
        // the worker is free while it waits: other requests are answered meanwhile
        assertThat(h.api.claimResponse(Identity.generate()).hasUnit()).isFalse();

        Identity proposer = Identity.generate();
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();

        await().atMost(Duration.ofSeconds(ClaimWaits.MAX_WAIT_S - 5)).until(answer::isDone);
        ClaimResponse got = answer.join();
        assertThat(got.hasUnit()).as("the experiment's unit, before the claim's wait ended").isTrue();
        assertThat(got.getUnit().getCommit()).isEqualTo(commit);
        assertThat(got.getWaited()).isFalse();
        assertThat(waiting()).isZero();
    }

    @Test
    void aClaimThatWaitsInVainIsAnsweredAtTheEndOfItsWaitAndTheCloseAnswersTheRest() {
        ClaimResponse vain = h.api.claimResponse(Identity.generate(), 2);
        assertThat(vain.hasUnit()).isFalse();
        assertThat(vain.getWaited()).as("held for its wait: claim again now").isTrue();
        assertThat(vain.getReason()).contains("no open evaluation");

        CompletableFuture<ClaimResponse> held = CompletableFuture.supplyAsync(
                () -> h.api.claimResponse(Identity.generate(), ClaimWaits.MAX_WAIT_S));
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == 1);
        h.coordinator.close();
        await().atMost(Duration.ofSeconds(10)).until(held::isDone);
        assertThat(held.join().getWaited()).as("answered by the close, not cut off").isTrue();
        h.coordinator = null;
    }

    /**
     * A claim's answer that can no longer be written gives its lease back: an exploration leased to
     * a claim pipelined behind a held one waits for that one's answer, and the client resets its
     * connection meanwhile. The exploration was leased to nobody until its deadline; it is closed
     * as given back at once now, and the held claim is let go.
     */
    @Test
    void aClaimsAnswerThatReachesNobodyGivesItsLeaseBack() throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            raw.send(claim(Identity.generate(), WorkUnit.Kind.EVALUATE, ClaimWaits.MAX_WAIT_S));
            await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == 1);
            raw.send(claim(Identity.generate(), WorkUnit.Kind.EXPLORE, 0));
            // leased, its answer queued behind the held claim's (replies leave in request order)
            await().atMost(Duration.ofSeconds(30)).until(() -> explorations("LEASED").size() == 1);
            String unit = explorations("LEASED").get(0);
            raw.reset();
            await().atMost(Duration.ofSeconds(30)).until(() -> h.unit(unit).getState() == UnitStatus.State.DONE);
            await().atMost(Duration.ofSeconds(30)).until(() -> waiting() == 0);
            assertThat(explorations("LEASED")).as("nothing leased to the client that left").isEmpty();
        }
    }

    private byte[] claim(Identity node, WorkUnit.Kind kind, int waitS) {
        byte[] body = h.api.sign(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce())
                .addKinds(kind).setWaitS(waitS).build()).toByteArray();
        return RawHttp.bytes("POST", "/v1/claim", "application/x-protobuf", body);
    }

    private java.util.List<String> explorations(String state) {
        return h.units(state).getUnitsList().stream().filter(u -> u.getUnit().getKind() == WorkUnit.Kind.EXPLORE)
                .map(u -> u.getUnit().getId()).toList();
    }
}
