package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory and process limits for a job's whole tree, through a cgroup v2 subtree that the
 * machine delegated to the node (systemd's {@code Delegate=yes}, a container's own cgroup
 * namespace, or root on a pure v2 host). Found by {@link #detect}; on hybrid v1/v2 machines
 * whose v2 hierarchy has no memory and pids controllers it is absent, and the sandbox falls
 * back to rlimits.
 *
 * <p>cgroup v2 lets controllers be enabled for children only in a cgroup without processes
 * of its own, so on first use the node moves itself into a leaf {@code rhizome-node} of its
 * cgroup and makes one sibling cgroup per job.
 */
public final class CgroupV2 {
    static final Set<String> NEEDED = Set.of("memory", "pids");
    private static final Duration DRAIN = Duration.ofSeconds(5);

    private final Path dir;
    private final AtomicLong next = new AtomicLong();
    private boolean prepared;

    CgroupV2(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** What detection found: the usable cgroup, or why there is none. */
    public record Detection(Optional<CgroupV2> cgroup, String detail) {
    }

    /** Reads this machine's mount table and this process's cgroup. */
    public static Detection detect() {
        try {
            return detect(Files.readString(Path.of("/proc/self/mountinfo")), Files.readString(Path.of("/proc/self/cgroup")));
        } catch (IOException e) {
            return new Detection(Optional.empty(), "cannot read /proc/self/mountinfo or /proc/self/cgroup: " + e.getMessage());
        }
    }

    /**
     * Finds the cgroup v2 directory of this process and checks that it offers the memory and pids
     * controllers and that the node may write there. Pure over the two /proc files; the checks of
     * the directory itself read the filesystem.
     */
    static Detection detect(String mountinfo, String procSelfCgroup) {
        Optional<Path> mount = cgroup2Mount(mountinfo);
        if (mount.isEmpty()) {
            return new Detection(Optional.empty(), "no cgroup v2 filesystem is mounted");
        }
        Optional<String> own = procSelfCgroup.lines().filter(l -> l.startsWith("0::")).map(l -> l.substring(3)).findFirst();
        if (own.isEmpty()) {
            return new Detection(Optional.empty(), "this process is in no cgroup v2 (cgroup v1 only)");
        }
        Path dir = mount.get().resolve(own.get().replaceFirst("^/", ""));
        List<String> controllers;
        try {
            controllers = List.of(Files.readString(dir.resolve("cgroup.controllers")).trim().split("\\s+"));
        } catch (IOException e) {
            return new Detection(Optional.empty(), "cannot read " + dir.resolve("cgroup.controllers") + ": " + e.getMessage());
        }
        if (!controllers.containsAll(NEEDED)) {
            return new Detection(Optional.empty(), "cgroup v2 at " + dir + " offers [" + String.join(" ", controllers).trim()
                    + "], not memory and pids (on this machine they are on cgroup v1, or not delegated)");
        }
        if (!Files.isWritable(dir) || !Files.isWritable(dir.resolve("cgroup.subtree_control"))) {
            return new Detection(Optional.empty(), "cgroup v2 at " + dir + " is not delegated to this user");
        }
        return new Detection(Optional.of(new CgroupV2(dir)), "cgroup v2 at " + dir + " with memory and pids");
    }

    /** The mount point of the cgroup2 filesystem in /proc/self/mountinfo, if any. */
    static Optional<Path> cgroup2Mount(String mountinfo) {
        for (String line : mountinfo.split("\n")) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] before = line.substring(0, dash).split(" ");
            String[] after = line.substring(dash + 3).split(" ");
            if (after.length > 0 && after[0].equals("cgroup2") && before.length > 4) {
                return Optional.of(Path.of(before[4].replace("\\040", " ")));
            }
        }
        return Optional.empty();
    }

    /**
     * Moves the node into a leaf of its cgroup and enables memory and pids for children. Fails
     * (EBUSY) where other processes share the node's cgroup, e.g. in a container whose cgroup
     * holds its shell too; the probe then falls back to rlimits.
     */
    public synchronized void prepare() throws IOException {
        if (!prepared) {
            Path self = Files.createDirectories(dir.resolve("rhizome-node"));
            write(self.resolve("cgroup.procs"), Long.toString(ProcessHandle.current().pid()));
            write(dir.resolve("cgroup.subtree_control"), "+memory +pids");
            prepared = true;
        }
    }

    /** A new cgroup for one job, with its limits set; the job joins it through its {@code cgroup.procs}. */
    public synchronized JobCgroup create(SandboxLimits limits) throws IOException {
        prepare();
        Path job = Files.createDirectory(dir.resolve("rhizome-job-" + next.incrementAndGet()));
        write(job.resolve("memory.max"), Long.toString(limits.memoryBytes()));
        writeIfPresent(job.resolve("memory.swap.max"), "0");
        writeIfPresent(job.resolve("memory.oom.group"), "1");
        write(job.resolve("pids.max"), Integer.toString(limits.processes()));
        return new JobCgroup(job);
    }

    /** One job's cgroup: killing it kills every process in it, wherever they reparented. */
    public static final class JobCgroup {
        private final Path dir;

        JobCgroup(Path dir) {
            this.dir = dir;
        }

        public Path procs() {
            return dir.resolve("cgroup.procs");
        }

        /** Kills everything in the cgroup (cgroup.kill, Linux 5.14+) and removes it once empty. */
        public void killAndRemove() {
            try {
                if (Files.exists(dir.resolve("cgroup.kill"))) {
                    write(dir.resolve("cgroup.kill"), "1");
                } else {
                    for (String pid : Files.readString(procs()).split("\\s+")) {
                        if (!pid.isBlank()) {
                            ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                        }
                    }
                }
                long deadline = System.nanoTime() + DRAIN.toNanos();
                boolean interrupted = false;
                while (!Files.readString(procs()).isBlank() && System.nanoTime() - deadline < 0) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        interrupted = true; // the kill is under way; finish it, then pass the interrupt on
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                Files.deleteIfExists(dir);
            } catch (IOException | RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(CgroupV2.class).warn("could not remove job cgroup {}: {}", dir, e.toString());
            }
        }
    }

    private static void write(Path file, String value) throws IOException {
        Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
    }

    private static void writeIfPresent(Path file, String value) throws IOException {
        if (Files.exists(file)) {
            write(file, value);
        }
    }
}
