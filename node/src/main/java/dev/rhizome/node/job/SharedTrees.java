package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * How a directory every job sees read-only ({@code /usr}, the runtimes' {@code /etc} directories, the JDK, the
 * GPU driver's libraries, a seed's files) is mounted in a job: as an overlay of the job's own where bubblewrap
 * can make one, a bind of the host's directory otherwise. A file lock ({@code flock}, a POSIX record lock) is
 * the inode's, and a bind shows the host's inode, so one job's lock on {@code /usr/bin/python3} was met by
 * every other job and every local user: a channel through which two jobs that run at once, or a job and any
 * process of the machine, signalled each other (round 33 measured 10 bits a second between two jobs; the kernel
 * asks no write access of {@code flock}, nor of a POSIX read lock and another's {@code F_GETLK}). An overlay's
 * files are inodes of that mount's own, so a job's locks there meet only its own processes', and its
 * {@code statfs} answers the overlay's {@code f_fsid} (0) and device, not the disk's. bubblewrap 0.11 makes a
 * read-only overlay of two layers at least; the second is an empty directory of the job's
 * ({@link #EMPTY_LAYER}). An overlay shows its layer's own file system only, so a directory with another
 * mount below it (a {@code /usr/local} of its own disk) stays a bind, as does every directory where the
 * mounts cannot be read. Pure: a function of the mount points, tested on made-up ones.
 */
final class SharedTrees {
    /** The empty directory, in each start's shown directory, every overlay takes as its second layer. */
    static final String EMPTY_LAYER = "empty-layer";
    /** What bubblewrap's help says of the option (0.11 on); 0.8's has no overlay at all. */
    static final String OPTION = "--ro-overlay";

    private final Optional<Path> emptyLayer;
    private final Optional<Set<Path>> mountPoints;

    /**
     * @param emptyLayer  the job's empty directory, when its plan overlays ({@link SandboxPlan#overlays})
     * @param mountPoints the host's mount points, when they could be read
     */
    SharedTrees(Optional<Path> emptyLayer, Optional<Set<Path>> mountPoints) {
        this.emptyLayer = emptyLayer;
        this.mountPoints = mountPoints;
    }

    /** Binds only: a plan without overlays. */
    static SharedTrees bindsOnly() {
        return new SharedTrees(Optional.empty(), Optional.empty());
    }

    /** For one job: overlays when {@code emptyLayer} is given and the host's mounts can be read. */
    static SharedTrees of(Optional<Path> emptyLayer, HostView host) {
        if (emptyLayer.isEmpty()) {
            return bindsOnly();
        }
        return new SharedTrees(emptyLayer, host.readText(Path.of("/proc/self/mountinfo")).map(SharedTrees::points));
    }

    /** Whether bubblewrap's {@code --help} offers read-only overlays. */
    static boolean offeredBy(String bwrapHelp) {
        return bwrapHelp.contains(OPTION + " ");
    }

    /** The mount points of a {@code mountinfo}. */
    static Set<Path> points(String mountinfo) {
        Set<Path> points = new LinkedHashSet<>();
        AccessTimes.mounts(mountinfo).forEach(m -> points.add(m.point()));
        return points;
    }

    /** Whether {@code host} is mounted as an overlay of the job's own ({@link #mount}). */
    boolean overlays(Path host) {
        if (emptyLayer.isEmpty() || mountPoints.isEmpty()) {
            return false;
        }
        Path dir = host.toAbsolutePath().normalize();
        return mountPoints.get().stream().noneMatch(p -> p.startsWith(dir) && !p.equals(dir));
    }

    /**
     * Adds the options that show the host's directory {@code host} read-only at {@code inside}: an overlay of
     * the job's own where {@link #overlays} says so, else a bind ({@code --ro-bind-try} when {@code maybe}:
     * a source that may dangle is skipped).
     */
    void mount(List<String> argv, Path host, Path inside, boolean maybe) {
        if (overlays(host)) {
            argv.addAll(List.of("--overlay-src", host.toString(), "--overlay-src", emptyLayer.get().toString(),
                    OPTION, inside.toString()));
        } else {
            argv.addAll(List.of(maybe ? "--ro-bind-try" : "--ro-bind", host.toString(), inside.toString()));
        }
    }
}
