package dev.rhizome.node.job;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The descriptors of jobs that run as subordinate uids, read by a {@link JobFdHelper} the node
 * starts in the jobs' user namespace as its root and keeps for as long as the namespace: one JVM
 * per node, asked once a second per job and rule. Each look is one request and its answer;
 * looks of several slots' watchers take turns.
 */
final class NamespaceFds implements DescriptorSource, AutoCloseable {
    private final Process helper;
    private final BufferedWriter requests;
    private final BufferedReader answers;
    /** Why the conversation broke (an answer cut short leaves the next one's lines in the pipe): every look after is blind. */
    private String broken;

    private NamespaceFds(Process helper) {
        this.helper = helper;
        this.requests = new BufferedWriter(new OutputStreamWriter(helper.getOutputStream(), StandardCharsets.US_ASCII));
        this.answers = new BufferedReader(new InputStreamReader(helper.getInputStream(), StandardCharsets.US_ASCII), 1 << 16);
    }

    /** Starts the helper in {@code namespace} as its root, from the node's own JDK and class path. */
    static NamespaceFds start(JobUserNamespace namespace) throws IOException {
        List<String> command = namespace.enter(0, 0);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), JobFdHelper.class.getName()));
        Process p = new ProcessBuilder(command).directory(Path.of("/").toFile())
                .redirectError(Redirect.DISCARD).start();
        NamespaceFds fds = new NamespaceFds(p);
        // One empty look: a helper that cannot start (no java there, the namespace gone) fails here, not in a job.
        DescriptorSource.Look first = fds.look(List.of(), 1, 0);
        if (first.blind() != null) {
            fds.close();
            throw new IOException("the descriptor helper in the jobs' user namespace did not start: " + first.blind());
        }
        return fds;
    }

    /** The helper's pid on the host, for tests that check a job cannot reach it. */
    long pid() {
        return helper.pid();
    }

    @Override
    public synchronized Look look(List<Long> pids, int max, long watchCap) {
        if (broken != null) {
            return Look.blind(broken);
        }
        List<JobDescriptor> found = new ArrayList<>();
        try {
            requests.write(max + " " + watchCap
                    + pids.stream().map(p -> " " + p).collect(Collectors.joining()) + "\n");
            requests.flush();
            for (String line = answers.readLine(); ; line = answers.readLine()) {
                if (line == null) {
                    broken = "its helper (pid " + helper.pid() + ") ended";
                    return Look.blind(broken);
                }
                if (line.startsWith("end ")) {
                    return new Look(found, line.equals("end 1"));
                }
                if (line.startsWith("error")) {
                    return Look.blind("its helper refused the request: " + JobText.printable(line, 80));
                }
                found.add(JobDescriptor.parse(line));
            }
        } catch (IOException | RuntimeException e) {
            broken = "its helper (pid " + helper.pid() + ") failed: " + e.getMessage();
            return Look.blind(broken);
        }
    }

    /**
     * {@link WorkDirBudget#usage} of {@code dir}, walked by the helper as the namespace's root, which
     * may list and {@code stat} a job's directories whatever modes the job gave them. Throws when the
     * helper cannot answer: the job is then stopped as one whose tree cannot be measured.
     */
    synchronized WorkDirBudget.Usage usage(java.nio.file.Path dir, long maxBytes, long maxEntries) throws IOException {
        String path = dir.toString();
        if (path.indexOf('\n') >= 0 || path.indexOf('\r') >= 0) {
            throw new IOException("a work directory's path holds a line break: " + JobText.printable(path, 200));
        }
        if (broken != null) {
            throw new IOException("the descriptor helper cannot walk the work directory: " + broken);
        }
        String line;
        try {
            requests.write(JobFdHelper.WALK + maxBytes + " " + maxEntries + " " + path + "\n");
            requests.flush();
            line = answers.readLine();
        } catch (IOException | RuntimeException e) {
            broken = "its helper (pid " + helper.pid() + ") failed: " + e.getMessage();
            throw new IOException("the descriptor helper cannot walk the work directory: " + broken, e);
        }
        if (line == null) {
            broken = "its helper (pid " + helper.pid() + ") ended";
            throw new IOException("the descriptor helper cannot walk the work directory: " + broken);
        }
        return JobFdHelper.parseUsage(line); // one line answered: an error there leaves the conversation whole
    }

    /**
     * {@link MemoryFiles#count} of job process {@code pid}'s {@code /tmp} and {@code /dev/shm}, counted by
     * the helper: why the job must stop, if it must. A helper that cannot answer stops the job too, as one
     * whose files cannot be counted.
     */
    synchronized Optional<String> memoryFiles(long pid, int maxEntries) {
        if (broken != null) {
            return Optional.of("the node could not count its /tmp and /dev/shm: " + broken);
        }
        String line;
        try {
            requests.write(JobFdHelper.MEMORY_FILES + maxEntries + " " + pid + "\n");
            requests.flush();
            line = answers.readLine();
        } catch (IOException | RuntimeException e) {
            broken = "its helper (pid " + helper.pid() + ") failed: " + e.getMessage();
            return Optional.of("the node could not count its /tmp and /dev/shm: " + broken);
        }
        if (line == null) {
            broken = "its helper (pid " + helper.pid() + ") ended";
            return Optional.of("the node could not count its /tmp and /dev/shm: " + broken);
        }
        if (line.equals("memfiles ok")) {
            return Optional.empty();
        }
        if (line.startsWith("memfiles stop ")) {
            return Optional.of(line.substring("memfiles stop ".length()));
        }
        return Optional.of("the node could not count its /tmp and /dev/shm: " + JobText.printable(line, 200));
    }

    @Override
    public void close() {
        helper.destroyForcibly();
    }
}
