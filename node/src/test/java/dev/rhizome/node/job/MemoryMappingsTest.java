package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's mappings, summed over its processes' maps, on a fake /proc laid out as files, and this JVM's own. */
class MemoryMappingsTest {
    private static final String MAPPING = "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n";

    @TempDir
    Path proc;

    @Test
    void theMappingsOfAllTheJobsProcessesAreSummedAgainstTheBound() throws Exception {
        ProcessHandle shell = ProcessHandle.current().parent().orElseThrow();
        ProcessHandle job = ProcessHandle.current();
        maps(shell.pid(), 30);
        maps(job.pid(), 80);

        assertThat(new MemoryMappings(proc, 100).check(List.of(shell, job)))
                .hasValueSatisfying(why -> assertThat(why).contains("more than 100 memory mappings"));
        assertThat(new MemoryMappings(proc, 110).check(List.of(shell, job))).isEmpty();
        assertThat(new MemoryMappings(proc, 100).check(List.of(job))).as("one process alone").isEmpty();
    }

    @Test
    void aProcessGoneCountsNoneAndTheReadStopsPastWhatIsEnough() throws Exception {
        maps(7, 5000);

        assertThat(MemoryMappings.lines(proc.resolve("1/maps"), 10)).isZero();
        assertThat(MemoryMappings.lines(proc.resolve("7/maps"), 100)).isGreaterThanOrEqualTo(100).isLessThan(5000);
        assertThat(MemoryMappings.lines(proc.resolve("7/maps"), 10_000)).isEqualTo(5000);
    }

    @Test
    void aRealProcessesMapsAreCounted() {
        // A JVM maps its libraries, heap, stacks and code cache: hundreds at least.
        assertThat(MemoryMappings.lines(Path.of("/proc/self/maps"), Long.MAX_VALUE)).isGreaterThan(50);
    }

    private void maps(long pid, int mappings) throws Exception {
        Files.writeString(Files.createDirectories(proc.resolve(Long.toString(pid))).resolve("maps"), MAPPING.repeat(mappings));
    }
}
