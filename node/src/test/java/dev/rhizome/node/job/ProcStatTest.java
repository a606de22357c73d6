package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class ProcStatTest {
    /** A two-CPU machine's, as Linux 6.x writes it (the intr line cut short). */
    private static final String HOST = """
            cpu  8432 12 3301 991200 410 0 95 0 0 0
            cpu0 4200 6 1650 495600 205 0 50 0 0 0
            cpu1 4232 6 1651 495600 205 0 45 0 0 0
            intr 17717144 0 9 0 0 0 0 0 0 0 0 0 0 2705529 0 6301
            ctxt 40210931
            btime 1796470000
            processes 182734
            procs_running 3
            procs_blocked 0
            softirq 9311873 1 3120110 4 7210 270 0 22 2900000 0 3282256
            """;

    @Test
    void theJobsCopyKeepsTheCpusAndBootTimeAndCountsNoEvent() throws IOException {
        assertThat(ProcStat.forJob(new StringReader(HOST))).isEqualTo("""
                cpu  8432 12 3301 991200 410 0 95 0 0 0
                cpu0 4200 6 1650 495600 205 0 50 0 0 0
                cpu1 4232 6 1651 495600 205 0 45 0 0 0
                intr 0
                ctxt 0
                btime 1796470000
                processes 182734
                procs_running 3
                procs_blocked 0
                softirq 0 0 0 0 0 0 0 0 0 0 0
                """);
    }

    @Test
    void aLineItDoesNotKnowIsLeftOut() throws IOException {
        assertThat(ProcStat.forJob(new StringReader(HOST + "gpu_irqs 1 2 3\n"))).doesNotContain("gpu_irqs");
    }

    @Test
    void aStatWithoutCpusIsAnError() {
        assertThatThrownBy(() -> ProcStat.forJob(new StringReader("intr 5 1 2\n"))).isInstanceOf(IOException.class)
                .hasMessageContaining("/proc/stat");
    }

    @Test
    void theMachinesOwnIsRead() throws IOException {
        assertThat(ProcStat.forJob()).startsWith("cpu ").contains("\nintr 0\n");
    }
}
