package dev.rhizome.node.job;

import java.time.Duration;

/**
 * The time budgets of the tests' jobs. A node's job runs at nice 19 and idle I/O, behind everything
 * else on the machine: on a 2-core machine at load 26, a shell job's 30 s and a {@code java Job.java}'s
 * 60 and 120 s ran out, and the OK or CRASH the test looked for read TIMEOUT. So the sandbox's tests
 * run their jobs at the test's own priority ({@link BwrapLauncher#atCallersPriority},
 * {@link PlainLauncher#atCallersPriority}) but for the cases about the priority itself. A quiet
 * machine ends these jobs in seconds, so a budget that is only a bound on a hang costs nothing there.
 */
final class JobBudgets {
    /** A job that ends by itself, or by a limit under test, never by this budget. */
    static final Duration ENDS_BY_ITSELF = Duration.ofSeconds(300);
    /** The same for a job that imports PyTorch, which took most of 300 s there by itself. */
    static final Duration ENDS_BY_ITSELF_WITH_TORCH = Duration.ofSeconds(600);

    private JobBudgets() {
    }
}
