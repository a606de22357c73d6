package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Whether a job's uid can open each host path bubblewrap binds into its sandbox. bubblewrap runs as the
 * job's uid (a root node's {@link JobUids}), so it opens every bind's source itself, and a source under
 * a directory that uid may not pass (a 0700 directory of root's: a {@code mktemp -d} the node's temporary
 * directory was set under) failed every job, the start-up trial's too, with only bubblewrap's
 * "Can't find source path ...: Permission denied". This finds such a directory first and says which,
 * for whom, and what to do. Pure but for {@link #modeOf}.
 */
final class JobReach {
    /** A directory's owner, group and mode, as far as passing it goes. */
    record Mode(int uid, int gid, Set<PosixFilePermission> permissions) {
        /** Whether a process of {@code uid} and the one group {@code gid} (a job has no other) may pass it. */
        boolean passable(int byUid, int byGid) {
            if (byUid == 0) {
                return true;
            }
            if (uid == byUid) {
                return permissions.contains(PosixFilePermission.OWNER_EXECUTE);
            }
            if (gid == byGid) {
                return permissions.contains(PosixFilePermission.GROUP_EXECUTE);
            }
            return permissions.contains(PosixFilePermission.OTHERS_EXECUTE);
        }
    }

    private static final Set<String> BINDS = Set.of("--bind", "--ro-bind", "--dev-bind", "--bind-try",
            "--ro-bind-try", "--dev-bind-try");

    private JobReach() {
    }

    /** The host path of each bind in bubblewrap's {@code options}: the argument after each bind option. */
    static List<Path> bindSources(List<String> options) {
        List<Path> sources = new ArrayList<>();
        for (int i = 0; i + 1 < options.size(); i++) {
            if (BINDS.contains(options.get(i))) {
                sources.add(Path.of(options.get(i + 1)));
                i += 2;
            } else if (options.get(i).equals("--overlay-src")) {
                // An overlay's layer (SharedTrees), which bubblewrap opens as the job's uid as it does a bind's source.
                sources.add(Path.of(options.get(i + 1)));
                i += 1;
            }
        }
        return sources;
    }

    /**
     * The first directory from {@code /} down to {@code path}'s parent that {@code uid} with group {@code gid}
     * may not pass; empty when it may pass them all, or when a mode cannot be read (then nothing is claimed).
     */
    static Optional<Path> firstBlocking(Path path, int uid, int gid, Function<Path, Optional<Mode>> modes) {
        Path p = path.toAbsolutePath().normalize();
        Path dir = p.getRoot();
        for (int i = 0; i < p.getNameCount() - 1; i++) {
            Optional<Mode> mode = modes.apply(dir);
            if (mode.isPresent() && !mode.get().passable(uid, gid)) {
                return Optional.of(dir);
            }
            dir = dir.resolve(p.getName(i).toString());
        }
        Optional<Mode> last = modes.apply(dir);
        if (!dir.equals(p) && last.isPresent() && !last.get().passable(uid, gid)) {
            return Optional.of(dir);
        }
        return Optional.empty();
    }

    /**
     * Why a job of {@code uid} and {@code gid} could not start: the first of {@code sources} it cannot reach,
     * the directory in its way and the remedy; empty when it reaches them all.
     */
    static Optional<String> refusal(List<Path> sources, int uid, int gid, Function<Path, Optional<Mode>> modes) {
        for (Path source : sources) {
            Optional<Path> blocking = firstBlocking(source, uid, gid, modes);
            if (blocking.isPresent()) {
                Path b = blocking.get();
                String mode = modes.apply(b).map(m -> PosixFilePermissions.toString(m.permissions()) + ", owner uid "
                        + m.uid()).orElse("?");
                return Optional.of("jobs run as uid " + uid + " (group " + gid + ") and cannot reach " + source
                        + ", which the sandbox binds for them: " + b + " (" + mode + ") does not let them pass; set the "
                        + "node's temporary directory (TMPDIR, or -Djava.io.tmpdir) to one every user may pass, such as "
                        + "/var/tmp, or let others pass the directories on its way (chmod o+x " + b + "); then "
                        + "`rhizome node doctor` again");
            }
        }
        return Optional.empty();
    }

    /** {@link #refusal} with the machine's own modes, links on the way resolved as bubblewrap resolves them. */
    static Optional<String> refusal(List<Path> sources, int uid, int gid) {
        List<Path> real = new ArrayList<>();
        for (Path s : sources) {
            try {
                real.add(s.toRealPath());
            } catch (IOException e) {
                real.add(s); // missing (a -try bind) or out of the node's own reach: judged on its own path
            }
        }
        return refusal(real, uid, gid, JobReach::modeOf);
    }

    /** Whether every directory from {@code /} to {@code dir} itself lets any other user pass. */
    static boolean passableByOthers(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        return firstBlocking(d.resolve("x"), Integer.MAX_VALUE - 1, Integer.MAX_VALUE - 1, JobReach::modeOf).isEmpty();
    }

    static Optional<Mode> modeOf(Path dir) {
        try {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int gid = (Integer) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            return Optional.of(new Mode(uid, gid, a.permissions()));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
