package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.protocol.files.SmallDisk;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's SQLite store on a disk that fills up under load: what it could not make durable
 * is answered 503 naming the full disk (the node keeps such a result and sends it again), never
 * 200; the committer lives on and takes writes again as soon as there is room; and what it
 * acknowledged is all there, in a store that passes SQLite's integrity check.
 */
class FullDiskTest {
    @Test
    void aFullDiskIsAnswered503NamingItAndEveryAcknowledgedWriteSurvives() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(24)) {
            Path dataDir = disk.root().resolve("coordinator");
            List<String> acknowledged = new ArrayList<>();
            try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON)
                    .withSeedAndDirection()) {
                Identity proposer = Identity.generate();
                disk.fill();
                ApiClient.Response refused = null;
                // Commits go on while they fit space the write-ahead log already holds.
                for (int i = 0; i < 3_000 && refused == null; i++) {
                    ApiClient.Response r = propose(h, proposer, acknowledged);
                    if (r.status() != 200) {
                        refused = r;
                    }
                }
                assertThat(refused).as("a write on the full disk").isNotNull();
                assertThat(refused.status()).as(refused.text()).isEqualTo(503);
                assertThat(refused.error().getMessage()).contains("disk").contains("full");
                assertThat(propose(h, proposer, acknowledged).status()).as("still full").isEqualTo(503);

                disk.free();
                for (int i = 0; i < 5; i++) {
                    ApiClient.Response r = propose(h, proposer, acknowledged);
                    assertThat(r.status()).as("room again, no restart: %s", r.text()).isEqualTo(200);
                }

                h.restart(ApiClient.Format.JSON);
                for (String commit : acknowledged) {
                    assertThat(h.api.get("/v1/experiment?commit=" + commit).status()).as(commit).isEqualTo(200);
                }
            }
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(SqliteStore.FILE_NAME));
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("ok");
            }
        }
    }

    private static ApiClient.Response propose(Harness h, Identity proposer, List<String> acknowledged) {
        String commit = Fixtures.commit();
        ApiClient.Response r = h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis()));
        if (r.status() == 200) {
            acknowledged.add(commit);
        }
        return r;
    }
}
