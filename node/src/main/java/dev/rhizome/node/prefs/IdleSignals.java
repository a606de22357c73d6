package dev.rhizome.node.prefs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import dev.rhizome.node.work.MachineLoad;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Whether the machine is idle, read the way {@code w} does: the last user input is the newest
 * access time of a terminal device ({@code /dev/tty*}, {@code /dev/pts/*}), which the kernel
 * touches on every keystroke; the load is the last minute's, less the jobs this node runs (each
 * keeps about one core busy), per core. The machine is idle when nobody typed for
 * {@code idleMinutes} and that load is below {@code idleMaxLoad}.
 *
 * <p>The load is read where the "machine busy" back-off reads it ({@link MachineLoad#read}): where a
 * CPU quota bounds the node (a container run with {@code --cpus}), the CPUs its cgroup used against
 * the quota's cores, else {@code /proc/loadavg}'s first field against the cores this process may use.
 * What a volunteer gave a container is its quota, so idle there means those CPUs are free of other
 * work: the host's load average, others' work on cores the container cannot use, kept such a node
 * closed for good on a busy host (60 tasks over a quota of 2 cores read as 30 per core), and
 * "idle" and "busy" disagreed on the same CPUs.
 * Assumption, documented for volunteers: input to a graphical session that touches no terminal
 * is not seen; such a volunteer should use run-hours, or pause the node.
 */
public final class IdleSignals {
    private final Path dev;
    private final Supplier<Optional<MachineLoad>> load;

    public IdleSignals() {
        this(Path.of("/dev"), MachineLoad::read);
    }

    IdleSignals(Path dev, Supplier<Optional<MachineLoad>> load) {
        this.dev = dev;
        this.load = load;
    }

    /** Why the machine is not idle, or empty when it is. */
    public Optional<String> busy(NodePreferences prefs, int ownJobs, long nowMs) {
        Optional<Long> lastInput = lastInputMs();
        if (lastInput.isPresent()) {
            long idleMs = nowMs - lastInput.get();
            if (idleMs < Duration.ofMinutes(prefs.idleMinutes()).toMillis()) {
                return Optional.of("user input " + idleMs / 1000 + " s ago");
            }
        }
        Optional<MachineLoad> reading = load.get();
        if (reading.isPresent()) {
            MachineLoad l = reading.get();
            double perCore = Math.max(0, l.lastMinute() - ownJobs) / Math.max(1, l.cores());
            if (perCore >= prefs.idleMaxLoad()) {
                return Optional.of(String.format(Locale.ROOT, "load %.2f per core besides our jobs, on %d cores",
                        perCore, l.cores()));
            }
        }
        return Optional.empty();
    }

    Optional<Long> lastInputMs() {
        long newest = -1;
        newest = Math.max(newest, newestAccess(dev, "tty*"));
        newest = Math.max(newest, newestAccess(dev.resolve("pts"), "[0-9]*"));
        return newest < 0 ? Optional.empty() : Optional.of(newest);
    }

    private static long newestAccess(Path dir, String glob) {
        long newest = -1;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, glob)) {
            for (Path p : entries) {
                try {
                    newest = Math.max(newest, Files.readAttributes(p, BasicFileAttributes.class).lastAccessTime().toMillis());
                } catch (IOException e) {
                    // a terminal that went away while we looked
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return newest;
    }

}
