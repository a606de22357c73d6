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

    public final MutableClock clock = new MutableClock(1_700_000_000_000L);
    public final Identity operator = Identity.generate();
    public final String seedCommit = Fixtures.commit();
    public final Path dataDir;
    public final Manifest manifest;
    public Coordinator coordinator;
    public ApiClient api;

    public final CoordinatorLimits limits;

    public Harness(Path dataDir, Manifest manifest, ApiClient.Format format) throws IOException, InterruptedException {
        this(dataDir, manifest, format, CoordinatorLimits.defaults());
    }

    public Harness(Path dataDir, Manifest manifest, ApiClient.Format format, CoordinatorLimits limits)
            throws IOException, InterruptedException {
        this.dataDir = dataDir;
        this.manifest = manifest;
        this.limits = limits;
        start(format);
    }

    public CoordinatorConfig config() {
        return CoordinatorConfig.defaults(dataDir)
                .withOperators(Set.of(operator.publicId()))
                .withSelfEvaluateAfter(Duration.ofSeconds(30))
                .withClock(clock)
                .withLimits(limits);
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
    }
}
