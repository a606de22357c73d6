package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a node of an ordinary user needs to run its jobs as subordinate uids of its own, made once at
 * the node's start and kept for its life: the jobs' user namespace ({@link JobUserNamespace}), the
 * descriptor helper in it ({@link NamespaceFds}), and the leases of the range's uids, one per slot,
 * held against the same user's other nodes (whose namespaces map the same range) in
 * {@code $XDG_RUNTIME_DIR}, the user's own directory (the temporary directory's where there is none).
 *
 * <p>Slot {@code n} runs its jobs as the namespace's id {@code 1+n} (the host's {@code first+n}) when
 * no other node of the user holds that one, else the next free one.
 */
final class SubordinateJobs implements AutoCloseable {
    /**
     * The group every slot's jobs run with: the namespace's gid 1 (the range's first subordinate gid
     * on the host), which passes the job directory's 0710 and nothing of the volunteer's. They ran
     * as the namespace's gid 0 before, the node's own primary group on the host, and so read every
     * file of the volunteer's that group may read (a 0640 file in a 0750 home shown to them) and
     * passed whatever directory that group passes; as a root node's jobs share {@link JobUids}'
     * group, the slots share this one, each with a uid of its own.
     */
    static final int JOBS_GID = 1;
    private final JobUserNamespace namespace;
    private final NamespaceFds fds;
    private final SubordinateIds uids;
    private final SubordinateIds gids;
    private final JobUidLeases leases;

    private SubordinateJobs(JobUserNamespace namespace, NamespaceFds fds, SubordinateIds uids, SubordinateIds gids,
            JobUidLeases leases) {
        this.namespace = namespace;
        this.fds = fds;
        this.uids = uids;
        this.gids = gids;
        this.leases = leases;
    }

    /**
     * Starts the namespace and helper for this process's user {@code name}, from {@code /etc/subuid} and
     * {@code /etc/subgid}; throws saying what is missing or failed (the doctor shows it with
     * {@link SubordinateIds#remedy}).
     */
    static SubordinateJobs start(String name) throws IOException {
        int uid = JobDirs.myUid();
        int gid = JobDirs.myGid();
        if (uid == 0) {
            throw new IOException("a root node runs its jobs as uids of JobUids', not subordinate ones");
        }
        SubordinateIds uids = range(Path.of("/etc/subuid"), name, uid);
        SubordinateIds gids = range(Path.of("/etc/subgid"), name, uid);
        // The namespace's ids 1 and up are the range's; past 2^31 the leases' int uids could not name them.
        int slots = (int) Math.min(Math.min(uids.count(), JobUids.SLOTS), Integer.MAX_VALUE - uids.first() + 1);
        JobUidLeases leases = new JobUidLeases(leaseDir(uid), uids.first(), slots);
        JobUserNamespace namespace = JobUserNamespace.start(uid, gid, uids, gids);
        try {
            return new SubordinateJobs(namespace, NamespaceFds.start(namespace), uids, gids, leases);
        } catch (IOException | RuntimeException e) {
            namespace.close();
            throw e;
        }
    }

    private static SubordinateIds range(Path file, String name, int uid) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return SubordinateIds.of(text, name, uid, 1)
                .orElseThrow(() -> new IOException("no subordinate ids for " + name + " in " + file));
    }

    /** The user's runtime directory ({@code $XDG_RUNTIME_DIR}, 0700 and the user's), else the temporary directory. */
    private static Path leaseDir(int uid) {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path base = runtime != null && !runtime.isBlank() && Files.isDirectory(Path.of(runtime)) && Files.isWritable(Path.of(runtime))
                ? Path.of(runtime) : Path.of(System.getProperty("java.io.tmpdir"));
        return base.resolve("rhizome-job-ids-" + uid);
    }

    /** Holds a namespace id for slot {@code slot}'s jobs until the slot lets it go ({@link Slot#close}). */
    Slot take(int slot) throws IOException {
        JobUidLeases.Lease lease = leases.take(slot);
        return new Slot(this, (int) (lease.uid() - uids.first() + 1), lease);
    }

    /**
     * The helper, which reads job processes' descriptors ({@link DescriptorSource}), walks checkouts
     * ({@link NamespaceFds#usage}) and counts their memory files.
     */
    NamespaceFds fds() {
        return fds;
    }

    JobUserNamespace namespace() {
        return namespace;
    }

    /** The host uid of the namespace's id {@code id}. */
    long hostUid(int id) {
        return JobUserNamespace.hostId(uids, id);
    }

    /** The host gid of the namespace's gid {@code id} (1 and up; {@link #JOBS_GID} is the jobs'). */
    long hostGid(int id) {
        return JobUserNamespace.hostId(gids, id);
    }

    @Override
    public void close() {
        fds.close();
        namespace.close();
    }

    /** One slot's id in the namespace, held against the user's other nodes. */
    static final class Slot implements AutoCloseable {
        private final SubordinateJobs jobs;
        private final int id;
        private final JobUidLeases.Lease lease;

        private Slot(SubordinateJobs jobs, int id, JobUidLeases.Lease lease) {
            this.jobs = Objects.requireNonNull(jobs, "jobs");
            this.id = id;
            this.lease = lease;
        }

        /** The job's uid in the namespace: 1 and up (0 is the node's). */
        int id() {
            return id;
        }

        SubordinateJobs jobs() {
            return jobs;
        }

        /** The prefix that runs what follows as this slot's id, group {@link #JOBS_GID} (which passes the job directory's 0710). */
        List<String> enter() throws IOException {
            return jobs.namespace.enter(id, JOBS_GID);
        }

        @Override
        public void close() {
            lease.close();
        }
    }
}
