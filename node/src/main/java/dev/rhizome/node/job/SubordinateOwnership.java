package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Hands a job's directories to its subordinate uid and gives them back, through the root of the
 * jobs' user namespace ({@link JobUserNamespace}), which holds {@code CAP_CHOWN} and
 * {@code CAP_DAC_READ_SEARCH} over every mapped id, where the node itself (an ordinary user) may
 * change no owner. coreutils' {@code chown -R -P} walks with {@code fts}, which opens each directory
 * {@code O_NOFOLLOW} relative to its parent: no link a job swapped in is followed, links are changed
 * as links ({@code -P} implies {@code -h} under {@code -R}), and no path grows past the kernel's limit
 * however deep the job nested its tree. Only ever run on a tree no job process is alive in.
 */
final class SubordinateOwnership {
    private SubordinateOwnership() {
    }

    /** Makes {@code dir} and all below it the namespace's id {@code id}'s (a slot's job uid), group {@link SubordinateJobs#JOBS_GID}. */
    static void toJob(JobUserNamespace ns, Path dir, int id) throws IOException {
        if (id < 1) {
            throw new IllegalArgumentException("a job's id in the namespace is 1 or more, not " + id);
        }
        chown(ns, id + ":" + SubordinateJobs.JOBS_GID, dir, true);
    }

    /**
     * Gives {@code dir} and everything below it back to the node (the namespace's root): what a job
     * made there, of its uid, modes as it left them (a {@code chmod 000} directory included), after
     * which {@link JobFiles#readRegular} and {@link JobDirs#deleteTree} work on it as on the node's own.
     */
    static void toNode(JobUserNamespace ns, Path dir) throws IOException {
        chown(ns, "0:0", dir, true);
    }

    /**
     * The job directory {@code name} for jobs of subordinate uids: what a node killed during a job
     * left there given back first (else the node, which could not delete it, would not start), then
     * emptied and made 0710 of the jobs' group ({@link SubordinateJobs#JOBS_GID}, a subordinate gid, set by
     * the namespace's root), so that bubblewrap, started as the job's uid, passes it to the checkout, and
     * no one else but the node: of the node's own group, it let through every other user of a primary
     * group shared with the volunteer (and the jobs, which ran with it, to the volunteer's files).
     */
    static Path prepareJobDir(JobUserNamespace ns, String name) throws IOException {
        Path root = JobDirs.rootOf(name);
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)
                && (Integer) Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS) == JobDirs.myUid()) {
            toNode(ns, root);
        }
        return forJobsGroup(ns, JobDirs.prepare(name));
    }

    /**
     * The node's job directory for this start ({@link JobDirs#prepareForNode}) for jobs of subordinate
     * uids: each directory an earlier start of the node left ({@link JobDirs#leftovers}) given back
     * first, as in {@link #prepareJobDir(JobUserNamespace, String)}.
     */
    static Path prepareNodeJobDir(JobUserNamespace ns, Path keyFile) throws IOException {
        // as JobDirs.prepareForNode: the earlier starts' trees given back and deleted before it returns
        return startNode(ns, keyFile).dirOnceLeftoversDeleted();
    }

    /**
     * This start's job directories for jobs of subordinate uids ({@link JobDirs#startNode}), an earlier
     * start's given back first, each made 0710 of the jobs' group, the one new for each job too.
     */
    static NodeJobDirs startNode(JobUserNamespace ns, Path keyFile) throws IOException {
        return JobDirs.startNode(keyFile, left -> toNode(ns, left), made -> forJobsGroup(ns, made));
    }

    private static Path forJobsGroup(JobUserNamespace ns, Path prepared) throws IOException {
        // The group first, then the mode: the other way round, the node's group would pass it for a moment.
        Files.setPosixFilePermissions(prepared, PosixFilePermissions.fromString("rwx------"));
        chown(ns, "0:" + SubordinateJobs.JOBS_GID, prepared, false);
        Files.setPosixFilePermissions(prepared, PosixFilePermissions.fromString("rwx--x---"));
        return prepared;
    }

    private static void chown(JobUserNamespace ns, String owner, Path dir, boolean recursive) throws IOException {
        List<String> command = new ArrayList<>(ns.enter(0, 0));
        command.add(SandboxProbe.onPath("chown").orElseThrow(() -> new IOException("chown is not installed")).toString());
        command.addAll(recursive ? List.of("-R", "-P") : List.of("-h"));
        command.addAll(List.of(owner, "--", dir.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).trim();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("chown " + owner + " of " + dir + " did not finish within 10 minutes");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while changing the owner of " + dir, e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("chown " + owner + " of " + dir + " in the jobs' user namespace failed (exit "
                    + p.exitValue() + "): " + JobText.printable(out, 400));
        }
    }
}
