package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What drivers show in /proc of the volunteer's devices, live: whether a sound stream plays or records, the
 * lid's state, each input device, disk and serial line as it is plugged in, the machine's PCI hardware, the
 * loaded modules with each one's count of users (a webcam's counts the programs that have it open) and the
 * kernel's symbols, which name those modules; the drivers' device numbers, the miscellaneous devices, the
 * crypto algorithms of loaded modules, the kernel's configuration and each PCI device's memory and I/O ranges
 * (round 28). A job reading them in a loop would watch the volunteer's desk. A
 * real job in the real sandbox must find each directory this machine has empty and each list empty, and a
 * job without a GPU no driver's entry at all.
 */
class DeviceListsProbeTest {
    private static final String PROBE = """
            import os
            for d in %s:
                entries = 0
                for root, dirs, files in os.walk(d):
                    entries += len(dirs) + len(files)
                print('ENTRIES', d, entries)
            for name in %s:
                try:
                    print('BYTES', name, len(open(name, 'rb').read()))
                except OSError as e:
                    print('BYTES', name, 'refused', e.errno)
            """;

    @TempDir
    Path tmp;

    @Test
    void aJobFindsTheDriversDirectoriesOfProcEmptyAndTheModulesUnlisted() throws Exception {
        List<String> dirs = Stream.concat(BwrapCommand.DEVICE_PROC_DIRS.stream(),
                Stream.of(BwrapCommand.DRIVERS_PROC_DIR)).filter(d -> Files.isDirectory(Path.of(d))).toList();
        List<String> lists = Stream.concat(Stream.of("/proc/modules", "/proc/kallsyms"), ProcViews.DRIVER_LISTS.stream())
                .filter(n -> Files.isReadable(Path.of(n))).toList();
        String script = PROBE.formatted(quoted(dirs), quoted(lists));
        // Round 39: the host's consoles (a virtual machine's serial line, `ttyS0 -W- (EC p a) 4:64`) read by the job.
        assertThat(lists).as("every kernel lists its consoles").contains("/proc/consoles");
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp)) {
                        String log = jobs.runOk(script);
            for (String dir : dirs) {
                assertThat(log).as(log).contains("ENTRIES " + dir + " 0\n");
            }
            for (String list : lists) {
                assertThat(log).as(log).contains("BYTES " + list + " 0\n");
            }
        }
    }

    private static String quoted(List<String> names) {
        return names.stream().map(n -> "'" + n + "'").toList().toString();
    }
}
