package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The private directory bubblewrap's inputs are read from, and its life cycle: the seccomp
 * program (kept for the process's life, written again when gone) and the one-start files the
 * launcher's first shell opens on descriptors (bubblewrap's arguments, the job's passwd and
 * group), which the launcher deletes when the job ends.
 *
 * <p>The directory is {@code <tmp>/rhizome-seccomp-<pid>-<random>}, mode 0700, made anew when
 * something (a temp cleaner) removed it or it stopped being ours alone. Never a name of its own
 * in the shared temp directory: another local user could plant a program there, at the latest
 * once a temp cleaner had removed ours, and bubblewrap would load it. Named by the pid, so that
 * the directory of a node killed with SIGKILL (which never runs its delete-on-exit) is found and
 * removed by the next node: {@link #removeOrphans}.
 */
final class SeccompPrograms {
    static final String PREFIX = "rhizome-seccomp-";
    /** A directory's name: the prefix, its writer's pid, a random part. */
    private static final Pattern NAME = Pattern.compile(PREFIX + "([0-9]{1,19})-[0-9]+");
    private static final String PROGRAM = "filter.bpf";
    /** A start's directory of files shown to its job ({@link #shownDirectory}): the prefix, a random part. */
    static final String SHOWN_PREFIX = "rhizome-shown-";
    /** The private directory's record of a {@link #shownDirectory}: this prefix, the same random part. */
    private static final String SHOWN_MARK = "shown-";
    private static final String SHOWN_MODE = "rwx--x--x";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Orphans are looked for once per process, when its first directory is made. */
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    private final Path tmp;
    private final Optional<SeccompFilter.Arch> arch;
    private final Path shownParent;
    /** Null until first needed. */
    private Path dir;
    /** Set by the clean-up at exit: nothing is written after it (see {@link #closeAtExit}). */
    private boolean closed;
    private boolean hooked;

    SeccompPrograms(Path tmp, Optional<SeccompFilter.Arch> arch) {
        this(tmp, arch, tmp);
    }

    /** @param shownParent where each start's {@link #shownDirectory} is made */
    SeccompPrograms(Path tmp, Optional<SeccompFilter.Arch> arch, Path shownParent) {
        this.tmp = tmp.toAbsolutePath();
        this.arch = arch;
        this.shownParent = shownParent.toAbsolutePath();
    }

    /** For this machine's architecture, in the JVM's temporary directory. */
    static SeccompPrograms forThisMachine() {
        // Shown directories beside the job directories ({@link JobDirParent}): a place the jobs' uids pass, and
        // whose path (which the job reads) names no user.
        return new SeccompPrograms(Path.of(System.getProperty("java.io.tmpdir")), SeccompFilter.Arch.host(),
                JobDirParent.of());
    }

    /** The program's file, written again (in a new private directory if need be) when it is gone; none on an architecture the filter does not know. */
    synchronized Optional<Path> program() throws IOException {
        if (arch.isEmpty()) {
            return Optional.empty();
        }
        Path program = directory().resolve(PROGRAM);
        if (!Files.isRegularFile(program, LinkOption.NOFOLLOW_LINKS)) {
            Path written = write(dir, "filter-", SeccompFilter.program(arch.get()));
            Files.move(written, program, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            program.toFile().deleteOnExit();
        }
        return Optional.of(program);
    }

    /**
     * A new file of {@code data} for one start, in the private directory. The caller deletes it
     * once the process that reads it is gone; a node killed before that leaves it to {@link #removeOrphans}.
     */
    synchronized Path oneShot(String prefix, byte[] data) throws IOException {
        return write(directory(), prefix, data);
    }

    /**
     * A new directory for one start's files that the job's uid opens itself (bubblewrap binds them where
     * the job sees them, {@link #shown}): 0711, so that the jobs' uids pass it but nobody lists it. Its name
     * is random and new at each start, never the private directory's: the job reads the path in its
     * {@code /proc/self/mountinfo}, and a name of the node's (its pid, the same for every job it runs) would
     * tie its jobs together, as the host's boot id did. Recorded in the private directory first (a file
     * that holds its path), so that the clean-up at exit and {@link #removeOrphans} delete it with that
     * one; {@link #removeShown} once the job has ended.
     */
    synchronized Path shownDirectory() throws IOException {
        String random = Long.toUnsignedString(RANDOM.nextLong());
        Path shownPath = shownParent.resolve(SHOWN_PREFIX + random);
        Files.writeString(directory().resolve(SHOWN_MARK + random), shownPath.toString(), StandardCharsets.UTF_8);
        Path shown = Files.createDirectory(shownPath,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(shown, PosixFilePermissions.fromString(SHOWN_MODE));
        return shown;
    }

    /**
     * A file of {@code data} in {@code shown}, a {@link #shownDirectory}, mode 0444: only what every local user
     * may read anyway, as the job's copies of {@code /proc} ({@link ProcViews}).
     */
    static Path shown(Path shown, String prefix, byte[] data) throws IOException {
        Path f = write(shown, prefix, data);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--r--r--"));
        return f;
    }

    /**
     * The empty directory in {@code shown}, a {@link #shownDirectory}, that each overlay of the job's takes as its
     * second layer ({@link SharedTrees#EMPTY_LAYER}), mode 0555: the job's uid lists it, nobody writes it.
     */
    static Path emptyLayer(Path shown) throws IOException {
        Path empty = Files.createDirectory(shown.resolve(SharedTrees.EMPTY_LAYER));
        Files.setPosixFilePermissions(empty, PosixFilePermissions.fromString("r-xr-xr-x"));
        return empty;
    }

    /** Deletes {@code shown}, a {@link #shownDirectory}, with its files and its record; quietly, as at exit. */
    synchronized void removeShown(Path shown) {
        String name = shown.getFileName().toString();
        removeShownQuietly(shown);
        if (dir != null && name.startsWith(SHOWN_PREFIX)) {
            try {
                Files.deleteIfExists(dir.resolve(SHOWN_MARK + name.substring(SHOWN_PREFIX.length())));
            } catch (IOException e) {
                // deleted with the private directory at exit
            }
        }
    }

    private static void removeShownQuietly(Path shown) {
        try {
            PosixFileAttributes a = Files.readAttributes(shown, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isDirectory() && a.permissions().equals(PosixFilePermissions.fromString(SHOWN_MODE))
                    && (Integer) Files.getAttribute(shown, "unix:uid", LinkOption.NOFOLLOW_LINKS) == JobDirs.myUid()) {
                removeFilesAndDirectory(shown);
            }
        } catch (IOException e) {
            // gone already, or not ours: nothing of ours to delete
        }
    }

    private static Path write(Path dir, String prefix, byte[] data) throws IOException {
        Path f = Files.createTempFile(dir, prefix, ".tmp");  // 0600
        Files.write(f, data);
        return f;
    }

    /** The private directory, made (again) when it is not there or no longer ours alone. */
    private Path directory() throws IOException {
        if (closed) {
            throw new IOException("the process is exiting: no job starts now");
        }
        if (dir == null || !isPrivateDir(dir)) {
            long pid = ProcessHandle.current().pid();
            if (SWEPT.compareAndSet(false, true)) {
                removeOrphans(tmp, pid);
            }
            // Emptied and deleted at exit, not only the program: a node stopped (SIGTERM) while a
            // job runs exits before the job's one-shot files are deleted, and a directory's
            // delete-on-exit fails while it holds anything (the storm found one per stopped node).
            // Hooked before the directory is made: a first job starting once the exit has begun
            // (a node stopped as it resumed a unit) made it, was refused the hook, and left it.
            if (!hooked) {
                try {
                    Runtime.getRuntime().addShutdownHook(new Thread(this::closeAtExit, "seccomp-programs-exit"));
                } catch (IllegalStateException exiting) {
                    closed = true;
                    throw new IOException("the process is exiting: no job starts now");
                }
                hooked = true;
            }
            dir = Files.createTempDirectory(tmp, PREFIX + pid + "-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return dir;
    }

    /**
     * At exit: empties and deletes the private directory, and refuses every later write. Shutdown
     * hooks run beside the threads still starting jobs, so a one-shot file written after the clean-up
     * stayed, with its directory (a node stopped 0.2 s after it began a job, in the storm of
     * 2026-12-03); under this object's lock, no write is half done or comes after.
     */
    synchronized void closeAtExit() {
        closed = true;
        if (dir != null) {
            removeQuietly(dir);
        }
    }

    /** Deletes {@code d}'s files and then {@code d}, if it is still ours alone; what cannot be deleted stays for {@link #removeOrphans}. */
    private static void removeQuietly(Path d) {
        try {
            if (isPrivateDir(d)) {
                removeFilesAndDirectory(d);
            }
        } catch (IOException e) {
            // the next node's removeOrphans finds it: its pid is gone then
        }
    }

    private static boolean removeFilesAndDirectory(Path d) throws IOException {
        try (Stream<Path> files = Files.list(d)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.startsWith(SHOWN_MARK)) {
                    // a start's shown directory, by the path its record holds
                    try {
                        Path shown = Path.of(Files.readString(f, StandardCharsets.UTF_8));
                        if (shown.getFileName().toString().equals(SHOWN_PREFIX + name.substring(SHOWN_MARK.length()))) {
                            removeShownQuietly(shown);
                        }
                    } catch (IOException | RuntimeException unreadable) {
                        // a record cut short by a kill: its directory stays, empty but for one start's copies
                    }
                }
                if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(f);
                } else if (name.equals(SharedTrees.EMPTY_LAYER) && Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(f); // empty, as made (emptyLayer), or the delete fails and says so
                }
            }
        }
        return Files.deleteIfExists(d);
    }

    /** Still ours alone: a real directory (not a link), owned by this process's user, mode 0700. */
    static boolean isPrivateDir(Path dir) throws IOException {
        try {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isDirectory() && a.permissions().equals(PosixFilePermissions.fromString("rwx------"))
                    && (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) == JobDirs.myUid();
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /**
     * Deletes the directories of processes that are gone: a node killed with SIGKILL never runs
     * its delete-on-exit, so each kill left one in the temporary directory, for good. A directory
     * is its writer's while a process with its pid lives (a reused pid only keeps it longer);
     * links are never followed, and another user's directories are not ours to delete.
     *
     * @return how many were deleted
     */
    static int removeOrphans(Path tmp, long ownPid) {
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmp, PREFIX + "*")) {
            for (Path d : entries) {
                Matcher m = NAME.matcher(d.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid == ownPid || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
                        || !isPrivateDir(d)) {
                    continue;
                }
                if (removeFilesAndDirectory(d)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            return removed;  // a temporary directory we can't list or clear: nothing more to do
        }
        return removed;
    }
}
