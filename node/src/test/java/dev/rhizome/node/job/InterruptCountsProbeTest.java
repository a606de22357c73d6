package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that samples the machine's interrupt counts ({@code /proc/interrupts}, {@code /proc/softirqs})
 * in a loop learns when the volunteer presses a key (the keyboard's line, or its USB controller's,
 * counts each one): keystroke intervals are a known way to guess what was typed. In the real sandbox
 * neither can be read ({@link BwrapCommand#INTERRUPT_COUNTS}), where the host's hold its lines and change.
 */
class InterruptCountsProbeTest {
    private static final String PROBE = """
            import time
            for name in ('/proc/interrupts', '/proc/softirqs'):
                try:
                    first = open(name).read()
                    time.sleep(0.05)
                    again = open(name).read()
                    print('READ', name, len(first), 'CHANGED' if first != again else 'SAME')
                except OSError as e:
                    print('REFUSED', name, e.errno)
            print('STAT', len(open('/proc/stat').read()) > 0)
            """;

    @TempDir
    Path tmp;

    @Test
    void aJobReadsNoInterruptCountsOfTheMachine() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/interrupts")) && !Files.readString(Path.of("/proc/interrupts")).isEmpty(),
                "the host has interrupt counts to read");
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp)) {
            JobOutcome outcome = jobs.runPython(PROBE, Map.of());
            String log = jobs.log();
            assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
            // Refused (a device bound in is no device there) or empty: no count either way.
            for (String name : List.of("/proc/interrupts", "/proc/softirqs")) {
                assertThat(log).as(log).containsAnyOf("REFUSED " + name + " 13", "READ " + name + " 0 SAME");
            }
            // The CPUs' times stay: programs size their pools and report load from them.
            assertThat(log).as(log).contains("STAT True");
        }
    }
}
