package dev.rhizome.ops.seed;

import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.proto.v1.Manifest;
import java.time.Duration;

/**
 * The time budget of a test's run of a seed: the seed's own timeout on a machine with a core to
 * spare, so a seed that outgrows it fails there, and as many times more as the load per core
 * (the rule of {@link FloorBudget}) up to 10 minutes. That is the share of a loaded machine a
 * process at the test's own priority gets ({@code PlainLauncher.atCallersPriority}, and in the
 * sandbox {@code BwrapLauncher.atCallersPriority}), which is how the tests run seeds; a job at nice
 * 19 in the idle I/O class (a node's) gets far less of one busy with builds: the tiny-lm seed's
 * harnessed run timed out in its prepare step at load 34 on 2 cores when the sandbox's test ran it so.
 */
final class SeedRunBudget {
    private static final Duration CEILING = Duration.ofMinutes(10);

    private SeedRunBudget() {
    }

    static Duration of(Manifest manifest) {
        Duration own = Duration.ofSeconds(manifest.getTimeoutSeconds());
        return new LoadScaledBudget(own, own.compareTo(CEILING) > 0 ? own : CEILING).now();
    }
}
