package dev.rhizome.node.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A job's descriptors read from {@code /proc/<pid>/fd} by whoever runs this: the node for jobs it
 * may look into, {@link JobFdHelper} for jobs of a subordinate uid. Each descriptor's link is read
 * (to tell an epoll instance) and {@code stat}'ed through (the open file itself, however it was
 * renamed or deleted since); a descriptor closed since listed comes with mode -1.
 */
final class ProcDescriptors implements DescriptorSource {
    static final ProcDescriptors ON_THIS_MACHINE = new ProcDescriptors(Path.of("/proc"));
    static final String EPOLL = "anon_inode:[eventpoll]";

    private final Path proc;

    ProcDescriptors(Path proc) {
        this.proc = proc;
    }

    @Override
    public Look look(List<Long> pids, int max, long watchCap) {
        List<JobDescriptor> found = new ArrayList<>();
        long watchesLeft = watchCap;
        for (long pid : pids) {
            Path dir = proc.resolve(Long.toString(pid));
            String[] fds = WorkDirBudget.list(dir.resolve("fd"));
            if (fds == null) {
                continue; // gone, or not ours to look into
            }
            for (String fd : fds) {
                if (found.size() == max) {
                    return new Look(found, true);
                }
                Path link = dir.resolve("fd").resolve(fd);
                boolean epoll = target(link).equals(EPOLL);
                long watches = epoll ? watches(dir.resolve("fdinfo").resolve(fd), watchesLeft) : 0;
                watchesLeft -= watches;
                found.add(described(pid, epoll, watches, link));
            }
        }
        return new Look(found, false);
    }

    private static JobDescriptor described(long pid, boolean epoll, long watches, Path link) {
        try {
            Map<String, Object> a = Files.readAttributes(link, "unix:mode,dev,ino,nlink,size");
            return new JobDescriptor(pid, epoll, watches, (Integer) a.get("mode"), (Long) a.get("dev"),
                    (Long) a.get("ino"), (Integer) a.get("nlink"), (Long) a.get("size"));
        } catch (IOException | RuntimeException e) {
            return new JobDescriptor(pid, epoll, watches, -1, 0, 0, 0, 0); // closed since listed
        }
    }

    /** What a descriptor's link names, or "" when it closed since listed. */
    private static String target(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The watches an epoll descriptor's fdinfo lists, read up to {@code enough}. */
    private static long watches(Path fdinfo, long enough) {
        long n = 0;
        try (BufferedReader in = Files.newBufferedReader(fdinfo, StandardCharsets.US_ASCII)) {
            for (String line = in.readLine(); line != null && n < enough; line = in.readLine()) {
                if (line.startsWith("tfd:")) {
                    n++;
                }
            }
        } catch (IOException | RuntimeException e) {
            // closed since listed
        }
        return n;
    }
}
