package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.PrometheusText;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {
    @TempDir
    Path dataDir;

    private static final Map<String, String> CLAIM_OK = Map.of("route", "/v1/claim", "status", "200");

    @Test
    void metricsAreValidPrometheusTextAndMoveWithTheWork() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF)
                .withSeedAndDirection()) {
            PrometheusText before = scrape(h);
            assertThat(before.type("rhizome_http_requests_seconds")).isEqualTo("histogram");
            assertThat(before.value("rhizome_units", Map.of("state", "open"))).isEqualTo(1);  // the baseline
            assertThat(before.value("rhizome_http_requests_seconds_count", CLAIM_OK)).isZero();

            Identity runner = Identity.generate();
            WorkUnit unit = h.claimEvaluation(runner, h.seedCommit);
            h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 2.0, h.clock.millis())).ack();
            SignedEnvelope forged = h.api.sign(Identity.generate(), ClaimRequest.newBuilder()
                    .setNode(runner.publicId().toByteString()).setTimeMs(h.clock.millis()).build());
            assertThat(h.api.post("/v1/claim", forged).status()).isEqualTo(401);

            PrometheusText after = scrape(h);
            assertThat(after.value("rhizome_http_requests_seconds_count", CLAIM_OK)).isEqualTo(1);
            assertThat(after.value("rhizome_http_requests_seconds_count", Map.of("route", "/v1/claim", "status", "401")))
                    .isEqualTo(1);
            assertThat(after.value("rhizome_leases_granted_total", Map.of("kind", "EVALUATE"))).isEqualTo(1);
            assertThat(after.value("rhizome_results_total", Map.of("status", "OK"))).isEqualTo(1);
            assertThat(after.value("rhizome_refusals_total", Map.of("reason", "BAD_SIGNATURE"))).isEqualTo(1);
            assertThat(after.value("rhizome_signatures_rejected_total", Map.of())).isEqualTo(1);
            assertThat(after.value("rhizome_units", Map.of("state", "open"))).isZero();
            assertThat(after.value("rhizome_units", Map.of("state", "done"))).isEqualTo(1);
            assertThat(after.value("rhizome_store_commit_transactions_count", Map.of())).isPositive();
            assertThat(after.type("rhizome_store_statements_total")).isEqualTo("counter");
            assertThat(after.value("rhizome_store_statements_total", Map.of()))
                    .as("the claim's and the result's statements").isGreaterThan(before.value("rhizome_store_statements_total", Map.of()));
        }
    }

    @Test
    void aRequestIsCountedByTheTimeItsAnswerArrives() throws Exception {
        // the count was taken on the worker after it handed the answer to the event loop: a scrape
        // right after an answer missed it now and then (CI saw a 401 claim uncounted)
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF)
                .withSeedAndDirection()) {
            Identity runner = Identity.generate();
            Map<String, String> refused = Map.of("route", "/v1/claim", "status", "401");
            for (int i = 1; i <= 40; i++) {
                SignedEnvelope forged = h.api.sign(Identity.generate(), ClaimRequest.newBuilder()
                        .setNode(runner.publicId().toByteString()).setTimeMs(h.clock.millis()).build());
                assertThat(h.api.post("/v1/claim", forged).status()).isEqualTo(401);
                assertThat(scrape(h).value("rhizome_http_requests_seconds_count", refused)).as("after answer %d", i)
                        .isEqualTo(i);
            }
        }
    }

    @Test
    void everyMetricSaysWhatItCounts() throws Exception {
        // rhizome_experiments, rhizome_directions and rhizome_papers had an empty HELP line
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF)
                .withSeedAndDirection()) {
            ApiClient.Response r = h.api.get("/metrics");
            assertThat(r.text().lines().filter(l -> l.startsWith("# HELP ")))
                    .isNotEmpty()
                    .allSatisfy(l -> assertThat(l.split(" ", 4)).as(l).hasSize(4)
                            .satisfies(parts -> assertThat(parts[3]).as(l).isNotBlank()));
        }
    }

    @Test
    void theParserRefusesWhatPrometheusWould() {
        assertThatThrownBy(() -> PrometheusText.parse("x_total 1\n")).hasMessageContaining("no TYPE");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x counter\nx{a=\"b} 1\n")).hasMessageContaining("labels");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx one\n")).hasMessageContaining("\"one\"");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                + "h_bucket{le=\"+Inf\"} 1\nh_count 1\n")).hasMessageContaining("fall");
    }

    private static PrometheusText scrape(Harness h) {
        ApiClient.Response r = h.api.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("text/plain");
        return PrometheusText.parse(r.text());
    }
}
