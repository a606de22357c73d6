package dev.rhizome.ops.demo;

import dev.rhizome.protocol.files.ChildrenAtExit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A role (coordinator, node) started as its own process, exactly as an operator would start it. */
final class ChildProcess implements AutoCloseable {
    private final String name;
    private final ChildrenAtExit.Child child;
    private final Process process;
    private final Path log;

    private ChildProcess(String name, ChildrenAtExit.Child child, Path log) {
        this.name = name;
        this.child = child;
        this.process = child.process();
        this.log = log;
    }

    static ChildProcess start(String name, List<String> command, Path log) throws IOException {
        Files.createDirectories(log.getParent());
        // a demo stopped by Ctrl-C or SIGTERM (`timeout`, a service manager) never reaches its finally:
        // without this every role it started outlived it, holding its ports and CPU
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return new ChildProcess(name, ChildrenAtExit.start(builder, p -> ChildrenAtExit.terminate(p, 10)), log);
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
    public void close() {
        ChildrenAtExit.terminate(process, 15);
        child.close();
    }
}
