package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node in a container with a CPU quota judges whether its jobs get a CPU from its cgroup's own
 * figures, not from the host's load average: files laid out as cgroupfs lays them out (cgroup v2),
 * written by the test (no root needed), read as the node reads {@code /proc/self/cgroup} and
 * {@code /sys/fs/cgroup}.
 */
class CpuQuotaLoadTest {
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path dir;
    private Path mount;
    private Path container;
    private Path procSelfCgroup;
    private Path loadavg;
    private final AtomicLong nanos = new AtomicLong(1_000 * SECOND);

    @BeforeEach
    void setUp() throws Exception {
        mount = Files.createDirectories(dir.resolve("sys/fs/cgroup"));
        Files.writeString(mount.resolve("cgroup.controllers"), "cpu memory pids\n");
        container = Files.createDirectories(mount.resolve("system.slice/docker-abc.scope"));
        Files.createDirectories(container.resolve("inner"));
        procSelfCgroup = dir.resolve("proc-self-cgroup");
        Files.writeString(procSelfCgroup, "0::/system.slice/docker-abc.scope/inner\n");
        // the host: 64 cores, 40 tasks wanting one
        loadavg = dir.resolve("loadavg");
        Files.writeString(loadavg, "40.00 38.00 30.00 41/900 12345\n");
    }

    private CpuQuotaLoad load() {
        return new CpuQuotaLoad(procSelfCgroup, mount, nanos::get);
    }

    private void stat(Path cgroup, long usageUsec, long throttledUsec) throws Exception {
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec " + usageUsec + "\nuser_usec " + usageUsec / 2
                + "\nsystem_usec " + usageUsec / 2 + "\nnr_periods 10\nnr_throttled 0\nthrottled_usec " + throttledUsec
                + "\n");
    }

    @Test
    void aQuietContainerOnABusyHostHasRoomForAJob() throws Exception {
        Files.writeString(container.resolve("cpu.max"), "200000 100000\n");  // --cpus 2
        Files.writeString(container.resolve("inner/cpu.max"), "max 100000\n");
        stat(container, 5_000_000, 0);
        CpuQuotaLoad quota = load();
        assertThat(MachineLoad.read(quota, loadavg, 64)).as("one reading: the machine's, until a second has passed")
                .hasValueSatisfying(l -> assertThat(l.tasks()).isEqualTo(41 - 1));

        nanos.addAndGet(10 * SECOND);
        stat(container, 5_000_000 + 2_000_000, 0);  // 0.2 of a core used over 10 s
        MachineLoad reading = MachineLoad.read(quota, loadavg, 64).orElseThrow();

        assertThat(reading.cores()).as("the quota's cores, not the host's 64").isEqualTo(2);
        assertThat(reading.tasks()).as("what the cgroup used, not the host's 40").isCloseTo(0.2, org.assertj.core.data.Offset.offset(1e-9));
        BusyBackoff backoff = new BusyBackoff(2);
        backoff.starved(0, "kept off a CPU");
        backoff.read(0, java.util.Optional.of(reading), 0);
        assertThat(backoff.hold(0)).as("a core free in the container: claiming again").isEmpty();
    }

    @Test
    void aContainerHeldAtItsQuotaIsBusyWhateverTheHostsLoad() throws Exception {
        Files.writeString(loadavg, "0.10 0.20 0.30 1/900 12345\n");  // a quiet host
        Files.writeString(container.resolve("cpu.max"), "150000 100000\n");  // --cpus 1.5
        stat(container, 0, 0);
        CpuQuotaLoad quota = load();
        quota.read();
        nanos.addAndGet(4 * SECOND);
        stat(container, 6_000_000, 0);  // 1.5 cores for 4 s: the whole quota
        MachineLoad full = MachineLoad.read(quota, loadavg, 64).orElseThrow();
        assertThat(full.cores()).isEqualTo(2);
        assertThat(full.tasks()).isCloseTo(1.5, org.assertj.core.data.Offset.offset(1e-9));

        nanos.addAndGet(4 * SECOND);
        stat(container, 6_500_000, 300_000);  // little used, but throttled: its tasks wanted more than the quota
        assertThat(MachineLoad.read(quota, loadavg, 64).orElseThrow().tasks()).as("every core taken").isEqualTo(2);

        BusyBackoff backoff = new BusyBackoff(2);
        backoff.starved(0, "kept off a CPU");
        backoff.read(0, MachineLoad.read(quota, loadavg, 64), 0);
        assertThat(backoff.hold(0)).as("no core free in the container: not claiming").isPresent();
    }

    @Test
    void theTightestQuotaOnTheWayUpIsTheOneRead() throws Exception {
        Files.writeString(mount.resolve("system.slice/cpu.max"), "400000 100000\n");
        Files.writeString(container.resolve("cpu.max"), "100000 100000\n");
        Files.writeString(container.resolve("inner/cpu.max"), "300000 100000\n");

        assertThat(load().tightestQuota()).hasValueSatisfying(q -> {
            assertThat(q.dir()).isEqualTo(container);
            assertThat(q.cores()).isEqualTo(1.0);
        });
    }

    @Test
    void withoutAQuotaOrCgroupV2TheMachinesLoadAverageIsRead() throws Exception {
        Files.writeString(container.resolve("cpu.max"), "max 100000\n");
        stat(container, 0, 0);
        CpuQuotaLoad quota = load();
        nanos.addAndGet(10 * SECOND);
        assertThat(MachineLoad.read(quota, loadavg, 64)).hasValue(new MachineLoad(40.0, 40, 64));

        Files.writeString(procSelfCgroup, "12:cpu,cpuacct:/docker/abc\n");  // cgroup v1 only
        assertThat(load().read()).isEmpty();
        Files.writeString(procSelfCgroup, "0::/../../etc\n");  // nothing outside the mount is read
        assertThat(load().tightestQuota()).isEmpty();
    }

    @Test
    void cpuMaxAndCpuStatParse() {
        assertThat(CpuQuotaLoad.quotaCores("max 100000")).isEmpty();
        assertThat(CpuQuotaLoad.quotaCores("50000 100000\n")).contains(0.5);
        assertThat(CpuQuotaLoad.quotaCores("garbage")).isEmpty();
        assertThat(CpuQuotaLoad.quotaCores("0 100000")).isEmpty();
        assertThat(CpuQuotaLoad.field("usage_usec 12\nthrottled_usec 3\n", "throttled_usec")).isEqualTo(3);
        assertThat(CpuQuotaLoad.field("usage_usec x\n", "usage_usec")).isEqualTo(-1);
    }
}
