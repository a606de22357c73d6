package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.SealedEnvelope;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A runner holding a replica learns nothing of another replica's metric for the same trial from
 * any read route while its own is out (docs/architecture.md, Trust, "Sealed results"), and sees
 * everything once no replica is out; the signed feeds keep every place, naming a sealed result by
 * the id its envelope hashes to once revealed. On both stores.
 */
class SealedResultsTest extends OnEachStore {
    /** A metric no other number on any route spells. */
    private static final double HONEST = 3.0417291;
    private static final String SPELLED = "3.0417291";

    /** Every GET route that shows results, their means or their trials, as a copier would read them. */
    private List<String> routes(String candidate) {
        return List.of("/v1/results?direction=" + DIRECTION, "/v1/results?commit=" + candidate,
                "/v1/results?newest=10", "/v1/results?newest=10&commit=" + candidate, "/v1/audit?limit=1000",
                "/v1/trials?direction=" + DIRECTION, "/v1/trials?commit=" + candidate,
                "/v1/experiment?commit=" + candidate, "/v1/experiment-reports?commits=" + candidate,
                "/v1/experiments?direction=" + DIRECTION, "/v1/dashboard", "/v1/leaderboard?direction=" + DIRECTION,
                "/v1/directions", "/v1/adoptions?direction=" + DIRECTION, "/v1/confirmations?direction=" + DIRECTION,
                "/v1/units", "/v1/under-way?direction=" + DIRECTION, "/v1/stats", "/v1/volunteers", "/metrics");
    }

