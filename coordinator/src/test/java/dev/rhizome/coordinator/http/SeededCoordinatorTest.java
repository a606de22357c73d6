package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A coordinator on loopback for each test, on SQLite, with one seed and one direction open. */
abstract class SeededCoordinatorTest {
    @TempDir
    Path dataDir;

    Harness h;

    @BeforeEach
    void startCoordinator() throws Exception {
        h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection();
    }

    @AfterEach
    void stopCoordinator() {
        h.close();
    }

    /** One request on a connection of its own, and the answer read whole. */
    RawHttp.Response exchange(String request) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(request).read();
        }
    }
}
