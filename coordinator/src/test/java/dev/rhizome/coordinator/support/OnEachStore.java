package dev.rhizome.coordinator.support;

import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.proto.v1.Manifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A test class whose tests run on a real coordinator once over each store: what a replay, a quota
 * or a race meets differs between SQLite and PostgreSQL. A subclass opens its coordinator with
 * {@link #open}; it is closed after each test. Where no PostgreSQL is named, its runs are skipped
 * ({@link TestPostgres}).
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
public abstract class OnEachStore {
    @Parameter
    protected String store;

    @TempDir
    protected Path dataDir;

    /** The coordinator this test opened, null before {@link #open}. */
    protected Harness h;

    /** A coordinator on this run's store, with this seed's manifest, answering in this format. */
    protected Harness open(Manifest manifest, ApiClient.Format format, CoordinatorLimits limits)
            throws IOException, InterruptedException {
        h = Harness.on(store, dataDir, manifest, format, limits);
        return h;
    }

    /** {@link #open}, its configuration changed by {@code adjust} at every start. */
    protected Harness open(Manifest manifest, ApiClient.Format format, CoordinatorLimits limits,
            UnaryOperator<CoordinatorConfig> adjust) throws IOException, InterruptedException {
        h = Harness.on(store, dataDir, manifest, format, limits, adjust);
        return h;
    }

    @AfterEach
    void closeCoordinator() {
        if (h != null) {
            h.close();
        }
    }
}
