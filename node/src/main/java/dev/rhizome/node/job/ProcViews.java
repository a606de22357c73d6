package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.regex.Matcher;

/**
 * The job's own copies of the files of {@code /proc} that describe the whole machine and move with its
 * activity: each, read in a loop, is a clock of what the volunteer (or another job) does. Round 24 timed
 * keystrokes through {@code /proc/stat}'s interrupt counts; the same loop saw {@code /proc/meminfo},
 * {@code vmstat}, {@code loadavg}, {@code uptime}'s idle time, {@code diskstats}, {@code zoneinfo},
 * {@code buddyinfo} and {@code /proc/sys/fs}'s dentry and inode counts change 500 ms apart while the host
 * worked (round 25), and {@code /proc/locks} lists every lock of the machine as it is taken. Each is
 * written once, at the job's start, from the host's ({@link #forJob}) and bound over the host's read-only
 * ({@link BwrapCommand#options}, from a {@link SeccompPrograms#shownDirectory}): a copy cannot move.
 *
 * <p>What programs read stays sound: {@code /proc/stat}'s CPU lines (glibc counts the CPUs there, sysfs
 * being absent) and boot time; {@code /proc/meminfo}'s {@code MemTotal}, {@code MemFree} and
 * {@code MemAvailable} (PyTorch's and numpy's, psutil's), which read the job's own memory limit, as a
 * container's do under LXCFS; {@code /proc/uptime}'s seconds since boot (the job has that clock anyway,
 * {@code CLOCK_BOOTTIME}), fixed at the start; {@code /proc/cpuinfo} as it was then. The rest reads as
 * counts of 0, or, for the lists of the machine's disks, swap and locks, as no entry.
 *
 * <p>Not here: {@code /proc/net}'s machine-wide counts ({@code softnet_stat}, the TCP memory of
 * {@code sockstat}): /proc looks each of its entries up anew at every open, which drops a mount on it.
 * Nor the {@code sysinfo} system call, which answers the same load, free memory and process count live
 * (glibc's {@code getloadavg} asks it; refusing it would leave glibc's count of the machine's memory, which
 * the JVM sizes its heap by, unset), nor {@code statfs}'s free blocks of the host's file systems. They are
 * in architecture.md's Known gaps.
 */
