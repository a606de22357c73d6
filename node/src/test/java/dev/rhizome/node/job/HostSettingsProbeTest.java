package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round 37's escape pass, the two things a real job found of its host that the earlier passes had not: what
 * every process of a job holds open when it starts, and the settings of {@code /proc/sys} in which the host
 * wrote a path or a command line ({@link ProcViews#DEFAULTS}): {@code kernel/core_pattern} named whatever the
 * volunteer or the distribution chose (a directory under the home, the distribution's crash handler), as did
 * {@code poweroff_cmd} and {@code modprobe}. Each must now read as the kernel's default from a copy bound over the
 * host's, which the job's own mount table shows, whatever this machine's values happen to be.
 */
class HostSettingsProbeTest {
    /** Each setting the host has, as the probe prints it: path, whether a mount covers it, and what it read. */
    private static final String PROBE = """
            import os
            def mounted():
                points = set()
                for line in open('/proc/self/mountinfo'):
                    points.add(line.split()[4])
                return points
            points = mounted()
            for path in %s:
                if os.path.exists(path):
                    print('setting', path, path in points, repr(open(path).read()), flush=True)
            import fcntl
            def held(fd):
                try:
                    fcntl.fcntl(fd, fcntl.F_GETFD)
                    return True
                except OSError:
                    return False
            # Its own by asking the kernel (listing /proc/self/fd holds one more while it reads), PID 1's by its list.
            print('descriptors self', [fd for fd in range(65536) if held(fd)], flush=True)
            print('descriptors 1', sorted(int(fd) for fd in os.listdir('/proc/1/fd')), flush=True)
            """;

    @TempDir
    Path dataDir;

    @Test
    void theHostsPathSettingsReadAsTheKernelsDefaultsAndAJobStartsWithItsStdioAlone() throws Exception {
        List<String> paths = List.of("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/core_uses_pid",
                "/proc/sys/kernel/poweroff_cmd", "/proc/sys/kernel/modprobe");
        StringBuilder list = new StringBuilder("[");
        for (String path : paths) {
            list.append('\'').append(path).append("', ");
        }
        String log;
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            log = jobs.runOk(PROBE.formatted(list.append(']')));
        }
        List<String> seen = new ArrayList<>();
        for (String line : log.split("\n")) {
            if (line.startsWith("setting ")) {
                String[] f = line.split(" ", 4);
                seen.add(f[1]);
                String expected = ProcViews.DEFAULTS.get(f[1]);
                assertThat(f[2]).as("a copy is bound over the host's %s: %s", f[1], log).isEqualTo("True");
                assertThat(f[3]).as(f[1]).isEqualTo(pythonRepr(expected));
            }
        }
        // Those of the four this kernel has (modprobe needs modules, core_pattern is always there).
        List<String> host = paths.stream().filter(p -> Files.exists(Path.of(p))).toList();
        assertThat(seen).as(log).containsExactlyInAnyOrderElementsOf(host).contains("/proc/sys/kernel/core_pattern");
        // Inherited descriptors: the job's command (PID 1) and what it starts hold stdin, stdout and stderr alone.
        assertThat(log).as("every descriptor a job inherits").contains("descriptors self [0, 1, 2]", "descriptors 1 [0, 1, 2]");
    }

    private static String pythonRepr(String s) {
        return "'" + s.replace("\\", "\\\\").replace("\n", "\\n") + "'";
    }
}
