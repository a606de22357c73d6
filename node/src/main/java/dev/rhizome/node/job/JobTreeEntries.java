package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The entries of a directory a job writes, as the node lists them to measure what the job holds
 * ({@link WorkDirBudget}, {@link MemoryFiles}): never waiting, never losing an entry by its name,
 * and never listing what the job swapped in since the directory was seen.
 * <ul>
 * <li>A plain {@code open} of a directory that the job swapped for a FIFO after the walk's
 * {@code lstat} waits for a writer for ever, and the job's time limit with it (measured on the same
 * thread). The directory is opened as {@code <dir>/.}, whose lookup needs a directory: anything else
 * there fails at once ({@code ENOTDIR}).</li>
 * <li>A name is bytes; Java's {@code String} names ({@code File.list}) decode them with the JVM's
 * file name encoding, and bytes that are not valid there (a name of {@code \xff}) came back as
 * U+FFFD, a name no file has: the walk took it for one deleted since, and a directory so named held
 * any amount unseen by the budget (under a C locale the same name threw, which stopped the measuring
 * itself). The entries are paths made from the bytes the kernel gave.</li>
 * <li>{@code <dir>/.} follows a link: a directory (or one above it) the job swapped for a link to
 * the node's data directory between the walk's look and this listing was listed and walked with
 * the node's rights. So {@link #seen} checks that what it opened is the very directory the walk saw
 * (device and inode, from {@code fstat} of the open directory), and reads each entry's attributes
 * relative to that open directory ({@code fstatat}, not following links): no path the job can
 * change since lies between what was verified and what is read. A directory of that device and
 * inode is the job's own wherever the job moved it, since a rename cannot leave its mount.</li>
 * </ul>
 */
final class JobTreeEntries {
    private JobTreeEntries() {
    }

    /** An entry of a listed directory, with its own attributes (a link is a link) as read relative to it. */
    record Entry(Path path, BasicFileAttributes attributes) {
        boolean isDirectory() {
            return attributes.isDirectory();
        }
    }

    /** What {@link #seen} found: the entries, or why there are none to count. */
    record Listing(List<Entry> entries, boolean swapped) {
        static final Listing SWAPPED = new Listing(List.of(), true);
    }

    /**
     * The entries of {@code dir}, each {@code dir.resolve(name)}; null when it cannot be listed (gone,
     * not a directory, unreadable, or its path past the kernel's limit: the caller looks at why).
     * For a tree only the node has written ({@link HandOver}); a job's is listed by {@link #seen}.
     */
    static List<Path> of(Path dir) {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir.resolve("."))) {
            for (Path e : s) {
                entries.add(dir.resolve(e.getFileName()));
            }
        } catch (IOException | DirectoryIteratorException e) {
            return null;
        }
        return entries;
    }

    /** The attributes of {@code path} itself (a link is a link), where a walk starts; null when it is gone. */
    static BasicFileAttributes lstat(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * The entries of the directory {@code dir} as the walk saw it ({@code seen}: its attributes from
     * {@link #lstat} or an earlier {@link Entry}), each with attributes read relative to the open
     * directory; {@link Listing#SWAPPED} when what {@code dir} names now is another file (the job
     * swapped it, or a directory above it, for a link or moved it, or it is gone); null when it is
     * still the directory seen and cannot be listed (unreadable, or its path past the kernel's limit).
     * Where the JDK gives no descriptor-relative access (not Linux), the entries are read by path
     * after the same check. At most {@code limit} entries are read: the callers stop past their
     * bound, and a job that filled one directory with millions of empty files (a second's work for it)
     * had them all read, looked at and held in the node's memory first, while it went on making more.
     */
    static Listing seen(Path dir, BasicFileAttributes seen, long limit) {
        for (int tries = 1; ; tries++) {
            Listing listed = listOnce(dir, seen, limit);
            if (listed != null || tries == LIST_TRIES) {
                return listed;
            }
            // A job flipping a directory above this one for a link (and back) makes the open fail
            // for an instant: one still there as seen is tried again before it counts as unlistable,
            // one gone or swapped since is nothing of the tree to count.
            BasicFileAttributes now;
            try {
                now = lstat(dir);
            } catch (IOException e) {
                return null;
            }
            if (now == null || !now.isDirectory() || !Objects.equals(now.fileKey(), seen.fileKey())) {
                return Listing.SWAPPED;
            }
        }
    }

    /** How often a directory still there as seen is opened before it counts as one that cannot be listed. */
    private static final int LIST_TRIES = 3;

    private static Listing listOnce(Path dir, BasicFileAttributes seen, long limit) {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir.resolve("."))) {
            SecureDirectoryStream<Path> open = s instanceof SecureDirectoryStream<Path> secure ? secure : null;
            Object key = open != null ? open.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey()
                    : Files.readAttributes(dir.resolve("."), BasicFileAttributes.class).fileKey();
            if (key == null || !Objects.equals(key, seen.fileKey())) {
                return Listing.SWAPPED;
            }
            for (Path e : s) {
                if (entries.size() >= limit) {
                    break;
                }
                Path name = e.getFileName();
                BasicFileAttributes a;
                try {
                    a = open != null
                            ? open.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                                    .readAttributes()
                            : Files.readAttributes(dir.resolve(name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException gone) {
                    continue; // removed by the job between listing and reading
                }
                entries.add(new Entry(dir.resolve(name), a));
            }
        } catch (IOException | DirectoryIteratorException e) {
            return null;
        }
        return new Listing(entries, false);
    }
}