    @Test
    void aCopierReadingEveryRouteWhileItsReplicaIsOutLearnsNothingAndEverythingShowsOnceNoneIs() throws Exception {
        open(Fixtures.manifest(2, 0.01, 1), ApiClient.Format.JSON, CoordinatorLimits.defaults()).withSeedAndDirection();
        for (Identity runner : new Identity[] {Identity.generate(), Identity.generate()}) {
            WorkUnit unit = h.claimEvaluation(runner, h.seedCommit);
            h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 3.5, h.clock.millis())).ack();
        }
        Identity proposer = Identity.generate();
        String candidate = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, candidate, h.seedCommit, h.clock.millis())).ack();
        Identity honest = Identity.generate();
        Identity copier = Identity.generate();
        WorkUnit ofHonest = h.claimEvaluation(honest, candidate);
        SignedEnvelope sent = h.api.sign(honest, Fixtures.result(honest, ofHonest, HONEST, h.clock.millis()));
        Ack ack = h.api.post("/v1/results", sent).ack();
        long receiptIndex = Envelopes.open(ack.getReceipt(), ResultReceipt.getDefaultInstance()).record().getAuditIndex();
        WorkUnit ofCopier = h.claimEvaluation(copier, candidate);
        assertThat(ofCopier.getRandomSeed()).as("the same trial").isEqualTo(ofHonest.getRandomSeed());

        // the copier reads every route: the honest metric is spelled nowhere
        for (String route : routes(candidate)) {
            ApiClient.Response r = h.api.get(route);
            assertThat(r.status()).as(route).isEqualTo(200);
            assertThat(r.text()).as("%s while a replica is out", route).doesNotContain(SPELLED);
        }
        // a signed envelope spells its metric in base64: the feeds must not serve it at all
        for (String feed : List.of("/v1/results?direction=" + DIRECTION, "/v1/results?commit=" + candidate,
                "/v1/results?newest=10", "/v1/results?newest=10&commit=" + candidate, "/v1/audit?limit=1000")) {
            EnvelopeList page = h.api.get(feed, EnvelopeList.newBuilder()).build();
            assertThat(page.getEnvelopesList()).as(feed).doesNotContain(sent);
            assertThat(page.getSealedList()).as(feed).extracting(SealedEnvelope::getId).contains(ack.getId());
        }
        // ... but the result is there: named by its place and id in the signed feeds
        EnvelopeList audit = h.api.get("/v1/audit?limit=1000", EnvelopeList.newBuilder()).build();
        assertThat(audit.getEnvelopesList()).doesNotContain(sent);
        SealedEnvelope sealed = audit.getSealedList().stream().filter(s -> s.getId().equals(ack.getId()))
                .findFirst().orElseThrow();
        assertThat(sealed.getId()).isEqualTo(Envelopes.id(sent));
        assertThat(sealed.getAuditIndex()).as("the receipt's place").isEqualTo(receiptIndex);
        assertThat(sealed.getType()).isEqualTo("rhizome.v1.Result");
        assertThat(sealed.getPosition()).as("after every envelope before it")
                .isEqualTo(audit.getEnvelopesCount() + audit.getSealedCount() - 1);
        assertThat(h.api.get("/v1/results?commit=" + candidate, EnvelopeList.newBuilder()).build().getSealedList())
                .extracting(SealedEnvelope::getId).containsExactly(ack.getId());
        // ... and present in its trial, without a metric
        Trial pending = h.api.get("/v1/trials?commit=" + candidate, TrialList.newBuilder()).build().getTrials(0);
        assertThat(pending.getSealed()).isTrue();
        assertThat(pending.getResultsList()).singleElement().satisfies(v -> {
            assertThat(v.getSealed()).isTrue();
            assertThat(v.getEnvelopeId()).isEqualTo(ack.getId());
            assertThat(v.getMetric()).isZero();
        });
        ExperimentReport report = h.api.get("/v1/experiment?commit=" + candidate, ExperimentReport.newBuilder()).build();
        assertThat(report.getMetricSealed()).isTrue();
        assertThat(report.getHasMetric()).isFalse();
        assertThat(report.getResultsList()).isEmpty();
        assertThat(report.getSealedResultsList()).extracting(SealedEnvelope::getId).containsExactly(ack.getId());

        // the copier guesses the honest value: agreeing earns what running would, no more
        h.api.signAndPost("/v1/results", copier, Fixtures.result(copier, ofCopier, HONEST, h.clock.millis())).ack();
        Volunteer copied = volunteer(copier);
        Volunteer ran = volunteer(honest);
        assertThat(copied.getValid()).isEqualTo(ran.getValid()).isEqualTo(1);

        // no replica out: everything shows, at the places named while sealed
        EnvelopeList revealed = h.api.get("/v1/audit?limit=1000", EnvelopeList.newBuilder()).build();
        assertThat(revealed.getSealedList()).isEmpty();
        assertThat(revealed.getEnvelopes(sealed.getPosition())).as("the envelope stands where its id stood")
                .isEqualTo(sent);
        assertThat(Envelopes.id(revealed.getEnvelopes(sealed.getPosition()))).isEqualTo(sealed.getId());
        assertThat(h.api.get("/v1/results?commit=" + candidate, EnvelopeList.newBuilder()).build().getEnvelopesList())
                .contains(sent);
        assertThat(h.api.get("/v1/trials?commit=" + candidate).text()).contains(SPELLED);
        Trial decided = h.api.get("/v1/trials?commit=" + candidate, TrialList.newBuilder()).build().getTrials(0);
        assertThat(decided.getSealed()).isFalse();
        assertThat(decided.getMetric()).isEqualTo(HONEST);
        ExperimentReport after = h.api.get("/v1/experiment?commit=" + candidate, ExperimentReport.newBuilder()).build();
        assertThat(after.getMetricSealed()).isFalse();
        assertThat(after.getMetric()).isEqualTo(HONEST);
        assertThat(after.getResultsCount()).isEqualTo(2);
        // the board is shared while fresh (FreshCopy: at least a second), so it may reveal a copy later
        await("the leaderboard shows the revealed metric once its shared copy is stale")
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(h.api.get("/v1/leaderboard?direction=" + DIRECTION).text()).contains(SPELLED));
    }

    private Volunteer volunteer(Identity key) {
        return h.api.get("/v1/volunteers?key=" + dev.rhizome.protocol.identity.PublicId.hex(key.publicId().toByteString()), VolunteerList.newBuilder()).build()
                .getVolunteers(0);
    }
}
