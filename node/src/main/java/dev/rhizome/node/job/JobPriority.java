package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A job yields the machine to its owner, as volunteer computing clients do: a CPU job runs at the
 * lowest CPU priority (nice 19) and in the idle I/O class, so the volunteer's own programs always
 * come first. A GPU job runs at nice 10 and the lowest best-effort I/O level: the CPU thread that
 * feeds its GPU is not starved by the node's own CPU jobs, and it still yields to the owner's
 * programs. Set by coreutils' {@code nice} and util-linux's {@code ionice} before anything of the
 * job runs, so everything it starts inherits them; in the sandbox (no capabilities, no raised
 * RLIMIT_NICE) a job cannot raise them again.
 */
public final class JobPriority {
    static final int CPU_NICE = 19;
    static final int GPU_NICE = 10;
    private static final List<String> NONE = List.of();

    private final List<String> cpuPrefix;
    private final List<String> gpuPrefix;

    private JobPriority(Optional<Path> nice, Optional<Path> ionice) {
        this.cpuPrefix = prefix(nice, CPU_NICE, ionice, List.of("-c", "3"));
        this.gpuPrefix = prefix(nice, GPU_NICE, ionice, List.of("-c", "2", "-n", "7"));
    }

    /** With the tools found on this machine's PATH; a tool that is missing leaves its priority as it is. */
    public static JobPriority onThisMachine() {
        return find(SandboxProbe::onPath);
    }

    static JobPriority find(Function<String, Optional<Path>> tools) {
        return new JobPriority(tools.apply("nice"), tools.apply("ionice"));
    }

    /** {@code command} run at a job's priority; a GPU job is one given a GPU. */
    public List<String> apply(List<String> command, boolean gpuJob) {
        List<String> prefix = gpuJob ? gpuPrefix : cpuPrefix;
        if (prefix.isEmpty()) {
            return command;
        }
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(command);
        return List.copyOf(argv);
    }

    private static List<String> prefix(Optional<Path> nice, int niceness, Optional<Path> ionice, List<String> ioClass) {
        if (nice.isEmpty() && ionice.isEmpty()) {
            return NONE;
        }
        List<String> prefix = new ArrayList<>();
        nice.ifPresent(n -> prefix.addAll(List.of(n.toString(), "-n", Integer.toString(niceness))));
        ionice.ifPresent(io -> {
            prefix.add(io.toString());
            prefix.addAll(ioClass);
        });
        return List.copyOf(prefix);
    }
}