final class ProcViews {
    static final String STAT = "/proc/stat";
    static final String MEMINFO = "/proc/meminfo";
    static final String UPTIME = "/proc/uptime";
    static final String LOADAVG = "/proc/loadavg";
    /**
     * Each cgroup controller's hierarchy, count of cgroups and state. The count moves with the machine: systemd
     * makes a cgroup for each login session, service, container and desktop application the volunteer starts (a
     * memory cgroup's count also keeps those removed while their pages stay cached), so a job reading it in a
     * loop saw each of them come and go.
     */
    static final String CGROUPS = "/proc/cgroups";
    /**
     * The kernel's banner: its release, who built it where, with what and when. A kernel the volunteer built
     * names the volunteer's user and the machine's host name there ({@code Linux version 6.8.1 (ada@ada-desktop)}),
     * which the job's own host name and {@code /etc/hosts} hide; the job's copy names {@link #BUILT_BY} instead.
     */
    static final String VERSION = "/proc/version";
    /** Who built the kernel, as the job's copy of {@link #VERSION} says: the job's own user and host name. */
    static final String BUILT_BY = "(" + BwrapCommand.JOB_USER + "@" + BwrapCommand.HOSTNAME + ")";
    /** No process was ever running: a load that cannot move. */
    static final String NO_LOAD = "0.00 0.00 0.00 1/1 1\n";
    /**
     * Lists of the machine's: its disks' I/O counts, its swap's use, the file locks every process of it holds
     * (each lock taken or let go shows), its disks, the kernel's command line (the root file system's UUID, a
     * fingerprint of the machine as the boot id is); where a kernel has them readable, every task of the
     * machine with its name and run time (sched_debug before Linux 5.13), every latency record, every timer.
     * The kernel's loaded modules with each one's count of users (round 27: a webcam's driver counts each
     * program that has the camera open, a sound card's each that has it open, and a module loads as a device
     * is plugged in), and every symbol of the kernel and of those modules, which names them too.
     * Each reads as its header alone, or empty.
     */
    static final List<String> MACHINE_LISTS = List.of("/proc/diskstats", "/proc/swaps", "/proc/locks",
            "/proc/partitions", "/proc/cmdline", "/proc/sched_debug", "/proc/latency_stats", "/proc/timer_list",
            "/proc/modules", "/proc/kallsyms");
    /**
     * Lists of the kernel's drivers and of the machine's hardware (round 28): the device numbers of each
     * loaded driver, the miscellaneous devices ({@code kvm}, {@code vboxdrv}), the crypto algorithms of the
     * loaded modules, the kernel's build configuration, and the memory and I/O ranges of each PCI device by its
     * bus address and driver. Each names the machine's hardware and what the volunteer installed, and the first
     * three change as a module loads, which a device plugged in makes happen, as {@code /proc/modules} did.
     * Round 39: the consoles the kernel writes to, by their drivers and device numbers ({@code ttyS0}, a virtual
     * machine's or a server's serial console; {@code netcon0}, a netconsole the volunteer set up to log to another
     * machine), which the machine's boot configuration chose. Nothing of training reads them. Each reads empty,
     * but {@link #DEVICE_NUMBERS} for a GPU job.
     */
    static final List<String> DRIVER_LISTS = List.of("/proc/devices", "/proc/misc", "/proc/crypto", "/proc/config.gz",
            "/proc/iomem", "/proc/ioports", "/proc/consoles");
    /** Kept whole for a GPU job: the CUDA driver looks up the NVIDIA driver's device numbers there. */
    static final String DEVICE_NUMBERS = "/proc/devices";
    /** {@link #MACHINE_LISTS} whose first line is a header, which the job's copy keeps. */
    private static final List<String> WITH_HEADER = List.of("/proc/swaps", "/proc/partitions");
    /** Counters of the whole machine's memory, scheduler, file systems, terminals and asynchronous I/O: each number reads 0. */
    static final List<String> COUNTERS = List.of("/proc/vmstat", "/proc/zoneinfo", "/proc/buddyinfo",
            "/proc/schedstat", "/proc/sys/fs/dentry-state", "/proc/sys/fs/inode-nr", "/proc/sys/fs/inode-state",
            "/proc/sys/fs/file-nr", "/proc/sys/fs/aio-nr", "/proc/sys/kernel/pty/nr");
    /** The CPUs' description, kept but for a board's serial number ({@link #cpuinfo}). */
    static final String CPUINFO = "/proc/cpuinfo";
    /**
     * Kept as the host had them at the start: programs read them (numpy and PyTorch the CPUs' model and
     * flags), but they move: {@code cpu MHz} with the load of the other cores where the CPUs scale their
     * clock, the entropy count with each key pressed (kernels before 5.18), the file systems the kernel knows
     * with each module of one that loads (a USB stick of exFAT plugged in; libselinux reads the list).
     */
    static final List<String> COPIES = List.of(CPUINFO, "/proc/sys/kernel/random/entropy_avail",
            "/proc/filesystems");
    /**
     * Settings of {@code /proc/sys} that the volunteer or the distribution chose, or that a driver loaded changed,
     * each shown as the kernel's default (round 31): read together they link one machine's jobs, and nothing a
     * job does depends on them. {@code kernel/tainted} tells an out-of-tree or unsigned driver loaded (NVIDIA's,
     * VirtualBox's) and whether the kernel has oopsed since boot; {@code vm/swappiness} a tuning; the huge pages'
     * counts the pages set aside, which {@link #MEMINFO}'s copy already shows as none. What a job's programs act
     * on stays true: {@code overcommit_memory} and {@code overcommit_ratio} (whether a large allocation
     * succeeds follows them), {@code max_map_count}, the descriptor and pipe limits.
     *
     * <p>Round 37: the settings that hold a path or a command line the host chose, which every job read as the
     * host wrote it: {@code kernel/core_pattern} (a volunteer's {@code /home/ada/cores/core.%e}, or the
     * distribution's crash handler, Ubuntu's apport or systemd-coredump, with its arguments),
     * {@code kernel/core_uses_pid} beside it, {@code kernel/poweroff_cmd} and {@code kernel/modprobe} (a
     * distribution's own path, NixOS's under {@code /run/current-system}). A job's core dumps are off whatever they
     * say (RLIMIT_CORE 0), and the kernel's helpers run on the host, not in the job.
     */
    static final Map<String, String> DEFAULTS = Map.of(
            "/proc/sys/kernel/tainted", "0\n",
            "/proc/sys/vm/swappiness", "60\n",
            "/proc/sys/vm/nr_hugepages", "0\n",
            "/proc/sys/vm/nr_overcommit_hugepages", "0\n",
            "/proc/sys/kernel/core_pattern", "core\n",
            "/proc/sys/kernel/core_uses_pid", "0\n",
            "/proc/sys/kernel/poweroff_cmd", "/sbin/poweroff\n",
            "/proc/sys/kernel/modprobe", "/sbin/modprobe\n");
    /** Open files, unused handles and the most there may be: the first two read 0 ({@link #COUNTERS}), the last as the job's {@code file-max}. */
    static final String FILE_NR = "/proc/sys/fs/file-nr";
    /** The kernel's limit on open files, one of {@link #SIZED_BY_MEMORY}, which {@link #FILE_NR} repeats. */
    static final String FILE_MAX = "/proc/sys/fs/file-max";

