package dev.rhizome.client.agent;

import dev.rhizome.protocol.files.ChildrenAtExit;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs the user's agent command for one round: {@code /bin/sh -c <cmd>} in the workspace, with
 * the round's files in its environment, its output in a log, and a time limit after which the
 * command and every process it started are killed.
 */
final class AgentCommandRunner {
    record Run(int exitCode, boolean timedOut, long millis, Path log) {
    }

    private AgentCommandRunner() {
    }

    static Run run(String command, Path workspace, Map<String, String> env, Duration limit, Path log)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command)
                .directory(workspace.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        long start = System.nanoTime();
        Set<ProcessHandle> seen = ConcurrentHashMap.newKeySet();  // the exit's stop reads it too
        // `rhizome agent` stopped by Ctrl-C or SIGTERM mid-round exits through System.exit: without
        // this the agent command (a coding agent, running for many minutes) went on editing a
        // workspace nobody would submit, orphaned
        // a group: a SIGKILL of `rhizome agent` takes the command's own children (its tools) with it
        ChildrenAtExit.Child child = ChildrenAtExit.startGroup(pb, started -> {
            try {
                kill(started, seen);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Process p = child.process();
        try (child) {
            long deadline = start + limit.toNanos();
            while (!p.waitFor(Math.min(200, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(seen::add);
                if (System.nanoTime() >= deadline) {
                    kill(p, seen);
                    return new Run(-1, true, (System.nanoTime() - start) / 1_000_000, log);
                }
            }
            // Children the command left running would keep editing the workspace while it is submitted.
            p.descendants().forEach(seen::add);
            seen.forEach(ProcessHandle::destroyForcibly);
            return new Run(p.exitValue(), false, (System.nanoTime() - start) / 1_000_000, log);
        }
    }

    private static void kill(Process p, Set<ProcessHandle> seen) throws InterruptedException {
        p.descendants().forEach(seen::add);
        p.destroyForcibly();
        for (int round = 0; round < 10; round++) {
            int before = seen.size();
            for (ProcessHandle h : List.copyOf(seen)) {
                h.descendants().forEach(seen::add);
                h.destroyForcibly();
            }
            if (seen.size() == before) {
                break;
            }
        }
        p.waitFor(5, TimeUnit.SECONDS);
    }
}
