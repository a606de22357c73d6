package dev.rhizome.node.job;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Where a node makes its job directories: the JVM's temporary directory ({@code java.io.tmpdir}), unless
 * its path names the node's user. A job reads its checkout's host path in {@code /proc/self/mountinfo}
 * (the kernel prints a bind mount's source within its file system; nothing the sandbox binds hides it),
 * and a temporary directory set under a home ({@code -Djava.io.tmpdir=/home/ada/tmp}, chosen for room
 * when {@code /tmp} is a small tmpfs) told every job the volunteer's user name. Then the first of
 * {@code /var/tmp} (on disk, as such a choice wanted) and {@code /tmp} that is a real directory the node
 * may write and names no user is used instead; where neither is, the temporary directory stays (a node
 * must run) and {@link #namesUser} says so. Pure but for {@link #of()}.
 */
public final class JobDirParent {
    /** The system's shared temporary directories, on disk first. */
    static final List<Path> SYSTEM = List.of(Path.of("/var/tmp"), Path.of("/tmp"));

    private JobDirParent() {
    }

    /** This JVM's choice: {@link #choose} for its temporary directory, its user's home and name. */
    public static Path of() {
        return choose(Path.of(System.getProperty("java.io.tmpdir")), Path.of(System.getProperty("user.home")),
                System.getProperty("user.name"), SYSTEM, JobDirParent::usable, JobReach::passableByOthers);
    }

    /** {@link #choose(Path, Path, String, List, Predicate, Predicate)} where every directory is passable. */
    static Path choose(Path tmpDir, Path home, String user, List<Path> system, Predicate<Path> usable) {
        return choose(tmpDir, home, user, system, usable, p -> true);
    }

    /**
     * {@code tmpDir} when it names no user ({@link #namesUser}) and is {@code passable}, else the first of
     * {@code system} that is {@code usable}, {@code passable} and names none, else {@code tmpDir}.
     *
     * @param passable whether every directory from {@code /} to a directory lets other users pass: the jobs
     *     of a root node, or of subordinate uids, run as uids of their own, and bubblewrap opens what it binds
     *     (their checkouts, their copies of {@code /proc}) as that uid. A temporary directory under a 0700
     *     directory ({@code mktemp -d}) failed every such job; a node whose jobs share its uid moves too, and
     *     loses nothing by it
     */
    static Path choose(Path tmpDir, Path home, String user, List<Path> system, Predicate<Path> usable,
            Predicate<Path> passable) {
        Path tmp = tmpDir.toAbsolutePath().normalize();
        if (!namesUser(tmp, home, user) && passable.test(tmp)) {
            return tmp;
        }
        Optional<Path> other = system.stream().filter(p -> !namesUser(p, home, user)).filter(usable).filter(passable)
                .findFirst();
        return other.orElse(tmp);
    }

    /**
     * Whether {@code dir} lies in {@code home} (not {@code /}), or has a path element that is
     * {@code user}'s name (root's too: {@code /root} is a home as any other).
     */
    public static boolean namesUser(Path dir, Path home, String user) {
        Path d = dir.toAbsolutePath().normalize();
        Path h = home.toAbsolutePath().normalize();
        if (h.getNameCount() > 0 && d.startsWith(h)) {
            return true;
        }
        for (Path element : d) {
            if (user != null && !user.isEmpty() && element.toString().equals(user)) {
                return true;
            }
        }
        return false;
    }

    /** A directory itself (not a link to one, whose target may lie anywhere) that this process may write in. */
    private static boolean usable(Path dir) {
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && Files.isWritable(dir) && Files.isExecutable(dir);
    }
}
