package dev.rhizome.node.job;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.util.List;

/**
 * A launcher that confines nothing but the environment and the network: the process sees the
 * machine as this node's user does. What a plain launcher cannot stop (a job writing by absolute
 * path into another process's files, or opening {@code /proc/PID/fd} of a process of the same
 * user) is why a node should run jobs through a sandboxing launcher; see docs/architecture.md.
 */
public final class PlainLauncher implements ProcessLauncher {

    @Override
    public Process start(List<String> command, Confinement confinement, Redirect stdin, Redirect stdout,
            Redirect stderr) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(NetworkSandbox.wrap(JobRunner.resolve(command)))
                .directory(confinement.workDir().toFile())
                .redirectInput(stdin)
                .redirectOutput(stdout)
                .redirectError(stderr);
        builder.environment().clear();
        builder.environment().putAll(confinement.env());
        return builder.start();
    }
}
