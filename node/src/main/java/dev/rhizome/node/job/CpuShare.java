package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CPUs one slot's jobs run on: its own share of those the node may use. Without it a CPU job's only bound was
 * its priority, and one job ran a thread on every core the node had, its slot's neighbours' with them; now each
 * slot's jobs are started on their share ({@link BwrapLauncher#pinnedTo}), inherit it in every process, and cannot
 * widen it (the filter answers {@code sched_setaffinity} done), so two slots never contend for a core and a job
 * cannot take another's. A GPU slot's share is {@link #GPU_SLOT_WEIGHT} times a CPU slot's: its job's data loading
 * runs there, and a GPU waiting for its next batch idles the costliest part of the machine. The division is made
 * anew at each launch ({@link SlotCpus}), of the CPUs online then.
 *
 * @param cpus the CPUs' numbers, ascending, at least one
 */
public record CpuShare(List<Integer> cpus) {
    /** util-linux's {@code taskset}, which starts a command with an affinity: Java cannot set a child's. */
    static final Optional<Path> TASKSET = SandboxProbe.onPath("taskset");
    /**
     * How many CPU slots' worth of CPUs one GPU slot gets: PyTorch's {@code DataLoader} recipes run four workers
     * per GPU (beside the process that feeds it), and with one core a GPU waits on every batch it is not handed.
     */
    public static final int GPU_SLOT_WEIGHT = 4;
    /** The CPUs the kernel has online, as it lists them; one taken offline is in no task's reach. */
    static final Path ONLINE = Path.of("/sys/devices/system/cpu/online");
    private static final Pattern ALLOWED = Pattern.compile("(?m)^Cpus_allowed_list:\\s*(\\S+)\\s*$");

    public CpuShare {
        cpus = List.copyOf(new TreeSet<>(cpus));
        if (cpus.isEmpty() || cpus.get(0) < 0) {
            throw new IllegalArgumentException("a share of CPUs names at least one CPU, none negative: " + cpus);
        }
    }

    /**
     * The CPUs this process may use (a volunteer's {@code taskset}, systemd's {@code CPUAffinity=}, a container's
     * cpuset), as the kernel lists them in {@code /proc/self/status}; empty where it cannot be read.
     */
    public static Optional<CpuShare> ofThisProcess() {
        try {
            Matcher m = ALLOWED.matcher(Files.readString(Path.of("/proc/self/status")));
            return m.find() ? Optional.of(parse(m.group(1))) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The CPUs online now ({@link #ONLINE}); empty where it cannot be read. */
    public static Optional<CpuShare> online() {
        try {
            return Optional.of(parse(Files.readString(ONLINE)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The CPUs both this share and {@code other} name; empty where none is in both. */
    public Optional<CpuShare> intersect(CpuShare other) {
        List<Integer> both = new ArrayList<>(cpus);
        both.retainAll(other.cpus);
        return both.isEmpty() ? Optional.empty() : Optional.of(new CpuShare(both));
    }

    /** A CPU list as the kernel and {@code taskset -c} write it: {@code 0-3,6,8-9}. */
    public static CpuShare parse(String list) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : list.strip().split(",")) {
            int dash = part.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
            int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
            if (to < from || to - from > 1 << 16) {
                throw new IllegalArgumentException("not a CPU range: " + part);
            }
            for (int cpu = from; cpu <= to; cpu++) {
                cpus.add(cpu);
            }
        }
        return new CpuShare(cpus);
    }

    /**
     * {@code slots} shares of these CPUs, one a slot, in order: contiguous runs whose sizes differ by one at most
     * (neighbouring numbers are most often one core's threads or one cache's cores). With more slots than CPUs each
     * slot gets one CPU, taken in turn, so that slots share a core only where the volunteer allowed more jobs than
     * there are cores.
     */
    public List<CpuShare> divide(int slots) {
        if (slots < 1) {
            throw new IllegalArgumentException("CPUs are divided among at least one slot, not " + slots);
        }
        return divide(Collections.nCopies(slots, 1));
    }

    /**
     * Shares of these CPUs, one a slot, in order, each slot's size in proportion to its weight (a GPU slot's
     * {@link #GPU_SLOT_WEIGHT}, a CPU slot's 1) as far as every slot keeps one CPU at least: contiguous runs ending
     * where the slots' summed weights fall. With equal weights this is {@link #divide(int)}; with more slots than
     * CPUs each slot gets one CPU, taken in turn, its weight notwithstanding.
     */
    public List<CpuShare> divide(List<Integer> weights) {
        int slots = weights.size();
        if (slots < 1 || weights.stream().anyMatch(w -> w == null || w < 1)) {
            throw new IllegalArgumentException("CPUs are divided among at least one slot, each of weight 1 or more, not "
                    + weights);
        }
        int n = cpus.size();
        List<CpuShare> shares = new ArrayList<>();
        if (slots >= n) {
            for (int i = 0; i < slots; i++) {
                shares.add(new CpuShare(List.of(cpus.get(i % n))));
            }
            return List.copyOf(shares);
        }
        long total = weights.stream().mapToLong(Integer::longValue).sum();
        int[] ends = new int[slots];
        long summed = 0;
        for (int i = 0; i < slots; i++) {
            summed += weights.get(i);
            // where the weights so far fall, but past the previous slot's end (each slot one CPU at least)...
            ends[i] = (int) Math.max(summed * n / total, i == 0 ? 1 : ends[i - 1] + 1);
        }
        for (int i = slots - 1; i >= 0; i--) {
            // ...and short of the CPUs the slots after it need, one each
            ends[i] = Math.min(ends[i], n - (slots - 1 - i));
        }
        for (int i = 0; i < slots; i++) {
            shares.add(new CpuShare(cpus.subList(i == 0 ? 0 : ends[i - 1], ends[i])));
        }
        return List.copyOf(shares);
    }

    /** The list as the kernel writes it ({@code 0-3,6}): what {@code rhizome node status} shows. */
    public String list() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < cpus.size(); i++) {
            int from = cpus.get(i);
            while (i + 1 < cpus.size() && cpus.get(i + 1) == cpus.get(i) + 1) {
                i++;
            }
            out.append(out.isEmpty() ? "" : ",").append(from);
            if (cpus.get(i) != from) {
                out.append('-').append(cpus.get(i));
            }
        }
        return out.toString();
    }

    /** {@code argv} started through {@code taskset} on these CPUs. */
    List<String> pinning(Path taskset, List<String> argv) {
        List<String> pinned = new ArrayList<>(List.of(taskset.toString(), "-c", list()));
        pinned.addAll(argv);
        return List.copyOf(pinned);
    }

    @Override
    public String toString() {
        return list();
    }
}
