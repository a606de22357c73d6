package dev.rhizome.node.job;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node checks out the code its jobs run: a directory of its own under the system's
 * temp directory, never inside the node's data directory, so that the only writable place a
 * sandboxed job has is nowhere near the node's key, repository or results.
 */
public final class JobDirs {
    private static final Logger log = LoggerFactory.getLogger(JobDirs.class);

    private JobDirs() {
    }

    /**
     * Empties and (re)creates {@code <java.io.tmpdir>/rhizome-jobs-<uid>-<name>}: only the node lists
     * or creates entries in it, and only the job's uid may pass through it to its own checkout (mode
     * 0700; 0710 of the jobs' group, {@link JobUids#GID}, for a node running as root, whose jobs run
     * as uids of their own). No other
     * local user may: a job can leave a set-user-ID program of its uid in its checkout (the sandbox's
     * mounts are nosuid, the host's view of the checkout is not), and whoever reached it ran it as
     * that uid, the node's own when the node is not root. Refuses a path that is a symlink or belongs
     * to someone else (a trap set in /tmp).
     */
    public static Path prepare(String name) throws IOException {
        Path root = rootOf(name); // refuses a name that is not one path element
        if (Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isSymbolicLink(root) || !Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)
                    || uid(root) != myUid()) {
                throw new IOException(root + " exists and is not this user's directory; remove it");
            }
            deleteTree(root);
        }
        deleteLeftoverTrash(root);
        return create(root);
    }

    /**
     * A node's job directory for this start, {@code <java.io.tmpdir>/rhizome-<32 hex>}, made as
     * {@link #prepare} makes one, once what earlier starts of the node left ({@link #leftovers} of the
     * key kept in {@code keyFile}) is deleted. Its name is new at each start and tagged with a key
     * ({@link JobDirNames}): the kernel names a job's checkout by its host path in the job's
     * {@code /proc/self/mountinfo}, and {@code rhizome-jobs-<uid>-<name>} told every job the node's uid
     * and a name the node kept for life, by which jobs of one node told each other apart from another's.
     * The key itself is new at each start too, written to {@code keyFile} after the old key's
     * leftovers are gone and before anything is made under the new one (so a kill at any point leaves
     * nothing the next start cannot find): a key made before the names were tagged was the job
     * directory's name, seen by every job then, and a key kept for life would let anyone who ever
     * learned it tell this node's directories apart for good.
     */
    public static Path prepareForNode(Path keyFile) throws IOException {
        return prepareForNode(keyFile, left -> {
        });
    }

    /** {@link #prepareForNode(Path)}, each leftover handed to {@code handover} before it is deleted. */
    static Path prepareForNode(Path keyFile, Handover handover) throws IOException {
        return startNode(keyFile, handover, made -> made).dirOnceLeftoversDeleted();
    }

    /**
     * This start's job directories ({@link NodeJobDirs}), with a new key: its own, made now, and one new
     * for each job; {@code forJobs} makes each passable by the jobs' group where jobs run as subordinate
     * uids. What earlier starts left ({@link #leftovers} of their keys) is deleted on a thread of its own
     * ({@link NodeJobDirs#leftoversDeleted}), its keys kept in {@link LeftoverJobDirs} until it is.
     */
    public static NodeJobDirs startNode(Path keyFile) throws IOException {
        return startNode(keyFile, left -> {
        }, made -> made);
    }

    static NodeJobDirs startNode(Path keyFile, Handover handover, NodeJobDirs.ForJobs forJobs) throws IOException {
        String previous = nameIn(keyFile);
        LeftoverJobDirs kept = new LeftoverJobDirs(keyFile);
        Set<String> keys = new java.util.LinkedHashSet<>(kept.keys());
        keys.add(previous);
        String key;
        try {
            kept.keep(keys);
            key = newNameIn(keyFile);
        } catch (IOException full) {
            // A full disk (a killed job may have filled it): what the old keys tagged goes now, which
            // may make the room, and the last key serves again if it does not (FullDiskNodeTest).
            deleteLeftovers(keys, handover);
            try {
                key = newNameIn(keyFile);
            } catch (IOException stillFull) {
                key = previous;
            }
            return new NodeJobDirs(forJobs.apply(newTagged(key)), key, forJobs, CompletableFuture.completedFuture(0));
        }
        CompletableFuture<Integer> deleted = new CompletableFuture<>();
        NodeJobDirs dirs = new NodeJobDirs(forJobs.apply(newTagged(key)), key, forJobs, deleted);
        Thread deleter = new Thread(() -> {
            try {
                LeftoversDeleted done = deleteLeftovers(keys, handover, dirs::stopping);
                if (done.stopped()) {
                    // the keys stay kept: the next start deletes what is left, from where this one stopped
                    log.info("the delete of the job directories an earlier run left stopped with the node after {} "
                            + "of them; the next start goes on with it", done.count());
                } else {
                    kept.forget(keys);
                }
                deleted.complete(done.count());
            } catch (IOException | RuntimeException e) {
                deleted.completeExceptionally(e);
            }
        }, "job-dirs-leftovers");
        // a daemon: a stop tells it to stop (NodeJobDirs.stop) and waits a bounded time, and a kill
        // leaves the keys kept, so the process's end never waits on a tree of 200,000 entries
        deleter.setDaemon(true);
        deleter.start();
        return dirs;
    }

    /** How many leftovers a start deleted, and whether a stop cut it before the last. */
    private record LeftoversDeleted(int count, boolean stopped) {
    }

    /**
     * Deletes what {@code keys} tagged, each directory handed to {@code handover} first; once
     * {@code stopping} says so, it undoes the tree under way ({@link #deleteTree(Path,
     * java.util.function.BooleanSupplier)}) and leaves the rest whole for the next start.
     */
    private static LeftoversDeleted deleteLeftovers(Set<String> keys, Handover handover,
            java.util.function.BooleanSupplier stopping) throws IOException {
        int count = 0;
        for (String k : keys) {
            for (Path old : leftovers(k)) {
                if (stopping.getAsBoolean()) {
                    return new LeftoversDeleted(count, true);
                }
                handover.giveBack(old);
                if (!deleteTree(old, stopping)) {
                    return new LeftoversDeleted(count, true);
                }
                deleteLeftoverTrash(old);
                count++;
            }
        }
        return new LeftoversDeleted(count, false);
    }

    /** {@link #deleteLeftovers(Set, Handover, java.util.function.BooleanSupplier)}, run to its end. */
    private static int deleteLeftovers(Set<String> keys, Handover handover) throws IOException {
        return deleteLeftovers(keys, handover, () -> false).count();
    }

    /** A new job directory in the temporary directory, named and tagged with {@code key} ({@link JobDirNames#fresh}), made as {@link #create} does. */
    static Path newTagged(String key) throws IOException {
        while (true) {
            Path root = tmpDir().resolve(JobDirNames.fresh(key));
            if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
                return create(root);
            }
        }
    }

    /** What is done with an earlier start's directory before it is deleted (a subordinate uid's tree is given back). */
    @FunctionalInterface
    interface Handover {
        void giveBack(Path leftover) throws IOException;
    }

    /**
     * This user's job directories that earlier starts of the node of {@code key} made (a killed node
     * left them, its checkouts in them) and those whose delete a kill cut short (a trash beside
     * them): the temporary directory's entries whose name {@link JobDirNames#madeWith} {@code key},
     * and the job directory of the name the node kept before ({@code rhizome-jobs-<uid>-<key>}).
     * Never another node's (another key) nor another user's (another owner), nor a link.
     */
    public static List<Path> leftovers(String key) throws IOException {
        Path tmp = tmpDir();
        java.util.Set<Path> found = new java.util.LinkedHashSet<>();
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(tmp, "{" + JobDirNames.PREFIX + "*,."
                + JobDirNames.PREFIX + "*}")) {
            s.forEach(entries::add);
        }
        for (Path e : entries) {
            String name = e.getFileName().toString();
            String root = name.startsWith(".") ? name.substring(1).replaceFirst("\\.deleting-[0-9a-f]+$", "") : name;
            if (JobDirNames.madeWith(root, key) && Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) && uid(e) == myUid()) {
                found.add(tmp.resolve(root));
            }
        }
        if (key.matches("[A-Za-z0-9._-]+")) {
            Path before = rootOf(key);
            if (Files.isDirectory(before, LinkOption.NOFOLLOW_LINKS) && uid(before) == myUid()) {
                found.add(before);
            }
        }
        return List.copyOf(found);
    }

    /** Where job directories are made: the temporary directory, unless it names the node's user ({@link JobDirParent}). */
    static Path tmpDir() {
        return JobDirParent.of();
    }

    /** Makes {@code root}, the node's alone (and its jobs' group's to pass, for a node running as root). */
    private static Path create(Path root) throws IOException {
        try {
            Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            throw new IOException(root + " appeared while it was being created; is another node using it?", e);
        }
        if (myUid() == 0) {
            Files.setAttribute(root, "unix:gid", JobUids.GID, LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x---"));
        } else {
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------")); // the umask may have cut it
        }
        return root;
    }

    /** Where {@link #prepare} makes the job directory {@code name}: {@code <java.io.tmpdir>/rhizome-jobs-<uid>-<name>}. */
    static Path rootOf(String name) throws IOException {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("bad job directory name: " + name);
        }
        return tmpDir().resolve("rhizome-jobs-" + myUid() + "-" + name);
    }

    /** The trash of an earlier delete of {@code root} that did not finish (the node was killed): this user's only. */
    private static void deleteLeftoverTrash(Path root) throws IOException {
        String prefix = trashPrefix(root);
        List<Path> left = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root.getParent(), prefix + "*")) {
            s.forEach(left::add);
        }
        for (Path trash : left) {
            if (Files.isDirectory(trash, LinkOption.NOFOLLOW_LINKS) && uid(trash) == myUid()) {
                deleteTree(trash);
            }
        }
    }

    /**
     * The name kept in {@code file}, made (16 random hex digits) and kept there the first time (or
     * when what is there is no such name): the key of the last start's job directories, by which the
     * next start finds what a crash left ({@link #prepareForNode}, which then replaces it).
     */
    public static String nameIn(Path file) throws IOException {
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            String kept = Files.readString(file).strip();
            if (kept.matches("[0-9a-f]{16}")) {
                return kept;
            }
        }
        return newNameIn(file);
    }

    /** A new name (16 random hex digits), kept in {@code file} in place of the one there, durably. */
    static String newNameIn(Path file) throws IOException {
        String name = HexFormat.of().toHexDigits(new SecureRandom().nextLong());
        DurableFiles.replace(file, (name + "\n").getBytes(StandardCharsets.US_ASCII));
        return name;
    }

    /**
     * This process's effective uid, from the {@code Uid:} line of {@code /proc/self/status} (real,
     * effective, saved, file system). Not the owner of {@code /proc/self}: that is a symlink owned
     * by root, which made every node believe it ran as root (and try to drop to nobody).
     */
    public static int myUid() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                String[] ids = line.substring(4).trim().split("\\s+");
                if (ids.length >= 2) {
                    return Integer.parseInt(ids[1]);
                }
            }
        }
        throw new IOException("no Uid line in /proc/self/status");
    }

    /** This process's effective gid, from the {@code Gid:} line of {@code /proc/self/status}. */
    static int myGid() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Gid:")) {
                String[] ids = line.substring(4).trim().split("\\s+");
                if (ids.length >= 2) {
                    return Integer.parseInt(ids[1]);
                }
            }
        }
        throw new IOException("no Gid line in /proc/self/status");
    }

    private static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Removes the job directories named {@code <prefix><pid>} (the sandbox probe's, one per
     * process) of this user whose process is gone: a node killed during its probe at start (the
     * storm's kills land there under load) left one each time, for good, since only a process of
     * the same pid would empty it. Links are never followed; a reused pid only keeps one longer.
     *
     * @return how many were removed
     */
    public static int removeOrphans(String prefix) throws IOException {
        Path tmp = tmpDir();
        String start = "rhizome-jobs-" + myUid() + "-" + prefix;
        int removed = 0;
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(tmp, start + "*")) {
            s.forEach(candidates::add);
        }
        for (Path d : candidates) {
            String pid = d.getFileName().toString().substring(start.length());
            if (!pid.matches("[0-9]{1,18}") || ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false)
                    || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS) || uid(d) != myUid()) {
                continue;
            }
            deleteLeftoverTrash(d);
            deleteTree(d);
            removed++;
        }
        return removed;
    }

    /** Removes a job directory and whatever checkouts are left in it. */
    public static void delete(Path root) throws IOException {
        if (Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            deleteTree(root);
        }
    }

    /**
     * Deletes a tree a job wrote, whatever it did to it. Call this once the job's processes are
     * dead; it stays safe if one is not (a job that outlived its sandbox, or whose end the node
     * could not wait for). A plain walk fails, and leaves the tree on the volunteer's disk (and a
     * node that empties its job directory at start unable to start), on two things a job can do:
     * <ul>
     * <li>nest directories deeper than the kernel's 4096-byte path limit (it creates them one
     * {@code chdir} at a time): every directory is first moved into a trash directory, so no path
     * this method uses is longer than the trash's and two names more;</li>
     * <li>make a directory unreadable ({@code chmod 000}; a job running as the node's own user owns
     * its files): each directory is given back {@code rwx} for its owner before it is listed.</li>
     * </ul>
     * The trash is a new directory of the node's, 0700, next to the tree, not in it: a job sees its
     * checkout, and when the trash was inside, a live job replaced a directory waiting there with a
     * symbolic link to one of the volunteer's, whose files the node then listed and deleted with its
     * own rights. Outside the job's view, an entry of the trash is what the node moved there: a
     * directory is listed only once {@code lstat} there says it is one (a link moved there, swapped
     * in before the move, is deleted as a link). Symbolic links are deleted, never followed.
     */
    public static void deleteTree(Path dir) throws IOException {
        deleteTree(dir, () -> false);
    }

    /**
     * {@link #deleteTree(Path)}, which, once {@code stopping} says so, undoes what it started rather than
     * leave its trash behind: the directories waiting in the trash go back into {@code dir} and the
     * trash is removed, so that a node's stop leaves the job directory whole (tagged with its start's key,
     * which the next start deletes) and no {@code .<name>.deleting-*} beside it. Returns whether it
     * deleted {@code dir}.
     */
    public static boolean deleteTree(Path dir, java.util.function.BooleanSupplier stopping) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        BasicFileAttributes top = attributes(root);
        if (top == null) {
            return true;
        }
        if (!top.isDirectory()) {
            Files.deleteIfExists(root);
            return true;
        }
        if (stopping.getAsBoolean()) {
            return false;
        }
        Trash trash = new Trash(root);
        try {
            openUp(root);
            trash.drain(root);
            for (Path d = trash.next(); d != null; d = trash.next()) {
                if (stopping.getAsBoolean()) {
                    trash.putBack(d, root);
                    return false;
                }
                BasicFileAttributes a = attributes(d);
                if (a == null) {
                    continue;
                }
                if (!a.isDirectory()) {
                    Files.deleteIfExists(d);
                    continue;
                }
                openUp(d);
                trash.drain(d);
                Files.deleteIfExists(d);
            }
            Files.deleteIfExists(root);
            return true;
        } finally {
            trash.close();
        }
    }

    /**
     * The name a trash of {@code root} starts with: {@code .<root's name>.deleting-}, so that a node
     * killed in the middle of deleting its job directory finds that trash, next to it in the shared
     * temp directory, at its next start ({@link #prepare}), and never takes another's.
     */
    static String trashPrefix(Path root) {
        String name = root.getFileName().toString();
        return "." + name.substring(0, Math.min(name.length(), 160)) + ".deleting-";
    }

    /** Where the directories of a tree being deleted wait, one level deep, to be emptied in turn. */
    private static final class Trash {
        /** A live job may keep refilling a directory it holds open; past this many listings the delete gives up. */
        private static final int MAX_DRAINS = 8;

        final Path dir;
        private final ArrayDeque<Path> pending = new ArrayDeque<>();
        private long names;

        /**
         * A new directory of a name not taken yet, next to {@code root}: in the node's job directory
         * for a checkout, in the system's temp directory for the job directory itself, where another
         * user may hold a name (then another is picked) but, the directory being sticky, not take
         * ours away.
         */
        Trash(Path root) throws IOException {
            Path parent = root.getParent();
            if (parent == null) {
                throw new IOException("will not delete " + root);
            }
            Path d;
            while (true) {
                d = parent.resolve(trashPrefix(root) + Long.toHexString(ThreadLocalRandom.current().nextLong()));
                try {
                    Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                    break;
                } catch (FileAlreadyExistsException taken) {
                    // someone has one of that name: pick another
                }
            }
            this.dir = d;
        }

        Path next() {
            return pending.poll();
        }

        /**
         * Deletes what is in {@code d} except directories, which are moved here to wait. Nothing in
         * {@code d} is followed: an entry is removed ({@code unlink}) or moved ({@code rename}) as
         * whatever it is by then, so an entry a live job swaps after the {@code lstat} is at worst
         * moved here as a link, and deleted as one.
         */
        void drain(Path d) throws IOException {
            for (int round = 0; ; round++) {
                List<Path> entries = new ArrayList<>();
                try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
                    s.forEach(entries::add);
                }
                if (entries.isEmpty()) {
                    return;
                }
                if (round == MAX_DRAINS) {
                    throw new IOException("cannot empty " + d + ": something keeps writing there");
                }
                for (Path e : entries) {
                    BasicFileAttributes a = attributes(e);
                    if (a == null) {
                        continue;
                    }
                    try {
                        if (a.isDirectory()) {
                            moveHere(e);
                        } else {
                            Files.deleteIfExists(e);
                        }
                    } catch (FileSystemException changed) {
                        // swapped since the lstat (a directory now, or gone): the next round sees what it is
                    }
                }
            }
        }

        private void moveHere(Path e) throws IOException {
            Path to = dir.resolve("d" + names++);
            try {
                Files.move(e, to, StandardCopyOption.ATOMIC_MOVE);
            } catch (AccessDeniedException denied) {
                // Moving a directory rewrites its "..": it must be writable. Only now is its mode
                // changed, never through a link a live job swapped in ({@link #setMode}), since a
                // job rarely takes a directory's.
                openUp(e);
                Files.move(e, to, StandardCopyOption.ATOMIC_MOVE);
            }
            pending.add(to);
        }

        /**
         * Moves {@code current} and every directory still waiting back into {@code root}, which nothing of the
         * job's can reach any more (its job has ended), so that {@link #close} removes the trash.
         */
        void putBack(Path current, Path root) throws IOException {
            pending.addFirst(current);
            while (!pending.isEmpty()) {
                Path d = pending.peek();
                Path to = root.resolve(d.getFileName().toString());
                for (int i = 0; Files.exists(to, LinkOption.NOFOLLOW_LINKS); i++) {
                    to = root.resolve(d.getFileName() + "-" + i);
                }
                Files.move(d, to, StandardCopyOption.ATOMIC_MOVE);
                pending.poll();
            }
        }

        /** The trash itself, once emptied; left for the next start's delete when it could not be. */
        void close() throws IOException {
            if (pending.isEmpty()) {
                Files.deleteIfExists(dir);
            }
        }
    }

    /** The attributes of the entry itself (a link is a link), or null when there is none. */
    private static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Gives a directory's owner back what deleting its entries needs, when they lack it. */
    static void openUp(Path dir) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (!perms.containsAll(OWNER_RWX)) {
            Set<PosixFilePermission> opened = EnumSet.copyOf(OWNER_RWX);
            opened.addAll(perms);
            try {
                setMode(dir, opened);
            } catch (IOException e) {
                // not ours (a node running as root deletes anything anyway): the walk says what failed
            }
        }
    }

    /**
     * Sets the mode of what is at {@code dir}, a directory when it was looked at, through a
     * descriptor opened {@code O_NOFOLLOW} ({@code fchmod}: the JDK's view that does not follow
     * links): a link a live job swapped in since is refused (ELOOP), where a {@code chmod} by path
     * gave a file of the node's user its owner's rwx. A directory its owner may not read cannot be
     * opened so (by a node not running as root); only that one's mode is still set by path (Java
     * has no {@code O_PATH} nor {@code fchmodat}; {@code dir/.} needs the search right it lacks).
     */
    static void setMode(Path dir, Set<PosixFilePermission> mode) throws IOException {
        try {
            Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setPermissions(mode);
        } catch (AccessDeniedException unreadable) {
            Files.setPosixFilePermissions(dir, mode);
        }
    }

    private static final Set<PosixFilePermission> OWNER_RWX = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
}