    /**
     * A limit of the kernel's, by its path, that the kernel sizes at boot from the machine's memory, as a
     * machine of {@code kb} kilobytes of it would have it: the job's copy reads that of a machine of the job's
     * own memory (as {@link #MEMINFO} does), whatever the host's. Round 30: the host's {@code threads-max}
     * (192,735) and {@code epoll/max_user_watches} (5,491,667) each gave its memory to the megabyte (24 GB),
     * a fingerprint of the machine and of its size. Each formula is the kernel's (x86-64 and arm64, Linux 6),
     * on the job's memory: the job learns what it knows already.
     */
    record SizedByMemory(String path, LongFunction<String> ofKb) {
    }

    /**
     * The kernel's limits sized by memory (the count of tasks, of open files, of epoll, inotify and fanotify
     * watches, the memory kept from users and for the administrator and at the least free) and the network's
     * hash tables (TCP's, with the time-wait and SYN queues sized from it, UDP's, connection tracking's), each
     * sized by the machine's memory and shown in every network namespace. Nothing of training reads them; a
     * program that sizes itself by one finds its own machine's.
     */
    static final List<SizedByMemory> SIZED_BY_MEMORY = List.of(
            // fork_init: totalram / (8 * THREAD_SIZE), THREAD_SIZE 16 KiB
            new SizedByMemory("/proc/sys/kernel/threads-max", kb -> Long.toString(clamp(kb / 128, 20, 0x3fffffff))),
            // files_maxfiles_init: a tenth of memory in KiB, NR_FILE at least
            new SizedByMemory("/proc/sys/fs/file-max", kb -> Long.toString(Math.max(kb / 10, 8192))),
            // eventpoll_init: 4% of memory over the cost of a watch (an epitem and its eppoll_entry, 184 bytes)
            new SizedByMemory("/proc/sys/fs/epoll/max_user_watches", kb -> Long.toString((kb << 10) / 25 / 184)),
            // inotify_user_setup, fanotify_user_setup (Linux 5.11, 5.13): 1% of memory over the cost of a mark
            new SizedByMemory("/proc/sys/fs/inotify/max_user_watches",
                    kb -> Long.toString(clamp((kb << 10) / 100 / 1312, 8192, 1 << 20))),
            new SizedByMemory("/proc/sys/fs/fanotify/max_user_marks",
                    kb -> Long.toString(clamp((kb << 10) / 100 / 1232, 8192, 1 << 20))),
            // init_admin_reserve, init_user_reserve: 1/32 of free memory, up to 8 GiB and 128 MiB
            new SizedByMemory("/proc/sys/vm/admin_reserve_kbytes", kb -> Long.toString(Math.min(kb / 32, 8L << 20))),
            new SizedByMemory("/proc/sys/vm/user_reserve_kbytes", kb -> Long.toString(Math.min(kb / 32, 128L << 10))),
            // calculate_min_free_kbytes: the square root of 16 times memory in KiB, 128 KiB to 256 MiB
            new SizedByMemory("/proc/sys/vm/min_free_kbytes",
                    kb -> Long.toString(clamp((long) Math.sqrt(kb * 16.0), 128, 256L << 10))),
            // alloc_large_system_hash: TCP's established table one entry per 128 KiB, UDP's per 2 MiB, a power of two;
            // a network namespace of its own shows the machine's as negative, and the queues sized from TCP's.
            new SizedByMemory("/proc/sys/net/ipv4/tcp_ehash_entries", kb -> Long.toString(-tcpHash(kb))),
            new SizedByMemory("/proc/sys/net/ipv4/tcp_max_tw_buckets", kb -> Long.toString(tcpHash(kb) / 2)),
            new SizedByMemory("/proc/sys/net/ipv4/tcp_max_syn_backlog", kb -> Long.toString(Math.max(128, tcpHash(kb) / 128))),
            new SizedByMemory("/proc/sys/net/ipv4/udp_hash_entries",
                    kb -> Long.toString(-clamp(Long.highestOneBit(Math.max(1, kb >> 11) * 2 - 1), 256, 65536))),
            // nf_conntrack_init_start: 262,144 buckets past 4 GiB, one per 16 KiB over a pointer's size below
            new SizedByMemory("/proc/sys/net/netfilter/nf_conntrack_buckets", kb -> Long.toString(conntrack(kb))),
            new SizedByMemory("/proc/sys/net/netfilter/nf_conntrack_max", kb -> Long.toString(conntrack(kb))));

