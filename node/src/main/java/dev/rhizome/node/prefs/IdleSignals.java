package dev.rhizome.node.prefs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Optional;

/**
 * Whether the machine is idle, read the way {@code w} does: the last user input is the newest
 * access time of a terminal device ({@code /dev/tty*}, {@code /dev/pts/*}), which the kernel
 * touches on every keystroke; the load is the 1-minute load average of {@code /proc/loadavg}
 * less the jobs this node runs (each keeps about one core busy), per core. The machine is idle
 * when nobody typed for {@code idleMinutes} and that load is below {@code idleMaxLoad}.
 * Assumption, documented for volunteers: input to a graphical session that touches no terminal
 * is not seen; such a volunteer should use run-hours, or pause the node.
 */
public final class IdleSignals {
    private final Path dev;
    private final Path loadavg;

    public IdleSignals() {
        this(Path.of("/dev"), Path.of("/proc/loadavg"));
    }

    IdleSignals(Path dev, Path loadavg) {
        this.dev = dev;
        this.loadavg = loadavg;
    }

    /** Why the machine is not idle, or empty when it is. */
    public Optional<String> busy(NodePreferences prefs, int ownJobs, int cores, long nowMs) {
        Optional<Long> lastInput = lastInputMs();
        if (lastInput.isPresent()) {
            long idleMs = nowMs - lastInput.get();
            if (idleMs < Duration.ofMinutes(prefs.idleMinutes()).toMillis()) {
                return Optional.of("user input " + idleMs / 1000 + " s ago");
            }
        }
        Optional<Double> load = loadAverage();
        if (load.isPresent()) {
            double perCore = Math.max(0, load.get() - ownJobs) / Math.max(1, cores);
            if (perCore >= prefs.idleMaxLoad()) {
                return Optional.of(String.format("load %.2f per core besides our jobs", perCore));
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

    Optional<Double> loadAverage() {
        try {
            return Optional.of(Double.parseDouble(Files.readString(loadavg).trim().split("\\s+")[0]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
