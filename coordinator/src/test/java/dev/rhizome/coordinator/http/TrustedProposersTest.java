package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A seed that names its trusted proposers gets experiments from them only. */
class TrustedProposersTest {
    @TempDir
    Path dataDir;

    @Test
    void experimentsFromProposersTheSeedDoesNotTrustAreRefused() throws Exception {
        Identity trusted = Identity.generate();
        Identity stranger = Identity.generate();
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01).toBuilder()
                .addTrustedProposers(trusted.publicId().toString()).build(), ApiClient.Format.JSON)
                .withSeedAndDirection()) {
            ApiClient.Response refused = h.api.signAndPost("/v1/experiments", stranger,
                    Fixtures.experiment(stranger, SEED, DIRECTION, Fixtures.commit(), h.seedCommit, h.clock.millis()));
            assertThat(refused.status()).isEqualTo(403);
            assertThat(refused.error().getCode()).isEqualTo(Error.Code.FORBIDDEN);
            assertThat(refused.error().getMessage()).contains("does not trust proposer " + stranger.publicId());

            h.api.signAndPost("/v1/experiments", trusted,
                    Fixtures.experiment(trusted, SEED, DIRECTION, Fixtures.commit(), h.seedCommit, h.clock.millis())).ack();
            assertThat(h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build().getExperiments()).isEqualTo(1);
        }
    }
}
