package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether the file systems every job sees read-only ({@code /usr}, {@code /etc}, the node's JDK) keep access
 * times. A job cannot be kept from {@code stat}, which answers each file's {@code st_atime}: where the kernel
 * updates it (under {@code relatime}, the default, at a file's first read in each day and after each change),
 * a job listing {@code /usr/bin} learns which of the volunteer's programs ran, and when, to the second, within
 * the last day. The job's own reads update none (its mounts are read-only); the remedy is the volunteer's, a
 * {@code noatime} mount, which {@code rhizome node doctor} names. Pure: a function of the host's
 * {@code mountinfo}, tested on made-up ones.
 */
final class AccessTimes {
    static final String CHECK = "access times";

    private AccessTimes() {
    }

    /** The places every job sees read-only whose mounts {@link #check} judges. */
    static List<Path> shown() {
        return List.of(Path.of("/usr"), Path.of("/etc"), real(JobRunner.javaHome()));
    }

    /** Where a link leads (a JDK under /usr/lib/jvm is often one), as bubblewrap's bind follows it. */
    private static Path real(Path path) {
        try {
            return path.toRealPath();
        } catch (java.io.IOException e) {
            return path;
        }
    }

    /**
     * The doctor's check (never required: jobs run either way): failed, with the remedy, where a mount
     * holding one of {@code shown} updates access times; {@code mountinfo} is the host's
     * {@code /proc/self/mountinfo}, absent where it cannot be read.
     */
    static SandboxReport.Check check(Optional<String> mountinfo, List<Path> shown) {
        if (mountinfo.isEmpty()) {
            return new SandboxReport.Check(CHECK, false, false, "unknown: /proc/self/mountinfo cannot be read", "");
        }
        List<Mount> mounts = mounts(mountinfo.get());
        // Each mount point that keeps access times, with the places it holds, in the order found.
        Map<Path, List<Path>> keeping = new LinkedHashMap<>();
        List<String> quiet = new ArrayList<>();
        for (Path place : shown) {
            Optional<Mount> holding = holding(mounts, place.toAbsolutePath().normalize());
            if (holding.isEmpty()) {
                continue;
            }
            Mount m = holding.get();
            if (m.keepsAccessTimes()) {
                keeping.computeIfAbsent(m.point(), p -> new ArrayList<>()).add(place);
            } else {
                quiet.add(place + " (" + m.point() + ", " + (m.readOnly() ? "ro" : "noatime") + ")");
            }
        }
        if (keeping.isEmpty()) {
            return new SandboxReport.Check(CHECK, true, false,
                    "jobs read no access times that move: " + String.join(", ", quiet), "");
        }
        List<String> where = new ArrayList<>();
        keeping.forEach((point, places) -> where.add(point + " (holding " + join(places) + ")"));
        String points = join(new ArrayList<>(keeping.keySet()));
        return new SandboxReport.Check(CHECK, false, false, String.join(", ", where)
                + " updates access times: every job reads when each file there was last read, so when each of this "
                + "machine's programs last ran, within a day",
                "mount " + points + " with noatime (add noatime to the options in /etc/fstab, and for now: "
                        + String.join("; ", keeping.keySet().stream().map(p -> "mount -o remount,noatime " + p).toList())
                        + ")");
    }

    private static String join(List<Path> paths) {
        return String.join(", ", paths.stream().map(Path::toString).toList());
    }

    /** A mount of {@code mountinfo}: its point and its per-mount options (the sixth field). */
    record Mount(Path point, List<String> options) {
        boolean readOnly() {
            return options.contains("ro");
        }

        /** The kernel updates no access time on a read-only mount nor on a noatime one; relatime and strictatime do. */
        boolean keepsAccessTimes() {
            return !readOnly() && !options.contains("noatime");
        }
    }

    /** The mounts in the order the kernel lists them (a later one at the same point covers an earlier). */
    static List<Mount> mounts(String mountinfo) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            if (f.length < 6 || !f[4].startsWith("/")) {
                continue;
            }
            mounts.add(new Mount(Path.of(unescape(f[4])), List.of(f[5].split(","))));
        }
        return mounts;
    }

    /** The mount that holds {@code place}: the deepest point above it, the last listed of those. */
    static Optional<Mount> holding(List<Mount> mounts, Path place) {
        Mount best = null;
        for (Mount m : mounts) {
            if (place.startsWith(m.point()) && (best == null || m.point().getNameCount() >= best.point().getNameCount())) {
                best = m;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The kernel writes a space, tab, line break and backslash in a mount point as three octal digits. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
