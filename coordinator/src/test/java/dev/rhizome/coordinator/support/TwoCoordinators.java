package dev.rhizome.coordinator.support;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Two coordinators serving one fresh PostgreSQL schema, each with its own data directory and
 * connection pool, and a protobuf client of each: a network run by several coordinators. Closes
 * both coordinators, then drops the schema. Where no PostgreSQL is named, {@link #start} skips the
 * test ({@link TestPostgres}).
 */
public final class TwoCoordinators implements AutoCloseable {
    public final Identity operator;
    public final TestPostgres pg;
    public final Coordinator a;
    public final Coordinator b;
    public final ApiClient apiA;
    public final ApiClient apiB;

    private TwoCoordinators(TestPostgres pg, Coordinator a, Coordinator b, Identity operator) {
        this.operator = operator;
        this.pg = pg;
        this.a = a;
        this.b = b;
        apiA = new ApiClient(a.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC());
        apiB = new ApiClient(b.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC());
    }

    /** Both with the defaults, on a pool of four connections each, {@link #operator} their operator. */
    public static TwoCoordinators start(Path dir) throws Exception {
        return start(dir, UnaryOperator.identity());
    }

    /** As {@link #start(Path)}, each coordinator's configuration then changed by {@code configure}. */
    public static TwoCoordinators start(Path dir, UnaryOperator<CoordinatorConfig> configure) throws Exception {
        TestPostgres pg = TestPostgres.create();
        Coordinator a = null;
        try {
            Identity operator = Identity.generate();
            a = Coordinator.start(configure.apply(config(dir.resolve("a"), pg, operator)));
            Coordinator b = Coordinator.start(configure.apply(config(dir.resolve("b"), pg, operator)));
            return new TwoCoordinators(pg, a, b, operator);
        } catch (Exception e) {
            if (a != null) {
                a.close();
            }
            pg.close();
            throw e;
        }
    }

    /** The seed "tiny-lm" (quorum 1) and direction "d" posted through both, with {@code experiments} registered. */
    public SeededOverApi seed(int experiments) {
        return SeededOverApi.post(List.of(apiA, apiB), operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01),
                List.of("d"), experiments);
    }

    private static CoordinatorConfig config(Path dataDir, TestPostgres pg, Identity operator) {
        return CoordinatorConfig.defaults(dataDir).withStore(pg.address(4)).withOperators(Set.of(operator.publicId()));
    }

    @Override
    public void close() throws Exception {
        try (pg; a; b) {
            // closed in reverse: b, a, then the schema
        }
    }
}
