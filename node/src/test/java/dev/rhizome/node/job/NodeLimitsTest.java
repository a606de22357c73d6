package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The node's own limits, from {@code /proc/self/limits}, and the job's tasks sized from them. */
class NodeLimitsTest {
    private static final String LIMITS = """
            Limit                     Soft Limit           Hard Limit           Units     
            Max cpu time              unlimited            unlimited            seconds   
            Max processes             63204                63204                processes 
            Max open files            1024                 524288               files     
            Max locked memory         8388608              8388608              bytes     
            Max pending signals       20000                63204                signals   
            Max msgqueue size         819200               819200               bytes     
            """;

    @Test
    void theSoftLimitsAreRead() {
        NodeLimits node = NodeLimits.parse(LIMITS);

        assertThat(node.processes()).isEqualTo(OptionalLong.of(63204));
        assertThat(node.pendingSignals()).as("the soft limit, which the kernel checks").isEqualTo(OptionalLong.of(20000));
    }

    @Test
    void unlimitedMissingOrMalformedLimitsReadAsUnlimited() {
        NodeLimits node = NodeLimits.parse("Max processes             unlimited            unlimited            processes\n"
                + "Max pending signals       lots\n");

        assertThat(node).isEqualTo(NodeLimits.UNLIMITED);
        assertThat(NodeLimits.parse("")).isEqualTo(NodeLimits.UNLIMITED);
    }

    @Test
    void theNodesOwnLimitsAreThoseItsChildrenInherit() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "util-linux's prlimit reads the child's limits");
        Process shell = new ProcessBuilder("/bin/sh", "-c",
                "prlimit --nproc -o SOFT --noheadings && prlimit --sigpending -o SOFT --noheadings").start();
        String[] lines = new String(shell.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip().split("\n");
        assertThat(shell.waitFor()).isZero();

        NodeLimits own = NodeLimits.own();
        assertThat(own.processes()).isEqualTo(limit(lines[0]));
        assertThat(own.pendingSignals()).isEqualTo(limit(lines[1]));
    }

    @Test
    void aJobGetsAtMostHalfTheNodesTasksAndFewEnoughToHoldItsSignalsWithinHalfTheirLimit() {
        assertThat(SandboxLimits.tasksFor(NodeLimits.UNLIMITED)).isEqualTo(SandboxLimits.DEFAULT_PROCESSES);
        // A large machine's limits leave the default.
        assertThat(SandboxLimits.tasksFor(new NodeLimits(OptionalLong.of(4_000_000), OptionalLong.of(4_000_000))))
                .isEqualTo(SandboxLimits.DEFAULT_PROCESSES);
        // The development machine's: 96,362 of each.
        assertThat(SandboxLimits.tasksFor(new NodeLimits(OptionalLong.of(96_362), OptionalLong.of(96_362))))
                .isEqualTo((int) PendingSignals.tasksWithin(96_362));
        // A server's RLIMIT_NPROC of 1,000, and a tiny machine's signals: never under the floor.
        assertThat(SandboxLimits.tasksFor(new NodeLimits(OptionalLong.of(1_000), OptionalLong.empty()))).isEqualTo(500);
        assertThat(SandboxLimits.tasksFor(new NodeLimits(OptionalLong.of(10), OptionalLong.of(1_000))))
                .isEqualTo(SandboxLimits.MIN_PROCESSES);
        assertThat(SandboxLimits.forMachine(16L << 30, new NodeLimits(OptionalLong.of(1_000), OptionalLong.empty())).processes())
                .isEqualTo(500);
    }

    private static OptionalLong limit(String ulimit) {
        return ulimit.strip().equals("unlimited") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(ulimit.strip()));
    }
}
