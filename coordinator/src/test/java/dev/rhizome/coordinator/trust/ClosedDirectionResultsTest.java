package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An operator closes a direction (say, under attack by keys that hold its leases): results for
 * leases already held are still accepted (a volunteer's finished work is never refused), but its
 * frontier stays where the closure found it. Until round 37 a candidate's replicas reported after
 * the closure moved the frontier of a direction the operator had stopped, against api.md's "its
 * frontier stays as it was".
 */
class ClosedDirectionResultsTest extends OnEachStore {
    private static final double BASE = 3.2;

    @BeforeEach
    void start() throws Exception {
        open(Fixtures.manifest(2, 0.01), ApiClient.Format.JSON, CoordinatorLimits.defaults()).withSeedAndDirection();
        for (Identity runner : new Identity[] {Identity.generate(), Identity.generate()}) {
            WorkUnit unit = h.claimEvaluation(runner, h.seedCommit);
            h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, BASE, h.clock.millis())).ack();
        }
        assertThat(direction().getFrontierMetric()).isEqualTo(BASE);
    }

    @Test
    void resultsForLeasesHeldAtTheClosureAreKeptButMoveNoFrontier() {
        Identity proposer = Identity.generate();
        String candidate = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, candidate, h.seedCommit, h.clock.millis())).ack();
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        WorkUnit ofA = h.claimEvaluation(a, candidate);
        WorkUnit ofB = h.claimEvaluation(b, candidate);

        h.api.signAndPost("/v1/directions/close", h.operator, DirectionClosure.newBuilder().setName(DIRECTION)
                .setReason("keys holding its leases are under review").setClosedBy(h.operator.publicId().toByteString())
                .setClosedMs(h.clock.millis()).build()).ack();
        String ack = "";
        for (var held : new Object[][] {{a, ofA}, {b, ofB}}) {
            Identity runner = (Identity) held[0];
            var reported = h.api.signAndPost("/v1/results", runner,
                    Fixtures.result(runner, (WorkUnit) held[1], BASE - 0.5, h.clock.millis()));
            assertThat(reported.status()).as("a held lease's result is accepted: %s", reported.text()).isEqualTo(200);
            ack = reported.ack().getMessage();
        }

        DirectionStatus closed = direction();
        assertThat(closed.getClosed()).isTrue();
        assertThat(closed.getFrontierCommit()).as("the frontier the closure found").isEqualTo(h.seedCommit);
        assertThat(closed.getFrontierMetric()).isEqualTo(BASE);
        assertThat(h.api.get("/v1/adoptions?direction=" + DIRECTION, AdoptionList.newBuilder()).getAdoptionsList())
                .as("nothing adopted after the closure").allSatisfy(x -> assertThat(x.getCommit()).isNotEqualTo(candidate));
        assertThat(ack).as("the ack says why nothing moved").contains("direction " + DIRECTION + " is closed");
        assertThat(h.api.get("/v1/trials?commit=" + candidate, TrialList.newBuilder()).getTrialsList())
                .as("the results are kept in their trial").singleElement()
                .satisfies(t -> assertThat(t.getResultsCount()).isEqualTo(2));
    }

    private DirectionStatus direction() {
        return h.api.get("/v1/directions", DirectionList.newBuilder()).getDirections(0);
    }
}
