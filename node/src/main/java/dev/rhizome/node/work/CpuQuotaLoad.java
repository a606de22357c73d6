package dev.rhizome.node.work;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The load of a node that runs in a cgroup with a CPU quota (cgroup v2 {@code cpu.max}, as a
 * container with {@code --cpus} has): what its tasks may use is the quota, not the machine's cores,
 * and {@code /proc/loadavg} is the whole host's, so a node in a quiet 2-CPU container on a busy
 * 64-core host backed off for others' load, and one whose container was held at its quota by its own
 * neighbours saw a quiet host and claimed on. Read from the cgroup that holds the tightest quota on
 * the way from this process's cgroup to the mount's root: the CPU its tasks used lately
 * ({@code cpu.stat}'s {@code usage_usec}, over the last minute, as the load average's first field
 * is) against the quota's cores, rounded up; where the cgroup was throttled in that time its tasks
 * wanted more than the quota, and every core counts as taken. Empty where there is no quota (the
 * machine's load is then the one that counts), no cgroup v2, or less than a second of readings yet
 * (the first reading: {@link MachineLoad#read} then reads the machine's, once).
 */
final class CpuQuotaLoad {
    static final long WINDOW_NANOS = 60_000_000_000L;
    private static final long MIN_WINDOW_NANOS = 1_000_000_000L;

    /** One reading of the cgroup's counters at {@code nanos}. */
    private record Sample(long nanos, long usageUsec, long throttledUsec) {
    }

    private final Path procSelfCgroup;
    private final Path mount;
    private final LongSupplier nanos;
    private final Deque<Sample> samples = new ArrayDeque<>();

    CpuQuotaLoad(Path procSelfCgroup, Path mount, LongSupplier nanos) {
        this.procSelfCgroup = procSelfCgroup;
        this.mount = mount;
        this.nanos = nanos;
    }

    /** This process's, from {@code /proc/self/cgroup} and the cgroup v2 mount at {@code /sys/fs/cgroup}. */
    static CpuQuotaLoad ofThisProcess() {
        return new CpuQuotaLoad(Path.of("/proc/self/cgroup"), Path.of("/sys/fs/cgroup"), System::nanoTime);
    }

    /** The reading now, or empty where no quota bounds this process (or nothing can be judged yet). */
    synchronized Optional<MachineLoad> read() {
        Optional<Quota> quota = tightestQuota();
        if (quota.isEmpty()) {
            samples.clear();
            return Optional.empty();
        }
        Optional<Sample> now = sample(quota.get().dir());
        if (now.isEmpty()) {
            return Optional.empty();
        }
        Sample last = samples.peekLast();
        if (last != null && now.get().usageUsec() < last.usageUsec()) {
            samples.clear();  // another cgroup's counters now (the tightest quota moved), or counters reset
        }
        if (samples.isEmpty() || now.get().nanos() > samples.peekLast().nanos()) {
            samples.addLast(now.get());  // a second reading of the same moment (another slot's) adds nothing
        }
        while (samples.size() > 1 && now.get().nanos() - samples.peekFirst().nanos() > WINDOW_NANOS
                && now.get().nanos() - secondOldest().nanos() >= MIN_WINDOW_NANOS) {
            samples.removeFirst();
        }
        Sample first = samples.peekFirst();
        long elapsed = now.get().nanos() - first.nanos();
        if (elapsed < MIN_WINDOW_NANOS) {
            return Optional.empty();
        }
        int cores = (int) Math.ceil(quota.get().cores());
        double used = (now.get().usageUsec() - first.usageUsec()) * 1000.0 / elapsed;
        boolean throttled = now.get().throttledUsec() > first.throttledUsec();
        return Optional.of(new MachineLoad(throttled ? Math.max(used, cores) : used, 0, cores));
    }

    private Sample secondOldest() {
        var it = samples.iterator();
        it.next();
        return it.next();
    }

    /** A cgroup's quota, in cores. */
    record Quota(Path dir, double cores) {
    }

    /** The tightest quota from this process's cgroup up to the mount's root; empty where there is none. */
    Optional<Quota> tightestQuota() {
        Optional<Path> own = ownCgroup();
        if (own.isEmpty()) {
            return Optional.empty();
        }
        Quota tightest = null;
        for (Path dir = own.get(); dir != null && dir.startsWith(mount); dir = dir.getParent()) {
            Optional<Double> cores = readString(dir.resolve("cpu.max")).flatMap(CpuQuotaLoad::quotaCores);
            if (cores.isPresent() && (tightest == null || cores.get() < tightest.cores())) {
                tightest = new Quota(dir, cores.get());
            }
        }
        return Optional.ofNullable(tightest);
    }

    private Optional<Path> ownCgroup() {
        // cgroup v2's line is "0::/path"; v1 lines name controllers, and are not read
        return readString(procSelfCgroup).flatMap(text -> text.lines().filter(l -> l.startsWith("0::")).findFirst())
                .map(l -> l.substring(3).strip())
                .map(p -> mount.resolve(p.startsWith("/") ? p.substring(1) : p).normalize())
                .filter(p -> p.startsWith(mount));
    }

    /** {@code cpu.max}'s quota in cores ("150000 100000": 1.5); empty for "max" (no quota) or what does not parse. */
    static Optional<Double> quotaCores(String cpuMax) {
        String[] f = cpuMax.strip().split("\\s+");
        if (f.length != 2 || f[0].equals("max")) {
            return Optional.empty();
        }
        try {
            long quota = Long.parseLong(f[0]);
            long period = Long.parseLong(f[1]);
            return quota > 0 && period > 0 ? Optional.of(quota / (double) period) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private Optional<Sample> sample(Path dir) {
        long at = nanos.getAsLong();
        return readString(dir.resolve("cpu.stat")).flatMap(stat -> {
            long usage = field(stat, "usage_usec");
            return usage < 0 ? Optional.empty() : Optional.of(new Sample(at, usage, Math.max(0, field(stat, "throttled_usec"))));
        });
    }

    /** A {@code cpu.stat} field's value, or -1. */
    static long field(String cpuStat, String name) {
        for (String line : cpuStat.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 2 && f[0].equals(name)) {
                try {
                    return Long.parseLong(f[1]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static Optional<String> readString(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
