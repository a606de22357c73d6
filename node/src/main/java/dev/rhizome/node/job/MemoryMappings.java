package dev.rhizome.node.job;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Bounds the memory mappings a job holds. Each mapping is a {@code vm_area_struct} (with its
 * anonymous-memory chains, some 200 bytes) of kernel memory that RLIMIT_AS counts only by the
 * page it spans: a process may have {@code vm.max_map_count} of them (65,530 by default), one
 * per page with alternating protections, and a job of thousands of processes held gigabytes
 * of kernel memory under a small RLIMIT_AS. A cgroup's {@code memory.max} counts them, the rlimit
 * fallback does not. The node counts the lines of each job process's {@code /proc/<pid>/maps} once
 * a second and stops the job past {@link #MAX_MAPPINGS}; the look reads no more than that many
 * lines (a few MiB of text at worst), and an ordinary process has a few hundred to a few thousand.
 */
final class MemoryMappings implements TreeRule {
    /**
     * Two processes' worth of {@code vm.max_map_count}: about 30 MiB of kernel memory, for all the
     * node's jobs together ({@link #forJob} gives each its share). A PyTorch process with CUDA
     * has some 10,000.
     */
    static final int MAX_MAPPINGS = 131_072;
    /** A share is never cut below this: a PyTorch process with CUDA and a data loader's worker or so. */
    static final int MIN_SHARE = 16_384;

    private final Path proc;
    private final int maxMappings;

    MemoryMappings(Path proc, int maxMappings) {
        this.proc = proc;
        this.maxMappings = maxMappings;
    }

    /** The rule for one job of a {@link NodeShare}: its share of {@link #MAX_MAPPINGS}. */
    static TreeRule forJob(NodeShare share) {
        return TreeRule.onceASecond(new MemoryMappings(Path.of("/proc"), limitFor(share)));
    }

    static int limitFor(NodeShare share) {
        return share.of(MAX_MAPPINGS, MIN_SHARE);
    }

    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        long mappings = 0;
        for (ProcessHandle p : alive) {
            // Threads share their process's mappings, and a ProcessHandle is a process: each counted once.
            mappings += lines(proc.resolve(Long.toString(p.pid())).resolve("maps"), maxMappings - mappings + 1);
            if (mappings > maxMappings) {
                return Optional.of("it held more than " + maxMappings
                        + " memory mappings, whose kernel memory no limit of its own counts");
            }
        }
        return Optional.empty();
    }

    /**
     * The lines of {@code maps}, read up to {@code enough}; 0 for a process gone. The node may read
     * the maps of every job process, an undumpable one's included: it has the capabilities of the
     * job's user namespace, which its uid made, or is root.
     */
    static long lines(Path maps, long enough) {
        long n = 0;
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(maps)) {
            for (int read = in.read(buffer); read > 0 && n < enough; read = in.read(buffer)) {
                for (int i = 0; i < read; i++) {
                    if (buffer[i] == '\n') {
                        n++;
                    }
                }
            }
        } catch (IOException | RuntimeException gone) {
            // exited since listed
        }
        return n;
    }
}
