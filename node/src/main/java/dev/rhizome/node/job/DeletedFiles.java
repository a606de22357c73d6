package dev.rhizome.node.job;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Bytes a job holds in files it deleted but keeps open, on its work directory's disk: such a file
 * (or one made {@code O_TMPFILE}) has no name, so the work directory's walk never sees it, and it
 * takes the disk until its last descriptor closes. Found through {@code /proc/<pid>/fd}, whose
 * links stat the open file itself ({@link DescriptorSource}); a file counts once however many
 * descriptors hold it.
 */
final class DeletedFiles {
    /** Descriptors looked at per count at most, so that a job holding millions costs the node a bounded walk. */
    static final int MAX_DESCRIPTORS = 100_000;

    private final DescriptorSource source;
    private final int maxDescriptors;

    DeletedFiles(DescriptorSource source, int maxDescriptors) {
        this.source = source;
        this.maxDescriptors = maxDescriptors;
    }

    static DeletedFiles onThisMachine() {
        return new DeletedFiles(DescriptorSource.onThisMachine(), MAX_DESCRIPTORS);
    }

    /** The bytes held open by {@code processes} in files without a name on device {@code device}. */
    long bytes(List<ProcessHandle> processes, long device) {
        Set<Long> seen = new HashSet<>();
        long bytes = 0;
        for (JobDescriptor d : source.look(processes.stream().map(ProcessHandle::pid).toList(), maxDescriptors, 0)
                .descriptors()) {
            if (d.regular() && d.nlink() == 0 && d.dev() == device && seen.add(d.ino())) {
                bytes += WorkDirBudget.BLOCK * ((d.size() + WorkDirBudget.BLOCK - 1) / WorkDirBudget.BLOCK);
            }
        }
        return bytes;
    }

    /**
     * How many files without a name {@code processes} hold open on {@code devices} (the job's memory
     * mounts, {@link MemoryFiles}): each takes an inode of kernel memory there that no walk sees.
     */
    long files(List<ProcessHandle> processes, Set<Long> devices) {
        if (devices.isEmpty()) {
            return 0;
        }
        Set<List<Long>> seen = new HashSet<>();
        for (JobDescriptor d : source.look(processes.stream().map(ProcessHandle::pid).toList(), maxDescriptors, 0)
                .descriptors()) {
            if (d.regular() && d.nlink() == 0 && devices.contains(d.dev())) {
                seen.add(List.of(d.dev(), d.ino()));
            }
        }
        return seen.size();
    }
}
