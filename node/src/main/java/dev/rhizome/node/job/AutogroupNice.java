package dev.rhizome.node.job;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps every session of a running job at the job's niceness where the kernel groups tasks by
 * session (autogroup). A process that calls {@code setsid} gets a new group at nice 0, and the
 * groups share the CPU equally: one {@code setsid} (Python's {@code start_new_session}, torchrun)
 * put a nice-19 job back level with the owner's whole desktop session. {@code setsid} is not
 * refused, since those need it; instead the node, which looks at the job's processes every poll,
 * gives each new group the job's niceness through {@code /proc/<pid>/autogroup} (a group's nice is
 * set through any of its tasks). A group stays at nice 0 only until the next look (50 ms), and
 * {@code /proc} is read-only inside, so the job cannot give it back.
 *
 * <p>A node not running as root may write only the files of its jobs' dumpable processes; a job
 * whose every process in a group made itself undumpable ({@code PR_SET_DUMPABLE}, or by running a
 * program it may not read) keeps its own priority, and {@link #check} says so, so the job is
 * stopped. A root node may write any (and no 100 ms rate limit applies to it).
 */
final class AutogroupNice implements TreeRule {
    private static final Pattern LINE = Pattern.compile("/autogroup-(\\d+) nice (-?\\d+)\\s*");
    private static final Path PROC = Path.of("/proc");

    private final Path proc;
    private final int niceness;

    AutogroupNice(Path proc, int niceness) {
        this.proc = proc;
        this.niceness = niceness;
    }

    /** The rule for a job at {@code niceness}, where this kernel has autogroups; empty where it has none. */
    static Optional<TreeRule> forJob(int niceness) {
        // The file is there but empty where autogroups are compiled in and turned off (sysctl
        // kernel.sched_autogroup_enabled=0): nothing to keep then.
        return ownGroupNice().isPresent() ? Optional.of(new AutogroupNice(PROC, niceness)) : Optional.empty();
    }

    /** The niceness of this process's own autogroup; empty where the kernel has none. */
    static java.util.OptionalInt ownGroupNice() {
        return read(PROC.resolve("self/autogroup")).map(g -> java.util.OptionalInt.of((int) g[1]))
                .orElse(java.util.OptionalInt.empty());
    }

    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        Set<Long> kept = new HashSet<>();
        Map<Long, Long> refused = new HashMap<>();
        // Never the node's own group: a launcher's first process, before its setsid (or bubblewrap's
        // outside its --new-session), is still in it, and so would be the volunteer's terminal session.
        Optional<long[]> own = read(proc.resolve("self/autogroup"));
        for (ProcessHandle p : alive) {
            Path file = proc.resolve(Long.toString(p.pid())).resolve("autogroup");
            Optional<long[]> group = read(file);
            if (group.isEmpty() || (own.isPresent() && own.get()[0] == group.get()[0])) {
                continue; // gone, no autogroup, or the node's
            }
            long id = group.get()[0];
            if (group.get()[1] == niceness || kept.contains(id)) {
                kept.add(id);
                continue;
            }
            try (FileOutputStream out = new FileOutputStream(file.toFile())) {
                out.write(Integer.toString(niceness).getBytes(StandardCharsets.US_ASCII));
                kept.add(id);
                refused.remove(id);
            } catch (IOException e) {
                // EAGAIN (an unprivileged writer waits 100 ms between two): tried again at the next look.
                // Refused outright (an undumpable process's files are root's): another task of the group may do.
                if (denied(e) && ProcessTree.running(p)) {
                    refused.putIfAbsent(id, p.pid());
                }
            }
        }
        refused.keySet().removeAll(kept);
        if (refused.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("its process " + refused.values().iterator().next()
                + " left the job's priority (a session of its own the node may not set to nice " + niceness + ")");
    }

    private static boolean denied(IOException e) {
        String message = String.valueOf(e.getMessage());
        return e instanceof AccessDeniedException || message.contains("Permission denied")
                || message.contains("Operation not permitted");
    }

    /** The group's id and nice, from a line such as {@code /autogroup-2117 nice 0}. */
    private static Optional<long[]> read(Path file) {
        // Through RandomAccessFile, not Files: an interrupt must not close a channel under the runner.
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] buf = new byte[128];
            int n = f.read(buf);
            if (n <= 0) {
                return Optional.empty();
            }
            Matcher m = LINE.matcher(new String(buf, 0, n, StandardCharsets.US_ASCII));
            return m.matches() ? Optional.of(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))})
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