    /** meminfo's lines that read the job's memory limit; every other reads 0. */
    private static final List<String> JOBS_MEMORY = List.of("MemTotal", "MemFree", "MemAvailable");
    /** The lines of /proc/stat kept as the host had them at the start; others (intr, ctxt, softirq) are written as 0. */
    private static final List<String> KEPT = List.of("btime", "processes", "procs_running", "procs_blocked");
    /** The softirq line's counts after its total: one per kind of softirq (ten since Linux 2.6.34). */
    private static final int SOFTIRQ_KINDS = 10;

    /** The host's files, by their path; empty where this kernel has none. */
    @FunctionalInterface
    interface HostFiles {
        Optional<String> read(String path) throws IOException;

        /** Whether the host has {@code path} readable; a list read as empty needs no more (kallsyms is megabytes). */
        default boolean has(String path) throws IOException {
            return read(path).isPresent();
        }
    }

    /** This machine's files. */
    private static final HostFiles HOST = new HostFiles() {
        @Override
        public Optional<String> read(String path) throws IOException {
            return readHost(path);
        }

        @Override
        public boolean has(String path) {
            return Files.isReadable(Path.of(path));
        }
    };

    private ProcViews() {
    }

    /** The job's copies, by their path in {@code /proc}, of this machine's files, for a job that may use {@code memoryBytes}. */
    static Map<String, String> forJob(long memoryBytes, boolean gpuJob) throws IOException {
        return forJob(memoryBytes, gpuJob, HOST);
    }

