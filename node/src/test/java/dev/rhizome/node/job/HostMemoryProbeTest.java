package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that reads every entry of {@code /proc/sys} it can, in the real sandbox, learns the size of the
 * machine's memory from none: the kernel sizes some of its limits by it at boot ({@code threads-max},
 * {@code epoll/max_user_watches}, the network's hash tables), and each reads as on a machine of the job's own
 * memory ({@link ProcViews#SIZED_BY_MEMORY}). The test looks from outside for the host's own values in
 * everything the job read.
 */
class HostMemoryProbeTest {
    private static final String PROBE = """
            import os
            out = open('sys.txt', 'w')
            for root, dirs, files in os.walk('/proc/sys'):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    try:
                        with open(path, 'rb') as f:
                            value = f.read(4096).decode('latin-1').replace('\\n', ' ').strip()
                    except OSError:
                        continue
                    out.write(path + '=' + value + '\\n')
            out.close()
            print('READ', sum(1 for _ in open('sys.txt')))
            """;

    @TempDir
    Path tmp;

    @Test
    void noEntryOfProcSysTellsTheMachinesMemory() throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp)) {
                        String log = jobs.runOk(PROBE);
            Map<String, String> read = new LinkedHashMap<>();
            for (String line : Files.readAllLines(jobs.checkout.resolve("sys.txt"), StandardCharsets.ISO_8859_1)) {
                int eq = line.indexOf('=');
                read.put(line.substring(0, eq), line.substring(eq + 1));
            }
            assertThat(read).as("the job read /proc/sys").containsKey("/proc/sys/kernel/ostype");
            Map<String, String> views = ProcViews.forJob(jobs.sandbox.plan().limits().memoryBytes(), false);
            // Each limit sized by memory that this kernel has reads as the job's copy says.
            for (ProcViews.SizedByMemory sized : ProcViews.SIZED_BY_MEMORY) {
                if (Files.isReadable(Path.of(sized.path()))) {
                    assertThat(read.get(sized.path())).as(sized.path())
                            .isEqualTo(Optional.ofNullable(views.get(sized.path())).map(String::strip).orElse("(no copy)"));
                }
            }
            // Nowhere the host's own: its memory in KiB, or a value of one of those limits (but for the round
            // numbers a default shares, powers of two and small ones, which a job's copy may also read).
            Set<String> hosts = new HashSet<>();
            hosts.add(Long.toString(ProcViews.jobMemoryKb(Files.readString(Path.of(ProcViews.MEMINFO)), Long.MAX_VALUE)));
            for (ProcViews.SizedByMemory sized : ProcViews.SIZED_BY_MEMORY) {
                hostValue(sized.path()).filter(v -> v > 65_536 && Long.bitCount(v) > 1)
                        .ifPresent(v -> hosts.add(Long.toString(v)));
            }
            read.forEach((path, value) -> {
                for (String token : value.split("[\\s:=,-]+")) {
                    assertThat(hosts).as(path + "=" + value).doesNotContain(token);
                }
            });
        }
    }

    /**
     * The {@code sysinfo} call still answers in a job, though it tells the machine's memory (Known gaps): refused,
     * it broke what programs count by (round 31, glibc 2.36, a filter answering ENOSYS, EPERM or 0): glibc's
     * {@code sysconf(_SC_PHYS_PAGES)} ignores the call's failure and reads its answer's memory unset, so
     * Python's {@code os.sysconf('SC_PHYS_PAGES')} said -5,199,785,085,526,011,328 pages, and
     * {@code os.getloadavg()} (glibc asks {@code sysinfo} for it) raised "Load averages are unobtainable".
     * The job's count of memory must be a count, and its load average readable.
     */
    @Test
    void glibcsCountOfMemoryAndTheLoadAverageStaySoundInAJob() throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp)) {
            String log = jobs.runOk("""
                    import os
                    print('PAGES', os.sysconf('SC_PHYS_PAGES'), os.sysconf('SC_AVPHYS_PAGES'))
                    print('LOAD', len(os.getloadavg()))
                    """);
            String[] pages = log.lines().filter(l -> l.startsWith("PAGES ")).findFirst().orElseThrow().split(" ");
            long physical = Long.parseLong(pages[1]);
            long available = Long.parseLong(pages[2]);
            assertThat(physical).as(log).isPositive();
            assertThat(available).as(log).isPositive().isLessThanOrEqualTo(physical);
            assertThat(log).contains("LOAD 3");
        }
    }

    private static Optional<Long> hostValue(String path) {
        try {
            return Optional.of(Math.abs(Long.parseLong(Files.readString(Path.of(path)).strip())));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
