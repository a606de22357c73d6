package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round 37: the CPUs a node may use are its jobs' too. A volunteer who gives the node some of the machine's cores
 * ({@code taskset -c 0-3 rhizome node}, systemd's {@code CPUAffinity=}) gives its jobs those cores, since a process
 * inherits its parent's affinity; but the kernel lets a process widen its own to any CPU of its cpuset, and a job's
 * {@code sched_setaffinity} took every core of the machine. The filter now answers it done without running
 * ({@link SeccompFilter}'s pretended calls), so a real job under a node narrowed to one CPU stays on it. And a job
 * at nice 19 may not ask for its cores' top frequency ({@code sched_setattr}'s utilization clamps).
 */
class CpuAffinityProbeTest {
    private static final Pattern LIST = Pattern.compile("(?m)^Cpus_allowed_list:\\s*(\\S+)\\s*$");

    @TempDir
    Path dataDir;

    @Test
    void aJobCannotWidenTheCpusTheNodeWasGiven() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two CPUs to narrow the node to one");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/taskset")), "taskset narrows the test's JVM");
        String own = allowedList();
        String first = own.split("[-,]")[0];
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            // Every thread of this JVM, the launcher's spawner among them, on one CPU: as a node started under taskset.
            taskset(first);
            try {
                String log = jobs.runOk("""
                        import os
                        before = sorted(os.sched_getaffinity(0))
                        os.sched_setaffinity(0, range(os.cpu_count()))
                        print('affinity', before, sorted(os.sched_getaffinity(0)), flush=True)
                        pid = os.fork()
                        if pid == 0:
                            os.sched_setaffinity(0, range(os.cpu_count()))
                            print('child', sorted(os.sched_getaffinity(0)), flush=True)
                            os._exit(0)
                        os.waitpid(pid, 0)
                        """);
                String one = "[" + first + "]";
                assertThat(log).as("the node's one CPU, before and after each asked for all")
                        .contains("affinity " + one + " " + one, "child " + one);
            } finally {
                taskset(own);
            }
        }
    }

    /**
     * Utilization clamps: {@code sched_setattr} with a minimum of 1024 had schedutil run the job's cores at their top
     * frequency (no limit bounds an unprivileged clamp), now answered ENOSYS as a kernel before it; the policy a job
     * may set stays settable by {@code sched_setscheduler}, and {@code sched_getattr} reads. (This development
     * kernel has no clamps: it answered EOPNOTSUPP before.)
     */
    @Test
    void aJobCannotClampItsCoresToTheirTopFrequency() throws Exception {
        SeccompFilter.Arch arch = SeccompFilter.Arch.host().orElseThrow();
        int setattr = arch.absent.get("sched_setattr");
        int getattr = arch == SeccompFilter.Arch.X86_64 ? 315 : 275;
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            String log = jobs.runOk("""
                    import ctypes, os, struct
                    libc = ctypes.CDLL(None, use_errno=True)
                    libc.syscall.restype = ctypes.c_long
                    # struct sched_attr: SCHED_OTHER, keep the parameters, clamp the minimum and maximum to 1024
                    attr = ctypes.create_string_buffer(struct.pack('IIQiIQQQII', 56, 0, 0x08 | 0x10 | 0x20 | 0x40, 0, 0,
                                                                   0, 0, 0, 1024, 1024), 56)
                    ctypes.set_errno(0)
                    r = libc.syscall(%d, 0, attr, 0)
                    print('setattr', r, ctypes.get_errno(), flush=True)
                    out = ctypes.create_string_buffer(56)
                    print('getattr', libc.syscall(%d, 0, out, 56, 0), flush=True)
                    os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
                    print('policy', os.sched_getscheduler(0) == os.SCHED_BATCH, flush=True)
                    """.formatted(setattr, getattr));
            assertThat(log).contains("setattr -1 38", "getattr 0", "policy True");
        }
    }

    /** This JVM's CPUs as the kernel lists them ({@code 0-1}). */
    private static String allowedList() throws IOException {
        Matcher m = LIST.matcher(Files.readString(Path.of("/proc/self/status")));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static void taskset(String cpus) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/usr/bin/taskset", "-a", "-p", "-c", cpus, Long.toString(ProcessHandle.current().pid()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }
}