    /**
     * The job's copies of {@code host}'s files, by their path: only of those the host has (bubblewrap cannot
     * bind over a file /proc lacks).
     */
    static Map<String, String> forJob(long memoryBytes, boolean gpuJob, HostFiles host) throws IOException {
        Map<String, String> views = new LinkedHashMap<>();
        Optional<String> stat = host.read(STAT);
        if (stat.isEmpty()) {
            throw new IOException("no " + STAT + " on this machine");
        }
        views.put(STAT, stat(stat.get()));
        Optional<String> meminfo = host.read(MEMINFO);
        if (meminfo.isPresent()) {
            views.put(MEMINFO, meminfo(meminfo.get(), memoryBytes));
        }
        Optional<String> uptime = host.read(UPTIME);
        if (uptime.isPresent()) {
            views.put(UPTIME, uptime(uptime.get()));
        }
        if (host.read(LOADAVG).isPresent()) {
            views.put(LOADAVG, NO_LOAD);
        }
        Optional<String> version = host.read(VERSION);
        if (version.isPresent()) {
            views.put(VERSION, version(version.get()));
        }
        Optional<String> cgroups = host.read(CGROUPS);
        if (cgroups.isPresent()) {
            views.put(CGROUPS, cgroups(cgroups.get()));
        }
        for (String list : MACHINE_LISTS) {
            if (!WITH_HEADER.contains(list)) {
                if (host.has(list)) {
                    views.put(list, "");
                }
                continue;
            }
            Optional<String> text = host.read(list);
            if (text.isPresent()) {
                views.put(list, firstLine(text.get()));
            }
        }
        for (String list : DRIVER_LISTS) {
            if (host.has(list) && !(gpuJob && list.equals(DEVICE_NUMBERS))) {
                views.put(list, "");
            }
        }
        long memoryKb = jobMemoryKb(meminfo.orElse(""), memoryBytes);
        for (SizedByMemory sized : SIZED_BY_MEMORY) {
            if (host.has(sized.path())) {
                views.put(sized.path(), sized.ofKb().apply(memoryKb) + "\n");
            }
        }
        for (String copy : COPIES) {
            host.read(copy).ifPresent(text -> views.put(copy, copy.equals(CPUINFO) ? cpuinfo(text) : text));
        }
        for (String counters : COUNTERS) {
            Optional<String> text = host.read(counters);
            if (text.isPresent()) {
                views.put(counters, counters.equals(FILE_NR) ? fileNr(text.get(), memoryKb) : zeroed(text.get()));
            }
        }
        for (Map.Entry<String, String> setting : DEFAULTS.entrySet()) {
            if (host.has(setting.getKey())) {
                views.put(setting.getKey(), setting.getValue());
            }
        }
        return views;
    }

    /**
     * The job's {@code /proc/stat}. The host's {@code intr} line lists each interrupt line's count after the
     * total, the keyboard's among them; {@code softirq} and {@code ctxt} move with every event of the
     * machine. They read 0. The CPU lines stay, as do the boot time and process counts, as at the start.
     */
    static String stat(String host) throws IOException {
        StringBuilder out = new StringBuilder();
        boolean cpu = false;
        for (String line : host.split("\n")) {
            String name = line.split(" ", 2)[0];
            if (name.startsWith("cpu") || KEPT.contains(name)) {
                cpu |= name.equals("cpu");
                out.append(line).append('\n');
            } else if (name.equals("intr") || name.equals("ctxt")) {
                out.append(name).append(" 0\n");
            } else if (name.equals("softirq")) {
                out.append(name).append(" 0").append(" 0".repeat(SOFTIRQ_KINDS)).append('\n');
            }
        }
        if (!cpu) {
            throw new IOException("no cpu line in " + STAT);
        }
        return out.toString();
    }

