package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Gives a root node's job (which runs as a uid of its slot's, {@link JobUids}) what it must write: what the node made in the job's
 * directories, and never anything a job made there. A directory already of the job's uid is the
 * job's with all below it (a job cannot make an entry of another uid, nor move one out of a
 * directory it cannot write), so it is not entered; only directories the node made are, and one is
 * handed over only once all below it is.
 *
 * <p>So every path this uses runs through directories of the node's that no job can write: a job
 * cannot swap one of them for a link, nor plant a FIFO, a link or a tree deeper than the kernel's
 * path limit where this looks. A plain walk of the whole tree ({@code Files.walk}, before) went
 * through what an earlier phase of the job left (a harnessed seed's prepare, then its training, in
 * one checkout): a tree nested past the path limit threw out of the next phase's start, and a
 * directory swapped for a link between the walk's listing and its {@code chown} by path had the
 * node give the job whatever that link led to.
 */
final class HandOver {
    private HandOver() {
    }

    /** Makes {@code dir} and what the node made below it the job's ({@code uid}, and group {@code gid}). */
    static void toJob(Path dir, int uid, int gid) throws IOException {
        Map<String, Object> a = attributes(dir);
        if (a == null || (Integer) a.get("uid") == uid) {
            return;
        }
        if ((Boolean) a.get("isDirectory")) {
            List<Path> entries = JobTreeEntries.of(dir);
            if (entries == null) {
                throw new IOException("cannot list " + dir + " to give it to the job");
            }
            for (Path e : entries) {
                toJob(e, uid, gid);
            }
        }
        // lchown: a link is handed over as a link, its target untouched.
        Files.setAttribute(dir, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    /** Its owner and whether it is a directory, from one {@code lstat}; null when it is gone. */
    private static Map<String, Object> attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, "unix:uid,isDirectory", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
            return null;
        }
    }
}
