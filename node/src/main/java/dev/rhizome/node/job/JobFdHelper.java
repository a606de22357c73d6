package dev.rhizome.node.job;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's eyes in its jobs' user namespace ({@link JobUserNamespace}): a process of the node's,
 * started there as the namespace's root by {@link NamespaceFds}, that lists and {@code stat}s job
 * processes' descriptors ({@link ProcDescriptors}) for the node. A job of a subordinate uid has a
 * {@code /proc/<pid>/fd} of mode 0500 that the node's own namespace may not read (its
 * capabilities count there, and it has none); the namespace's root holds {@code CAP_DAC_READ_SEARCH}
 * and {@code CAP_SYS_PTRACE} over every namespace below, bubblewrap's included.
 *
 * <p>A job cannot forge what this says: it runs as the namespace's root (the node's own uid on the
 * host), outside the job's nested namespace and PID namespace, so a job can neither name it, signal
 * it nor trace it (its uid is not the job's, and a job holds no capability in this namespace); its
 * stdin and stdout are pipes of the node's alone. What it sends is numbers only
 * ({@link JobDescriptor#line()}), never a path a job chose.
 *
 * <p>Protocol, one request a line on stdin: {@code <max> <watchCap> <pid>...}; the answer on stdout
 * is one {@link JobDescriptor#line()} per descriptor, then {@code end <more>} (1 when past {@code max}).
 */
public final class JobFdHelper {
    /** Pids a request may name, so that a bad line costs a bounded parse. */
    static final int MAX_PIDS = 100_000;
    /**
     * A request to walk a work directory ({@link WorkDirBudget#usage}): {@code walk <maxBytes> <maxEntries> <path>},
     * the path the node's (its job's checkout), never a job's; answered {@code usage <bytes> <entries>[ <why unmeasured>]}.
     */
    static final String WALK = "walk ";
    /**
     * A request to count a job process's memory mounts ({@link MemoryFiles#count}): {@code memfiles <maxEntries> <pid>},
     * answered {@code memfiles ok} or {@code memfiles stop <why>}.
     */
    static final String MEMORY_FILES = "memfiles ";

    private JobFdHelper() {
    }

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            answer(line, out);
            out.flush();
        }
    }

    static void answer(String request, BufferedWriter out) throws IOException {
        if (request.startsWith(MEMORY_FILES)) {
            out.write(memoryFiles(request.substring(MEMORY_FILES.length())));
            out.write('\n');
            return;
        }
        if (request.startsWith(WALK)) {
            out.write(walk(request.substring(WALK.length())));
            out.write('\n');
            return;
        }
        String[] f = request.trim().split(" ");
        if (f.length < 2 || f.length > MAX_PIDS + 2) {
            out.write("error bad request\n");
            return;
        }
        int max;
        long watchCap;
        List<Long> pids = new ArrayList<>();
        try {
            max = Integer.parseInt(f[0]);
            watchCap = Long.parseLong(f[1]);
            for (int i = 2; i < f.length; i++) {
                pids.add(Long.parseLong(f[i]));
            }
        } catch (NumberFormatException e) {
            out.write("error bad request\n");
            return;
        }
        DescriptorSource.Look look = ProcDescriptors.ON_THIS_MACHINE.look(pids, max, watchCap);
        for (JobDescriptor d : look.descriptors()) {
            out.write(d.line());
            out.write('\n');
        }
        out.write("end " + (look.more() ? 1 : 0) + "\n");
    }

    private static String memoryFiles(String request) {
        String[] f = request.split(" ");
        try {
            if (f.length != 2) {
                return "error bad request";
            }
            int max = Integer.parseInt(f[0]);
            long pid = Long.parseLong(f[1]);
            if (max < 0 || pid < 1) {
                return "error bad request";
            }
            java.nio.file.Path proc = java.nio.file.Path.of("/proc");
            return new MemoryFiles(proc, max).count(proc.resolve(Long.toString(pid)).resolve("root"))
                    .map(why -> "memfiles stop " + JobText.printable(why, 300).replace('\n', ' ').replace('\r', ' '))
                    .orElse("memfiles ok");
        } catch (NumberFormatException e) {
            return "error bad request";
        } catch (RuntimeException e) {
            return "error " + JobText.printable(String.valueOf(e.getMessage()), 200).replace('\n', ' ').replace('\r', ' ');
        }
    }

    private static String walk(String request) {
        String[] f = request.split(" ", 3);
        if (f.length != 3) {
            return "error bad request";
        }
        try {
            WorkDirBudget.Usage u = WorkDirBudget.usage(java.nio.file.Path.of(f[2]), Long.parseLong(f[0]), Long.parseLong(f[1]));
            return "usage " + u.bytes() + " " + u.entries()
                    + u.unmeasured().map(why -> " " + JobText.printable(why, 200).replace('\n', ' ').replace('\r', ' ')).orElse("");
        } catch (NumberFormatException e) {
            return "error bad request";
        } catch (IOException | RuntimeException e) {
            return "error " + JobText.printable(String.valueOf(e.getMessage()), 200).replace('\n', ' ').replace('\r', ' ');
        }
    }

    /** The node's reading of a {@link #WALK} answer; throws on an error or a malformed line. */
    static WorkDirBudget.Usage parseUsage(String line) throws IOException {
        if (!line.startsWith("usage ")) {
            throw new IOException("the walk failed: " + JobText.printable(line, 200));
        }
        String[] f = line.split(" ", 4);
        try {
            return new WorkDirBudget.Usage(Long.parseLong(f[1]), Long.parseLong(f[2]),
                    f.length == 4 ? java.util.Optional.of(f[3]) : java.util.Optional.empty());
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new IOException("a malformed answer to a walk: " + JobText.printable(line, 200));
        }
    }
}
