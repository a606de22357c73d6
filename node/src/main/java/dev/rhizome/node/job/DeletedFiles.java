package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bytes a job holds in files it deleted but keeps open, on its work directory's disk: such a file
 * (or one made {@code O_TMPFILE}) has no name, so the work directory's walk never sees it, and it
 * takes the disk until its last descriptor closes. Found through {@code /proc/<pid>/fd}, whose
 * links stat the open file itself; a file counts once however many descriptors hold it.
 */
final class DeletedFiles {
    /** Descriptors looked at per count at most, so that a job holding millions costs the node a bounded walk. */
    static final int MAX_DESCRIPTORS = 100_000;

    private final Path proc;
    private final int maxDescriptors;

    DeletedFiles(Path proc, int maxDescriptors) {
        this.proc = proc;
        this.maxDescriptors = maxDescriptors;
    }

    static DeletedFiles onThisMachine() {
        return new DeletedFiles(Path.of("/proc"), MAX_DESCRIPTORS);
    }

    /** The bytes held open by {@code processes} in files without a name on device {@code device}. */
    long bytes(List<ProcessHandle> processes, Object device) {
        Set<Object> seen = new HashSet<>();
        long bytes = 0;
        int looked = 0;
        for (ProcessHandle p : processes) {
            String[] fds = WorkDirBudget.list(proc.resolve(Long.toString(p.pid())).resolve("fd"));
            if (fds == null) {
                continue; // gone, or not the node's to look into
            }
            for (String fd : fds) {
                if (++looked > maxDescriptors) {
                    return bytes;
                }
                try {
                    Map<String, Object> a = Files.readAttributes(proc.resolve(Long.toString(p.pid())).resolve("fd").resolve(fd),
                            "unix:dev,ino,nlink,mode,size");
                    boolean regular = (((Integer) a.get("mode")) & 0170000) == 0100000;
                    if (regular && ((Integer) a.get("nlink")) == 0 && device.equals(a.get("dev"))
                            && seen.add(a.get("ino"))) {
                        bytes += WorkDirBudget.BLOCK * ((((Long) a.get("size")) + WorkDirBudget.BLOCK - 1) / WorkDirBudget.BLOCK);
                    }
                } catch (IOException | RuntimeException e) {
                    // closed since listed, or not a file (a pipe, a socket)
                }
            }
        }
        return bytes;
    }
}
