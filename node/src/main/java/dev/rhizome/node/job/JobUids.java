package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The uids a root node's jobs run as: one per slot, from a range reserved for them, so that what the
 * kernel counts per uid (tasks, pending signals, descriptors in flight over unix sockets, inotify
 * instances, pipe pages, epoll watches) is each slot's own, apart from every other slot's and from
 * the machine's other processes. They ran as {@code nobody} before, shared with every daemon of the
 * machine that runs as it (and a job holding 4,250 descriptors in flight made every process of its
 * uid fail to pass one).
 *
 * <p>The range, {@link #GID} and the {@link #SLOTS} uids after it, lies between systemd's container
 * range (524,288 to 1,879,048,191) and 2^31, where no distribution allocates users; the probe
 * checks ({@link #conflicts}) that no user or group of the machine has one of its ids and no process
 * but a sandboxed job's runs as one. A slot holds its uid while it exists ({@link JobUidLeases}), so
 * that two root nodes of one machine never share one. All the jobs share one group, {@link #GID}, which passes the job directory (0710):
 * no count of the kernel's is kept per group.
 */
public final class JobUids {
    /** The group of every job, and the first id of the range. */
    public static final int GID = 1_900_000_000;
    /** How many slots get a uid of their own; a node of more slots than this is refused its extra ones. */
    public static final int SLOTS = 4096;

    private JobUids() {
    }

    /** The uid of slot {@code slot}'s jobs (0-based). */
    public static int uidOf(int slot) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("slot " + slot + " has no job uid: a node runs at most " + SLOTS + " slots");
        }
        return GID + 1 + slot;
    }

    /** Whether {@code uid} is one of the range's. */
    public static boolean isJobUid(int uid) {
        return uid > GID && uid <= GID + SLOTS;
    }

    /** The group a job of {@code uid} runs with: the range's for its uids, the uid's own number otherwise. */
    public static int gidFor(int uid) {
        return isJobUid(uid) ? GID : uid;
    }

    /** The range as people read it. */
    public static String describe() {
        return "uids " + (GID + 1) + "-" + (GID + SLOTS) + ", one per slot, group " + GID;
    }

    /**
     * What already has one of the range's ids on {@code host}: a user or group entry of
     * {@code /etc/passwd} or {@code /etc/group}, or a process whose real, effective, saved or file
     * system uid is one of them and is no sandboxed job's. Empty when the range is free. A job's
     * processes are bubblewrap's (its outer process, in the host's PID namespace) and those in a PID
     * namespace of their own: a probe run while jobs run (`rhizome node doctor` beside the node, a
     * second node's, a test's) finds them, and is no reason to refuse the range.
     */
    public static List<String> conflicts(HostView host) {
        List<String> found = new ArrayList<>();
        for (String file : List.of("/etc/passwd", "/etc/group")) {
            for (String line : host.readText(Path.of(file)).orElse("").split("\n")) {
                String[] fields = line.split(":", -1);
                if (fields.length > 2 && inRange(fields[2])) {
                    found.add(file + " names id " + fields[2] + " (" + fields[0] + ")");
                }
            }
        }
        for (Path proc : host.children(Path.of("/proc"))) {
            String pid = proc.getFileName().toString();
            if (!pid.isEmpty() && pid.chars().allMatch(Character::isDigit)) {
                String status = host.readText(proc.resolve("status")).orElse("");
                if (!sandboxed(status)) {
                    ownerInRange(status).ifPresent(uid -> found.add("process " + pid + " runs as uid " + uid));
                }
            }
        }
        return found;
    }

    private static Optional<Integer> ownerInRange(String status) {
        return uids(status).stream().filter(u -> u == GID || isJobUid(u)).findFirst();
    }

    /**
     * Whether a {@code /proc/<pid>/status} is a sandboxed job's: bubblewrap, in a PID namespace below
     * the host's, or {@code setpriv} on its way to bubblewrap (a root node's launch switches to the
     * slot's uid and then execs bubblewrap: a probe that looked in between, a second node starting
     * beside a busy one, refused the range and the node; found by the kill storm).
     */
    private static boolean sandboxed(String status) {
        for (String line : status.split("\n")) {
            if (line.equals("Name:\tbwrap") || line.equals("Name:\tsetpriv")
                    || (line.startsWith("NSpid:") && line.substring(6).trim().split("\\s+").length > 1)) {
                return true;
            }
        }
        return false;
    }

    /** The four uids of a {@code /proc/<pid>/status}'s {@code Uid:} line; none when it is gone. */
    private static List<Integer> uids(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Uid:")) {
                List<Integer> ids = new ArrayList<>();
                for (String id : line.substring(4).trim().split("\\s+")) {
                    try {
                        ids.add(Integer.parseUnsignedInt(id));
                    } catch (NumberFormatException e) {
                        // not a uid: ignored
                    }
                }
                return ids;
            }
        }
        return List.of();
    }

    private static boolean inRange(String id) {
        try {
            long v = Long.parseLong(id);
            return v >= GID && v <= (long) GID + SLOTS;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
