package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that samples the machine's interrupt counts in a loop learns when the volunteer presses a key
 * (the keyboard's line, or its USB controller's, counts each one): keystroke intervals are a known way
 * to guess what was typed. They are in {@code /proc/interrupts} and {@code /proc/softirqs}, which cannot
 * be read in the real sandbox ({@link BwrapCommand#INTERRUPT_COUNTS}), and in {@code /proc/stat}'s
 * {@code intr} line, each line's count after the total, which the job's copy ({@link ProcViews}) has not;
 * nor can the machine's pressure stall counts be read ({@link BwrapCommand#PRESSURE}), a microsecond
 * clock of the whole machine's load.
 */
class InterruptCountsProbeTest {
    private static final String PROBE = """
            import os, time
            for name in ('/proc/interrupts', '/proc/softirqs', '/proc/pressure/cpu', '/proc/pressure/io',
                         '/proc/pressure/memory', '/proc/pressure/irq'):
                try:
                    first = open(name).read()
                    time.sleep(0.05)
                    again = open(name).read()
                    print('READ', name, len(first), 'CHANGED' if first != again else 'SAME')
                except OSError as e:
                    print('REFUSED', name, e.errno)
            first = open('/proc/stat').read()
            time.sleep(0.05)
            again = open('/proc/stat').read()
            lines = dict(l.split(' ', 1) for l in first.splitlines())
            print('STAT', 'CHANGED' if first != again else 'SAME')
            print('STAT intr=%s ctxt=%s softirq=%s' % (lines['intr'].split(), lines['ctxt'], lines['softirq'].split()[0]))
            print('STAT cpus=%d' % sum(1 for l in first.splitlines() if l.startswith('cpu') and l[3].isdigit()))
            print('STAT btime=%s' % lines.get('btime'))
            print('CPU_COUNT', os.cpu_count())
            """;

    @TempDir
    Path tmp;

    @Test
    void aJobReadsNoInterruptCountsOfTheMachine() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/interrupts")) && !Files.readString(Path.of("/proc/interrupts")).isEmpty(),
                "the host has interrupt counts to read");
        List<String> hostStat = Files.readAllLines(Path.of("/proc/stat"));
        // The host's lists each line's count after the total: what the job must not read.
        assertThat(hostStat.stream().filter(l -> l.startsWith("intr ")).findFirst().orElseThrow().split(" ").length)
                .isGreaterThan(2);
        long hostCpus = hostStat.stream().filter(l -> l.matches("cpu[0-9]+ .*")).count();
        String btime = hostStat.stream().filter(l -> l.startsWith("btime ")).findFirst().orElseThrow().substring(6);
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp)) {
                        String log = jobs.runOk(PROBE);
            // Refused (a device bound in is no device there) or empty: no count either way.
            for (String name : List.of("/proc/interrupts", "/proc/softirqs")) {
                assertThat(log).as(log).containsAnyOf("REFUSED " + name + " 13", "READ " + name + " 0 SAME");
            }
            for (String name : BwrapCommand.PRESSURE) {
                assertThat(log).as(log).containsAnyOf("REFUSED " + name + " 13", "REFUSED " + name + " 2");
            }
            // /proc/stat: no line's count, no total, nothing that moves between two reads.
            assertThat(log).as(log).contains("STAT intr=['0'] ctxt=0 softirq=0", "STAT SAME");
            // What programs read there stays: a line per CPU (glibc's count, sysfs being absent), the boot time.
            assertThat(log).as(log).contains("STAT cpus=" + hostCpus, "CPU_COUNT " + hostCpus, "STAT btime=" + btime);
        }
    }
}
