package dev.rhizome.coordinator.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A real coordinator on loopback with a hand-moved clock, an operator, one published seed and
 * one open direction: the state most HTTP tests start from.
 */
public final class Harness implements AutoCloseable {
    public static final String SEED = "tiny-lm";
    public static final String DIRECTION = "lr-sweep";
    /** The stores {@link #on} starts a coordinator on, for a {@code @ValueSource} of a parameterized class. */
    public static final String SQLITE = "sqlite";
    public static final String POSTGRESQL = "postgresql";

    public final MutableClock clock = new MutableClock(1_700_000_000_000L);
    public final Identity operator = Identity.generate();
    public final String seedCommit = Fixtures.commit();
    public final Path dataDir;
    public final Manifest manifest;
    public Coordinator coordinator;
    public ApiClient api;

    public final CoordinatorLimits limits;
    /** The store of {@link #on}: a schema of its own on PostgreSQL, dropped at close; null for SQLite. */
    private final TestPostgres postgres;
    /** What {@link #config()} changes in the defaults, at every start (trusted proxies, say). */
    private final UnaryOperator<CoordinatorConfig> adjust;

    public Harness(Path dataDir, Manifest manifest, ApiClient.Format format) throws IOException, InterruptedException {
        this(dataDir, manifest, format, CoordinatorLimits.defaults());
    }

    public Harness(Path dataDir, Manifest manifest, ApiClient.Format format, CoordinatorLimits limits)
            throws IOException, InterruptedException {
        this(dataDir, manifest, format, limits, null, UnaryOperator.identity());
    }

    private Harness(Path dataDir, Manifest manifest, ApiClient.Format format, CoordinatorLimits limits,
            TestPostgres postgres, UnaryOperator<CoordinatorConfig> adjust) throws IOException, InterruptedException {
        this.dataDir = dataDir;
        this.manifest = manifest;
        this.limits = limits;
        this.postgres = postgres;
        this.adjust = adjust;
        try {
            start(format);
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();  // the schema is dropped even when no coordinator started on it
            throw e;
        }
    }

    /**
     * A harness on the store a test class runs on (a {@code @ParameterizedClass} over
     * {@link #SQLITE} and {@link #POSTGRESQL}): "sqlite", its files under {@code dataDir}, or "postgresql", a schema of
     * {@code RHIZOME_TEST_PG}'s (the test is skipped when none is named, as every PostgreSQL test is).
     */
    public static Harness on(String store, Path dataDir, Manifest manifest, ApiClient.Format format,
            CoordinatorLimits limits) throws IOException, InterruptedException {
        return on(store, dataDir, manifest, format, limits, UnaryOperator.identity());
    }

    /** {@link #on}, its configuration changed by {@code adjust} at every start. */
    public static Harness on(String store, Path dataDir, Manifest manifest, ApiClient.Format format,
            CoordinatorLimits limits, UnaryOperator<CoordinatorConfig> adjust) throws IOException, InterruptedException {
        return switch (store) {
            case SQLITE -> new Harness(dataDir, manifest, format, limits, null, adjust);
            case POSTGRESQL -> new Harness(dataDir, manifest, format, limits, TestPostgres.create(), adjust);
            default -> throw new IllegalArgumentException("no store " + store);
        };
    }

    public CoordinatorConfig config() {
        CoordinatorConfig config = CoordinatorConfig.defaults(dataDir)
                .withOperators(Set.of(operator.publicId()))
                .withSelfEvaluateAfter(Duration.ofSeconds(30))
                .withClock(clock)
                .withLimits(limits);
        return adjust.apply(postgres == null ? config : config.withStore(postgres.address(4)));
    }

    public void start(ApiClient.Format format) throws IOException, InterruptedException {
        start(config(), format);
    }

    private void start(CoordinatorConfig config, ApiClient.Format format) throws IOException, InterruptedException {
        coordinator = Coordinator.start(config);
        api = new ApiClient(coordinator.url(), format, clock);
    }

    public void restart(ApiClient.Format format) throws IOException, InterruptedException {
        restart(format, UnaryOperator.identity());
    }

    /** Restarts on the same data with {@link #config()} changed by {@code adjust}. */
    public void restart(ApiClient.Format format, UnaryOperator<CoordinatorConfig> adjust)
            throws IOException, InterruptedException {
        coordinator.close();
        start(adjust.apply(config()), format);
    }

    /** Publishes the seed and opens the direction at the seed's commit. */
    public Harness withSeedAndDirection() {
        api.signAndPost("/v1/seeds", operator, Fixtures.seed(operator, SEED, seedCommit, manifest, clock.millis())).ack();
        api.signAndPost("/v1/directions", operator,
                Fixtures.direction(operator, DIRECTION, SEED, seedCommit, clock.millis())).ack();
        return this;
    }

    /** Every unit, or those in a state, following the pages of /v1/units to the last. */
    public UnitList units(String state) {
        UnitList.Builder all = UnitList.newBuilder();
        String after = "";
        do {
            UnitList page = api.get("/v1/units?limit=1000" + (state.isEmpty() ? "" : "&state=" + state)
                    + (after.isEmpty() ? "" : "&after=" + after), UnitList.newBuilder()).build();
            all.addAllUnits(page.getUnitsList());
            after = page.getNext();
        } while (!after.isEmpty());
        return all.build();
    }

    public UnitStatus unit(String id) {
        return units("").getUnitsList().stream().filter(u -> u.getUnit().getId().equals(id)).findFirst().orElseThrow();
    }

    /** Claims and asserts that the node got an evaluation of {@code commit}. */
    public WorkUnit claimEvaluation(Identity node, String commit) {
        WorkUnit unit = api.claim(node);
        assertThat(unit).as("a unit for %s", node.publicId().shortForm()).isNotNull();
        assertThat(unit.getKind()).isEqualTo(WorkUnit.Kind.EVALUATE);
        assertThat(unit.getCommit()).isEqualTo(commit);
        return unit;
    }

    @Override
    public void close() {
        if (coordinator != null) {
            coordinator.close();
        }
        if (postgres != null) {
            try {
                postgres.close();  // after the coordinator, whose connections would hold the schema
            } catch (Exception e) {
                throw new IllegalStateException("could not drop the test's schema " + postgres.schema, e);
            }
        }
    }
}
