package dev.rhizome.node.job;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a job as a plain child process, for {@code rhizome node --no-sandbox} and for code
 * this program ships itself. It can only scrub the environment and hunt down descendants when
 * destroyed: the job reads and writes whatever the node's user can, sees every process, and
 * has the network; a descendant that re-parented itself between two looks escapes.
 */
public final class PlainLauncher implements ProcessLauncher {
    private final JobPriority priority;
    /** Whether the job's tree is made the OOM killer's first choice ({@link BwrapCommand#OOM_FIRST}). */
    private final boolean oomFirst;

    /**
     * A volunteer's job: at the lowest priority ({@link JobPriority}), so it yields to the owner's
     * programs, and the kernel's first choice when memory runs out, as a sandboxed job is: unsandboxed
     * it ran at the node's own adjustment (0), level with the volunteer's programs, whose memory the
     * OOM killer then weighed against the job's.
     */
    public PlainLauncher() {
        this(JobPriority.onThisMachine(), true);
    }

    private PlainLauncher(JobPriority priority, boolean oomFirst) {
        this.priority = priority;
        this.oomFirst = oomFirst;
    }

    /**
     * For this program's own computation that its user is waiting for (the seed's entropy floor in
     * a demo), at the caller's priority. At nice 19 and in the idle I/O class such a process gets
     * next to nothing while the machine is busy: a floor that takes a second took 1 s of CPU in
     * 160 s at load 25 on 2 cores, where a budget grown by the load per core expected a fair share.
     */
    public static PlainLauncher atCallersPriority() {
        return new PlainLauncher(JobPriority.unchanged(), false);
    }

    @Override
    public Process start(List<String> command, Confinement confinement, Redirect stdin, Redirect stdout,
            Redirect stderr) throws IOException {
        boolean gpuJob = JobGpu.of(confinement.env()).isPresent();
        // The adjustment's shell runs first, at the node's own priority, and execs the lowered chain:
        // behind nice it was one more start at nice 19, and on a machine whose cores were busy a job
        // that only slept then spent most of its wall-clock bound waiting for a CPU to start
        // (MachineBusyTest read it as a busy machine, not the commit's timeout).
        List<String> lowered = priority.apply(command, gpuJob);
        ProcessBuilder builder = new ProcessBuilder(oomFirst ? oomFirst(lowered) : lowered)
                .directory(confinement.workDir().toFile())
                .redirectInput(stdin)
                .redirectOutput(stdout)
                .redirectError(stderr);
        builder.environment().clear();
        builder.environment().putAll(confinement.env());
        Process process = builder.start();
        return new JobProcess(process, () -> new ProcessTree(process).kill(), priority.rule(gpuJob));
    }

    /**
     * {@code command} behind a shell that sets its own adjustment first, so every process of the job
     * inherits it; the job could lower it only to the node's own (0), never below the volunteer's.
     */
    static List<String> oomFirst(List<String> command) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", BwrapCommand.OOM_FIRST + "exec \"$@\"",
                "rhizome-job"));
        argv.addAll(command);
        return List.copyOf(argv);
    }
}
