package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that reads the machine's counters in a loop watches the volunteer's (or another job's) activity:
 * free memory, page faults, load, idle time, disk I/O, the dentry cache, the count of cgroups (a login, a
 * service, a container, an application started) all move with it. Each file of
 * {@link ProcViews} must read the same at every look while the host works, and what training reads of
 * them (the memory a job may use, the CPUs, a load average) must still come out sane, for Python, numpy
 * and PyTorch alike.
 */
class MachineCountersProbeTest {
    private static final SandboxLimits ROOM_FOR_TORCH = new SandboxLimits(1L << 30, 64, 16L << 20);
    private static final String PROBE = """
            import os, time
            names = %s
            first = {}
            for name in names:
                try:
                    first[name] = open(name, 'rb').read()
                except OSError as e:
                    print('REFUSED', name, e.errno)
            changed = set()
            for _ in range(20):
                time.sleep(0.05)
                for name, seen in first.items():
                    if open(name, 'rb').read() != seen:
                        changed.add(name)
            for name in first:
                print('CHANGED' if name in changed else 'SAME', name)
            for d in %s:
                try:
                    print('LISTED', d, len(os.listdir(d)))
                except OSError as e:
                    print('LISTED', d, 'refused', e.errno)
            meminfo = dict(l.split(':') for l in open('/proc/meminfo').read().splitlines())
            print('MEM', meminfo['MemTotal'].strip(), meminfo['MemAvailable'].strip())
            print('LOAD', open('/proc/loadavg').read().strip())
            print('CPUS', os.cpu_count())
            if os.path.exists('/proc/cgroups'):
                counts = sorted({l.split('\t')[2] for l in open('/proc/cgroups').read().splitlines()[1:]})
                print('CGROUP COUNTS', ' '.join(counts))
            try:
                import numpy
                print('NUMPY', float(numpy.ones((64, 64)).dot(numpy.ones(64)).sum()))
            except ImportError:
                print('NUMPY absent')
            try:
                import torch
                print('TORCH', torch.get_num_threads() > 0, float((torch.ones(4, 4) @ torch.ones(4, 4)).sum()))
            except ImportError:
                print('TORCH absent')
            """;

    @TempDir
    Path tmp;

    @Test
    void everyCounterOfTheMachineReadsTheSameWhileTheHostWorksAndTrainingStillReadsSaneValues() throws Exception {
        List<String> names = new ArrayList<>(List.of(ProcViews.STAT, ProcViews.MEMINFO, ProcViews.UPTIME,
                ProcViews.LOADAVG, ProcViews.CGROUPS));
        names.addAll(ProcViews.MACHINE_LISTS);
        names.addAll(ProcViews.COPIES);
        names.addAll(ProcViews.COUNTERS);
        List<String> present = names.stream().filter(n -> Files.isReadable(Path.of(n))).toList();
        String script = PROBE.formatted(present.stream().map(n -> "'" + n + "'").toList(),
                BwrapCommand.HIDDEN_PROC_DIRS.stream().map(n -> "'" + n + "'").toList());
        boolean torchOnHost = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start().waitFor() == 0;
        boolean numpyOnHost = new ProcessBuilder("/usr/bin/python3", "-c", "import numpy").start().waitFor() == 0;

        AtomicBoolean working = new AtomicBoolean(true);
        Thread host = new Thread(() -> busyHost(working), "busy-host");
        try (SandboxedJobs jobs = SandboxedJobs.open(tmp, ROOM_FOR_TORCH)) {
            host.start();
            JobOutcome outcome = jobs.runPython(script, Map.of());
            working.set(false);
            host.join();
            String log = jobs.log();
            assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
            for (String name : present) {
                assertThat(log).as(log).contains("SAME " + name + "\n");
            }
            // Hidden under an empty tmpfs: each interrupt line's count (irq/*/spurious), the file systems' counts.
            for (String dir : BwrapCommand.HIDDEN_PROC_DIRS) {
                if (Files.isDirectory(Path.of(dir))) {
                    assertThat(log).as(log).contains("LISTED " + dir + " 0\n");
                }
            }
            // The job's own limit as the machine's memory, as containers show it; a load of nothing.
            assertThat(log).as(log).contains("MEM 1048576 kB 1048576 kB", "LOAD 0.00 0.00 0.00 1/1 1",
                    "CPUS " + Runtime.getRuntime().availableProcessors());
            // The root's alone, whatever the host made: this host's memory controller counted 85 before.
            if (Files.isReadable(Path.of(ProcViews.CGROUPS))) {
                assertThat(log).as(log).contains("CGROUP COUNTS 1\n");
            }
            if (numpyOnHost) {
                assertThat(log).as(log).contains("NUMPY 4096.0");
            }
            if (torchOnHost) {
                assertThat(log).as(log).contains("TORCH True 64.0");
            }
        } finally {
            working.set(false);
            host.join();
        }
    }

    /**
     * What a volunteer's machine does beside a job: allocates and frees memory, writes and syncs files, and
     * (where this test may, as root) makes and removes a cgroup, as systemd does for each login or service.
     */
    private void busyHost(AtomicBoolean working) {
        Path file = tmp.resolve("host-activity");
        byte[] block = new byte[1 << 20];
        List<byte[]> held = new ArrayList<>();
        Optional<Path> cgroups = cgroupParent();
        try {
            while (working.get()) {
                if (cgroups.isPresent()) {
                    Path made = cgroups.get().resolve("rhizome-counters-" + UUID.randomUUID());
                    try {
                        Files.createDirectory(made);
                        Files.delete(made);
                    } catch (java.io.IOException refused) {
                        cgroups = Optional.empty();
                    }
                }
                for (int i = 0; i < 16; i++) {
                    byte[] b = new byte[1 << 20];
                    b[i] = 1;
                    held.add(b);
                }
                held.clear();
                Files.write(file, block);
                try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A cgroup hierarchy's root this test may make cgroups in: the unified one, or version 1's memory controller. */
    private static Optional<Path> cgroupParent() {
        return Stream.of("/sys/fs/cgroup", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified").map(Path::of)
                .filter(dir -> Files.exists(dir.resolve("cgroup.procs")) && Files.isWritable(dir)).findFirst();
    }
}