    /**
     * The job's {@code /proc/meminfo}: the host's lines, each in kB, with the job's limit (or the machine's
     * memory, if smaller) as its total, free and available memory, and 0 for every other; huge pages'
     * counts 0, their size the host's.
     */
    static String meminfo(String host, long memoryBytes) {
        long kb = jobMemoryKb(host, memoryBytes);
        StringBuilder out = new StringBuilder();
        for (String line : host.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon);
            String value = line.substring(colon + 1).strip();
            String kept = name.equals("Hugepagesize") ? value
                    : (JOBS_MEMORY.contains(name) ? Long.toString(kb) : "0") + (value.endsWith(" kB") ? " kB" : "");
            out.append(String.format("%-16s%s%n", name + ":", padded(kept)));
        }
        return out.toString();
    }

    /** The memory the job is shown, in KiB: its limit, or the machine's ({@code meminfo}'s total) where that is less. */
    static long jobMemoryKb(String hostMeminfo, long memoryBytes) {
        long hostTotalKb = Long.MAX_VALUE;
        for (String line : hostMeminfo.split("\n")) {
            if (line.startsWith("MemTotal:")) {
                hostTotalKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return Math.min(hostTotalKb, memoryBytes >> 10);
    }

    /** TCP's established table for a machine of {@code kb}: one entry per 128 KiB, rounded up to a power of two. */
    private static long tcpHash(long kb) {
        return Long.highestOneBit(Math.max(1 << 10, kb >> 7) * 2 - 1);
    }

    /** Connection tracking's table (and its maximum) for a machine of {@code kb}. */
    private static long conntrack(long kb) {
        return kb >= (4L << 20) ? 262_144 : Math.max(1024, (kb << 10) / 16384 / 8);
    }

    private static long clamp(long value, long min, long max) {
        return Math.max(min, Math.min(max, value));
    }

    /**
     * The job's {@code /proc/cpuinfo}: the host's, but for the board's serial number, which arm64 kernels of some
     * boards (a Raspberry Pi's) print there, one of its own for each machine: it reads as zeros, as on a board
     * without one.
     */
    static String cpuinfo(String host) {
        return host.replaceAll("(?m)^(Serial\\s*:\\s*)\\S+$", "$10000000000000000");
    }

    /** The host's seconds since boot as at the start, and no idle time: the CPUs' idle time moves with the machine's load. */
    static String uptime(String host) {
        return host.strip().split("\\s+")[0] + " 0.00\n";
    }

    /** The job's {@code /proc/version}: the host's, with the builder's {@code (user@host)} after the release as {@link #BUILT_BY}. */
    static String version(String host) {
        return host.replaceFirst("^(Linux version \\S+ )\\([^()\\s]*@[^()\\s]*\\)",
                "$1" + Matcher.quoteReplacement(BUILT_BY));
    }

    /**
     * The job's {@code /proc/cgroups}: the host's controllers, hierarchies and states (what a container runtime
     * reads it for), each controller's count of cgroups 1, its root's, as on a machine that made none.
     */
    static String cgroups(String host) {
        StringBuilder out = new StringBuilder();
        for (String line : host.split("\n")) {
            String[] fields = line.split("\t");
            if (!line.startsWith("#") && fields.length >= 3) {
                fields[2] = "1";
            }
            out.append(String.join("\t", fields)).append('\n');
        }
        return out.toString();
    }

    /**
     * The job's {@code file-nr}: no file open and none unused, as its other counters read, and at most what its
     * {@code file-max} reads (a third field of 0, beside a {@code file-max} of a machine's, was a copy no
     * kernel writes).
     */
    static String fileNr(String host, long memoryKb) {
        String max = SIZED_BY_MEMORY.stream().filter(s -> s.path().equals(FILE_MAX)).findFirst().orElseThrow()
                .ofKb().apply(memoryKb);
        String[] fields = zeroed(host).strip().split("\\s+");
        if (fields.length != 3) {
            return zeroed(host);
        }
        return fields[0] + "\t" + fields[1] + "\t" + max + "\n";
    }

    /** {@code text} with every number that stands alone (not a name's digits, as DMA32's) written as 0. */
    static String zeroed(String text) {
        return text.replaceAll("(?<=^|[\\s:])-?[0-9]+(?=$|\\s)", "0");
    }

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end + 1);
    }

    /** meminfo's values, right-aligned as the kernel writes them ("%8lu kB"). */
    private static String padded(String value) {
        return value.endsWith(" kB") ? String.format("%8s kB", value.substring(0, value.length() - 3))
                : String.format("%8s", value);
    }

    private static Optional<String> readHost(String path) throws IOException {
        try {
            return Optional.of(Files.readString(Path.of(path), StandardCharsets.ISO_8859_1));
        } catch (NoSuchFileException | AccessDeniedException e) {
            // A kernel without it, or one that shows it to root alone: nothing to bind over for the job.
            return Optional.empty();
        }
    }
}
