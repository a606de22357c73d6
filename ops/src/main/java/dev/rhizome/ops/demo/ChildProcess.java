package dev.rhizome.ops.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A role (coordinator, node) started as its own process, exactly as an operator would start it. */
final class ChildProcess implements AutoCloseable {
    /**
     * Children still running when this JVM exits without closing them (Ctrl-C, SIGTERM from
     * `timeout` or a service manager: the demo's finally never runs then). Without this hook the
     * coordinator and every node outlived the demo, holding their ports and CPU.
     */
    private static final Set<ChildProcess> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ChildProcess::closeAllAtExit, "demo-children"));
    }

    private final String name;
    private final Process process;
    private final Path log;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static ChildProcess start(String name, List<String> command, Path log) throws IOException {
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        ChildProcess child = new ChildProcess(name, p, log);
        LIVE.add(child);
        return child;
    }

    /** SIGTERM to every child at once, then SIGKILL to those (and their descendants) still there. */
    private static void closeAllAtExit() {
        List<ChildProcess> left = List.copyOf(LIVE);
        left.forEach(c -> c.process.destroy());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (ChildProcess c : left) {
            try {
                long wait = Math.max(0, deadline - System.nanoTime());
                if (!c.process.waitFor(wait, TimeUnit.NANOSECONDS)) {
                    c.process.descendants().forEach(ProcessHandle::destroyForcibly);
                    c.process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines of the log, to explain a failure. */
    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, so the role shuts down cleanly (nodes keep unsent results); SIGKILL if it hangs. */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            LIVE.remove(this);
            return;
        }
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        LIVE.remove(this);
    }
}
