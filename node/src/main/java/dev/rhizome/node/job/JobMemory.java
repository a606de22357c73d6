package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Bounds the memory of a job's whole tree where no cgroup does. RLIMIT_AS bounds each process's
 * address space, not their sum, so a job of many processes, each within it, took the machine's
 * memory (four of 200 MiB each under a limit of 256 MiB, and a job's tasks may be thousands). The
 * node sums each job process's proportional set size ({@code Pss} of {@code /proc/<pid>/smaps_rollup}:
 * a page shared by several processes, a forked data loader's copy-on-write memory or a library, is
 * split among them, so it counts once in all) once a second and stops the job past its limit.
 * Between two looks a job can still take what it allocates in a second. The node reads an
 * undumpable process's file too: it has the capabilities of the job's user namespace, which its
 * uid made, or is root.
 */
final class JobMemory implements TreeRule {
    private final Path proc;
    private final long maxBytes;

    JobMemory(Path proc, long maxBytes) {
        this.proc = proc;
        this.maxBytes = maxBytes;
    }

    /** The rule for a job whose memory limit is {@code limits}' and that no cgroup bounds. */
    static TreeRule forJob(SandboxLimits limits) {
        return TreeRule.onceASecond(new JobMemory(Path.of("/proc"), limits.memoryBytes()));
    }

    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        long bytes = 0;
        for (ProcessHandle p : alive) {
            bytes += pss(proc.resolve(Long.toString(p.pid())).resolve("smaps_rollup"));
            if (bytes > maxBytes) {
                return Optional.of("its processes used more than " + (maxBytes >> 20) + " MiB of memory together ("
                        + (bytes >> 20) + " MiB)");
            }
        }
        return Optional.empty();
    }

    /** The {@code Pss} of one process, in bytes; 0 for one gone or a file without it. */
    static long pss(Path smapsRollup) {
        String text;
        try {
            text = Files.readString(smapsRollup, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
        for (String line : text.split("\n")) {
            if (line.startsWith("Pss:")) {
                String[] parts = line.substring(4).strip().split("\\s+");
                try {
                    return Long.parseLong(parts[0]) * 1024;
                } catch (RuntimeException malformed) {
                    return 0;
                }
            }
        }
        return 0;
    }
}
