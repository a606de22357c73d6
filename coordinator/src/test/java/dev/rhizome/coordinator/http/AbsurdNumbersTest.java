package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Knob;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SeedList;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import org.junit.jupiter.api.Test;

/**
 * Numbers in signed records that are well formed but absurd: a uint32 at 2^32 - 1 read as -1 and
 * let through a bound, a NaN or an infinity passing a comparison that refuses every real number
 * out of range, a self-reported runtime of 2^63 - 1 ms counted as credit. Each is refused naming
 * the field, or bounded where an honest value can be large.
 */
class AbsurdNumbersTest extends SeededCoordinatorTest {
    @Test
    void aSeedsUnsignedAndFloatingPointFieldsAreReadForWhatTheyAre() {
        Manifest good = Fixtures.manifest(1, 0.01);
        Manifest[] absurd = {
            good.toBuilder().setAdoptionSeeds(-1).build(),  // 4,294,967,295 seeds per trial, read as -1 (none)
            good.toBuilder().setMetric(good.getMetric().toBuilder().setTolerance(Double.NaN)).build(),
            good.toBuilder().setMetric(good.getMetric().toBuilder().setTolerance(Double.POSITIVE_INFINITY)).build(),
            good.toBuilder().addKnobs(Knob.newBuilder().setName("lr").setFile("config.properties")
                    .setMin(Double.NEGATIVE_INFINITY).setMax(Double.POSITIVE_INFINITY)).build(),
        };
        String[] named = {"adoption_seeds", "tolerance", "tolerance", "knob lr"};
        for (int i = 0; i < absurd.length; i++) {
            ApiClient.Response r = h.api.signAndPost("/v1/seeds", h.operator,
                    Fixtures.seed(h.operator, "absurd-" + i, Fixtures.commit(), absurd[i], h.clock.millis()));
            assertThat(r.status()).as(named[i] + ": " + r.text()).isEqualTo(400);
            assertThat(r.error().getMessage()).contains(named[i]);
        }
        assertThat(h.api.get("/v1/seeds", SeedList.newBuilder()).getSeedsCount()).as("only the harness's seed").isEqualTo(1);
    }

    @Test
    void aPortOf2To32Minus1IsNamedAsSent() {
        Identity node = Identity.generate();
        ApiClient.Response r = h.api.signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("127.0.0.1").setPort(-1).setTimeMs(h.clock.millis()).build());
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error().getMessage()).contains("got 4294967295");
    }

    @Test
    void aResultsRuntimeIsCreditedAtMostTheJobsTimeoutAndANegativeOneIsRefused() {
        Identity runner = Identity.generate();
        WorkUnit unit = h.claimEvaluation(runner, h.seedCommit);
        Result honest = Fixtures.result(runner, unit, 3.2, h.clock.millis());
        ApiClient.Response negative = h.api.signAndPost("/v1/results", runner, honest.toBuilder().setRuntimeMs(-1).build());
        assertThat(negative.status()).as(negative.text()).isEqualTo(400);
        assertThat(negative.error().getMessage()).contains("runtime_ms");
        for (double gpu : new double[] {Double.NaN, -1, 101, Double.POSITIVE_INFINITY}) {
            ApiClient.Response r = h.api.signAndPost("/v1/results", runner,
                    honest.toBuilder().setGpuMeanUtilizationPercent(gpu).build());
            assertThat(r.status()).as(gpu + ": " + r.text()).isEqualTo(400);
            assertThat(r.error().getMessage()).contains("gpu_mean_utilization_percent");
        }

        // 292 million years of compute, claimed for one job that is killed at its 60 s timeout
        h.api.signAndPost("/v1/results", runner, honest.toBuilder().setRuntimeMs(Long.MAX_VALUE).build()).ack();
        VolunteerList volunteers = h.api.get("/v1/volunteers", VolunteerList.newBuilder()).build();
        assertThat(volunteers.getVolunteersCount()).isEqualTo(1);
        assertThat(volunteers.getVolunteers(0).getValid()).as("the result was judged valid").isEqualTo(1);
        assertThat(volunteers.getVolunteers(0).getCreditSeconds()).isEqualTo(h.manifest.getTimeoutSeconds());
    }
}
