package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A job yields the machine to its owner, as volunteer computing clients do: a CPU job runs at the
 * lowest CPU priority (nice 19) and in the idle I/O class, so the volunteer's own programs always
 * come first. A GPU job runs at nice 10 and the lowest best-effort I/O level: the CPU thread that
 * feeds its GPU is not starved by the node's own CPU jobs, and it still yields to the owner's
 * programs. Set by coreutils' {@code nice} and util-linux's {@code ionice} before anything of the
 * job runs, so everything it starts inherits them; in the sandbox (no capabilities, no raised
 * RLIMIT_NICE) a job cannot raise them again.
 *
 * <p>Where the kernel groups tasks by session (autogroup, on by default on desktop distributions),
 * nice orders tasks within their session's group only, and each group gets an equal share: a job
 * in a session of its own (bubblewrap's {@code --new-session}) at nice 19 took as much CPU as
 * the owner's whole desktop session. So the job's session is made here, by util-linux's
 * {@code setsid}, before anything of the job runs, and its group is given the job's niceness
 * ({@code /proc/self/autogroup}); the sandbox then makes no session of its own
 * ({@link #ownSession}) and mounts {@code /proc} read-only, so the job cannot give it back.
 */
public final class JobPriority {
    static final int CPU_NICE = 19;
    static final int GPU_NICE = 10;

    private final List<String> cpuPrefix;
    private final List<String> gpuPrefix;
    private final boolean ownSession;
    /** Whether jobs run niced at all (a machine without {@code nice} runs them as the node). */
    private final boolean niced;

    /** The niceness each session of a CPU job, and of a GPU job, is given (its autogroup's, {@link #rule}). */
    private final int cpuGroupNice;
    private final int gpuGroupNice;

    private JobPriority(Optional<Path> nice, Optional<Path> ionice, Optional<Path> setsid) {
        this(nice, new Level(CPU_NICE, CPU_NICE, List.of("-c", "3")),
                new Level(GPU_NICE, GPU_NICE, List.of("-c", "2", "-n", "7")), ionice, setsid);
    }

    private JobPriority(Optional<Path> nice, Level cpu, Level gpu, Optional<Path> ionice, Optional<Path> setsid) {
        this.niced = nice.isPresent();
        this.cpuGroupNice = cpu.groupNice();
        this.gpuGroupNice = gpu.groupNice();
        this.cpuPrefix = prefix(nice, cpu, ionice, setsid);
        this.gpuPrefix = prefix(nice, gpu, ionice, setsid);
        this.ownSession = setsid.isPresent();
    }

    /**
     * One kind of job's priority: {@code nice -n added} (added to the starter's own niceness, up to
     * 19), its session's autogroup set to {@code groupNice}, and {@code ionice}'s {@code ioClass}.
     */
    private record Level(int added, int groupNice, List<String> ioClass) {
    }

    /** Whether {@link #apply} starts the job in a session of its own (whose autogroup has the job's niceness). */
    public boolean ownSession() {
        return ownSession;
    }

    /** With the tools found on this machine's PATH; a tool that is missing leaves its priority as it is. */
    public static JobPriority onThisMachine() {
        return find(name -> name.equals("setsid") ? SETSID : SandboxProbe.onPath(name));
    }

    /** Leaves a process at the priority of whoever starts it. */
    static JobPriority unchanged() {
        return find(name -> Optional.empty());
    }

    /**
     * A job started by the same route as {@link #onThisMachine}'s (nice, ionice, a session of its own
     * whose autogroup is kept at the job's niceness) but at the priority of whoever starts it: its
     * niceness raised by 0, the I/O class the kernel derives from it (class 0, as for any process
     * never given one), its sessions' groups at the starter's own group's niceness. For the tests of
     * the sandbox itself: their jobs at nice 19 and in the idle I/O class got next to nothing of a
     * machine busy with builds, and ran past any budget a hang could be told apart by.
     */
    static JobPriority atCallersPriority() {
        Function<String, Optional<Path>> tools = name -> name.equals("setsid") ? SETSID : SandboxProbe.onPath(name);
        int group = Math.max(0, AutogroupNice.ownGroupNice().orElse(0));
        Level level = new Level(0, group, List.of("-c", "0"));
        return new JobPriority(tools.apply("nice"), level, level, tools.apply("ionice"), tools.apply("setsid"));
    }

    /** util-linux's setsid, if it has {@code -w} (2.31 on): without it, a forking setsid would end at once. */
    private static final Optional<Path> SETSID = SandboxProbe.onPath("setsid").filter(JobPriority::waits);

    private static boolean waits(Path setsid) {
        try {
            Process p = new ProcessBuilder(setsid.toString(), "-w", "true").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static JobPriority find(Function<String, Optional<Path>> tools) {
        return new JobPriority(tools.apply("nice"), tools.apply("ionice"), tools.apply("setsid"));
    }

    /** A job's niceness; a GPU job is one given a GPU. */
    public static int niceness(boolean gpuJob) {
        return gpuJob ? GPU_NICE : CPU_NICE;
    }

    /**
     * What keeps the running job at its priority: each session it makes is given the job's niceness
     * ({@link AutogroupNice}), where the kernel has autogroups and this machine has {@code nice}.
     */
    TreeRule rule(boolean gpuJob) {
        return niced ? AutogroupNice.forJob(gpuJob ? gpuGroupNice : cpuGroupNice).orElse(TreeRule.NONE) : TreeRule.NONE;
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

    private static List<String> prefix(Optional<Path> nice, Level level, Optional<Path> ionice, Optional<Path> setsid) {
        List<String> prefix = new ArrayList<>();
        nice.ifPresent(n -> prefix.addAll(List.of(n.toString(), "-n", Integer.toString(level.added()))));
        ionice.ifPresent(io -> {
            prefix.add(io.toString());
            prefix.addAll(level.ioClass());
        });
        // -w: should setsid fork (it does when started as a process group leader), it waits and
        // passes on the exit status. The write is retried: the kernel refuses one within 100 ms of
        // another by an unprivileged process (EAGAIN); a kernel without autogroups has no such file.
        setsid.ifPresent(s -> prefix.addAll(List.of(s.toString(), "-w", "/bin/sh", "-c", autogroup(level.groupNice()),
                "rhizome-priority")));
        return List.copyOf(prefix);
    }

    /** The shell that gives its session's autogroup the job's niceness, then runs the job. */
    static String autogroup(int niceness) {
        // PWD: the shell exports it, and the job's environment is the node's choice alone.
        return "unset PWD; for i in 1 2 3 4 5 6 7 8 9 10; do echo " + niceness + " 2>/dev/null > /proc/self/autogroup && break; "
                + "[ -e /proc/self/autogroup ] || break; sleep 0.1; done; exec \"$@\"";
    }
}
