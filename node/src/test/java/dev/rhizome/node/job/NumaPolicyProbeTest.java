package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round 38: the NUMA memory policy a node runs under is its jobs' too. A volunteer's {@code numactl --membind=0
 * rhizome node} is a policy its jobs inherit, but any process may set its own ({@code set_mempolicy}) or a range's
 * ({@code mbind}) to every node, and move its pages there ({@code migrate_pages}, {@code move_pages}). The filter
 * now answers the first two done without running them and the migrations ENOSYS, as a kernel without page
 * migration. A real job's calls, each of which changed its policy or moved its pages before, leave the policy it
 * started with; the same script outside the sandbox (the control) changes it, so the job's check can fail.
 */
class NumaPolicyProbeTest {
    /** Sets a bind policy for the process and for one mapped page, moves pages, and reads what holds after each. */
    private static final String PROBE = """
            import ctypes, mmap, os, platform
            x86 = platform.machine() == 'x86_64'
            MBIND, SET, GET, MIGRATE, MOVE = (237, 238, 239, 256, 279) if x86 else (235, 237, 236, 238, 239)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            def call(*args):
                ctypes.set_errno(0)
                r = libc.syscall(*args)
                return r, ctypes.get_errno()
            MPOL_BIND, MPOL_F_ADDR, MPOL_MF_MOVE = 2, 2, 2
            node0 = ctypes.c_ulong(1)
            mode = ctypes.c_int(-1)
            call(GET, ctypes.byref(mode), None, 0, None, 0)
            print('numa-start', mode.value, flush=True)
            print('numa-set', *call(SET, MPOL_BIND, ctypes.byref(node0), 64), flush=True)
            call(GET, ctypes.byref(mode), None, 0, None, 0)
            print('numa-process-policy', mode.value, flush=True)
            page = mmap.mmap(-1, mmap.PAGESIZE)
            page[0] = 1
            addr = ctypes.addressof(ctypes.c_char.from_buffer(page))
            print('numa-mbind', *call(MBIND, ctypes.c_void_p(addr), mmap.PAGESIZE, MPOL_BIND, ctypes.byref(node0), 64,
                                      MPOL_MF_MOVE), flush=True)
            mode.value = -1
            call(GET, ctypes.byref(mode), None, 0, ctypes.c_void_p(addr), MPOL_F_ADDR)
            print('numa-range-policy', mode.value, flush=True)
            print('numa-migrate', *call(MIGRATE, 0, 64, ctypes.byref(node0), ctypes.byref(node0)), flush=True)
            pages = (ctypes.c_void_p * 1)(addr)
            nodes = (ctypes.c_int * 1)(0)
            status = (ctypes.c_int * 1)(-99)
            print('numa-move', *call(MOVE, 0, 1, pages, nodes, status, 0), flush=True)
            """;

    @TempDir
    Path dataDir;

    @Test
    void aJobKeepsTheMemoryPolicyItStartedWith() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/sys/devices/system/node/node0")), "a kernel with NUMA (node 0)");
        String outside = outside();
        assertThat(outside).as("the control: outside the sandbox each call takes")
                .contains("numa-start 0", "numa-set 0 0", "numa-process-policy 2", "numa-mbind 0 0",
                        "numa-range-policy 2", "numa-move 0 0").doesNotContain("numa-migrate -1");
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            String log = jobs.runOk(PROBE);
            assertThat(log).as("each set answered done, the policy still the one the job started with")
                    .contains("numa-start 0", "numa-set 0 0", "numa-process-policy 0", "numa-mbind 0 0",
                            "numa-range-policy 0")
                    .as("page migration answered as a kernel without it")
                    .contains("numa-migrate -1 38", "numa-move -1 38");
        }
    }

    private static String outside() throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", PROBE).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
