package dev.rhizome.coordinator.support;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;

import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleBiFunction;

/**
 * A proposer and four runners on a {@link Harness}'s direction, every runner reporting what a
 * commit truly measures at a unit's random seed: the adoption tests' network, where only the
 * truths the test gives each commit decide what is adopted.
 */
public final class HonestRunners {
    private final Harness h;
    private final Identity proposer = Identity.generate();
    private final List<Identity> runners = List.of(Identity.generate(), Identity.generate(), Identity.generate(),
            Identity.generate());
    /** What an honest run of a commit measures at a random seed. */
    private final Map<String, ToDoubleBiFunction<String, Long>> truth = new HashMap<>();

    public HonestRunners(Harness h) {
        this.h = h;
    }

    public List<Identity> runners() {
        return runners;
    }

    /** What {@code commit} measures at each seed, for a commit not proposed here (the seed's). */
    public void measures(String commit, ToDoubleBiFunction<String, Long> metric) {
        truth.put(commit, metric);
    }

    /** A new commit measuring {@code metric}, proposed on the frontier; its id. */
    public String propose(ToDoubleBiFunction<String, Long> metric) {
        String commit = Fixtures.commit();
        truth.put(commit, metric);
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, frontier(), h.clock.millis())).ack();
        return commit;
    }

    public double honestly(WorkUnit unit) {
        return truth.get(unit.getCommit()).applyAsDouble(unit.getCommit(), unit.getRandomSeed());
    }

    /** Each runner in turn claims one unit and reports its honest metric, until no one gets work. */
    public void runUntilIdle() {
        List<Map.Entry<Identity, WorkUnit>> held = runUntilIdleHolding(unit -> false);
        if (!held.isEmpty()) {
            throw new AssertionError("units held: " + held);
        }
    }

    /**
     * The same, except that the units {@code hold} picks stay leased and unreported (a runner still
     * at work on them): those units with their runners.
     */
    public List<Map.Entry<Identity, WorkUnit>> runUntilIdleHolding(Predicate<WorkUnit> hold) {
        List<Map.Entry<Identity, WorkUnit>> held = new ArrayList<>();
        for (int round = 0; round < 200; round++) {
            boolean worked = false;
            for (Identity runner : runners) {
                WorkUnit unit = h.api.claim(runner);
                if (unit == null) {
                    continue;
                }
                worked = true;
                if (hold.test(unit)) {
                    held.add(Map.entry(runner, unit));
                } else {
                    report(runner, unit);
                }
            }
            if (!worked) {
                return held;
            }
        }
        throw new AssertionError("work never ran out");
    }

    /** {@code runner}'s honest result for {@code unit}, posted and acknowledged. */
    public void report(Identity runner, WorkUnit unit) {
        h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, honestly(unit), h.clock.millis())).ack();
    }

    public String frontier() {
        return h.api.get("/v1/directions", DirectionList.newBuilder()).getDirections(0).getFrontierCommit();
    }
}
