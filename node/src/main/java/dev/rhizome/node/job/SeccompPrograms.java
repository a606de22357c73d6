package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
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
 * <p>The directory is {@code <tmp>/rhizome-seccomp-<pid>-<random>}, mode 0711 (its files 0600 but the ones shown to jobs), made anew when
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
    /** The directory's mode: its owner's, and passable by others to the files shown to jobs ({@link #shown}). */
    static final String MODE = "rwx--x--x";
    /** Orphans are looked for once per process, when its first directory is made. */
    private static final AtomicBoolean SWEPT = new AtomicBoolean();

    private final Path tmp;
    private final Optional<SeccompFilter.Arch> arch;
    /** Null until first needed. */
    private Path dir;
    /** Set by the clean-up at exit: nothing is written after it (see {@link #closeAtExit}). */
    private boolean closed;
    private boolean hooked;

    SeccompPrograms(Path tmp, Optional<SeccompFilter.Arch> arch) {
        this.tmp = tmp.toAbsolutePath();
        this.arch = arch;
    }

    /** For this machine's architecture, in the JVM's temporary directory. */
    static SeccompPrograms forThisMachine() {
        return new SeccompPrograms(Path.of(System.getProperty("java.io.tmpdir")), SeccompFilter.Arch.host());
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
     * A new file of {@code data} for one start that the job's uid reads itself (bubblewrap binds it where
     * the job sees it), mode 0444: only what every local user may read anyway, as the job's copies of
     * {@code /proc} ({@link ProcViews}). The directory lets others pass (0711) but not list it, and its
     * other files are its owner's alone.
     */
    synchronized Path shown(String prefix, byte[] data) throws IOException {
        Path f = write(directory(), prefix, data);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--r--r--"));
        return f;
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
            // Passable (never listable) by the jobs' uids, which open the files shown to them ({@link #shown}).
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(MODE));
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
                if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(f);
                }
            }
        }
        return Files.deleteIfExists(d);
    }

    /** Still ours alone: a real directory (not a link), owned by this process's user, mode 0711 (0700 before round 25). */
    static boolean isPrivateDir(Path dir) throws IOException {
        try {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isDirectory() && (a.permissions().equals(PosixFilePermissions.fromString(MODE))
                    || a.permissions().equals(PosixFilePermissions.fromString("rwx------")))
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
