package dev.rhizome.node.prefs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.disk.DiskRoom;
import dev.rhizome.protocol.files.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import dev.rhizome.node.work.MachineLoad;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunGateTest {
    @TempDir
    Path dir;

    @Test
    void timeWindowsIncludingOvernightOnes() {
        TimeWindows w = TimeWindows.parse("22:00-07:00, 12:00-13:30");
        assertThat(w.allows(LocalTime.of(23, 0))).isTrue();
        assertThat(w.allows(LocalTime.of(6, 59))).isTrue();
        assertThat(w.allows(LocalTime.of(7, 0))).isFalse();
        assertThat(w.allows(LocalTime.of(12, 0))).isTrue();
        assertThat(w.allows(LocalTime.of(13, 30))).isFalse();
        assertThat(TimeWindows.parse("").allows(LocalTime.NOON)).isTrue();
        assertThatThrownBy(() -> TimeWindows.parse("evenings")).hasMessageContaining("'evenings' is not HH:MM-HH:MM");
    }

    @Test
    void pauseAndRunHoursCloseTheGate() {
        Clock nine = Clock.fixed(Instant.parse("2026-12-01T09:00:00Z"), ZoneOffset.UTC);
        RunGate gate = new RunGate(NodePreferences.defaults().withRunHours(TimeWindows.parse("22:00-07:00")),
                new IdleSignals(dir, Optional::empty), nine, () -> 0, roomy());
        assertThat(gate.closedBecause()).hasValue("outside run-hours 22:00-07:00");
        gate.pause();
        assertThat(gate.closedBecause()).hasValue("paused");
        RunGate anyTime = new RunGate(NodePreferences.defaults(), new IdleSignals(dir, Optional::empty), nine, () -> 0, roomy());
        assertThat(anyTime.closedBecause()).isEmpty();
    }

    @Test
    void idleMeansNoRecentTerminalInputAndLowLoadBesidesOurJobs() throws Exception {
        Files.createDirectories(dir.resolve("pts"));
        Path tty = Files.createFile(dir.resolve("pts/0"));
        Path loadavg = dir.resolve("loadavg");
        IdleSignals idle = new IdleSignals(dir, () -> MachineLoad.read(loadavg, 4));
        NodePreferences prefs = NodePreferences.defaults(); // 5 minutes, 0.3 per core
        long now = 1_800_000_000_000L;

        Files.setAttribute(tty, "lastAccessTime", FileTime.fromMillis(now - 60_000));
        Files.writeString(loadavg, "0.10 0.05 0.01 1/200 1234\n");
        assertThat(idle.busy(prefs, 0, now)).hasValue("user input 60 s ago");

        Files.setAttribute(tty, "lastAccessTime", FileTime.fromMillis(now - 600_000));
        assertThat(idle.busy(prefs, 0, now)).isEmpty();

        Files.writeString(loadavg, "3.00 2.00 1.00 3/200 1234\n");
        assertThat(idle.busy(prefs, 0, now)).hasValueSatisfying(r -> assertThat(r).startsWith("load 0.75 per core"));
        assertThat(idle.busy(prefs, 3, now)).as("three of the load's four are our own jobs").isEmpty();
    }

    /**
     * A node in a container with a CPU quota of 2 cores on a host whose load average is 60: idle is
     * read from the container's own CPUs, as "machine busy" reads it. Read from the host's load
     * average against the quota's cores (30 per core) it never opened.
     */
    @Test
    void inAContainerIdleIsReadFromItsQuotaNotTheHostsLoad() throws Exception {
        Files.writeString(dir.resolve("loadavg"), "60.00 58.00 50.00 61/900 1234\n");
        AtomicReference<Optional<MachineLoad>> quota = new AtomicReference<>(Optional.of(new MachineLoad(0.2, 0, 2)));
        IdleSignals idle = new IdleSignals(dir, quota::get);  // no terminal here: nobody typing
        NodePreferences prefs = NodePreferences.defaults();  // 0.3 per core

        assertThat(idle.busy(prefs, 0, 1_800_000_000_000L)).as("0.1 per core of the quota's 2").isEmpty();
        quota.set(Optional.of(new MachineLoad(1.6, 0, 2)));
        assertThat(idle.busy(prefs, 0, 1_800_000_000_000L)).hasValue("load 0.80 per core besides our jobs, on 2 cores");
        assertThat(idle.busy(prefs, 2, 1_800_000_000_000L)).as("all of it our two jobs").isEmpty();
    }

    private DiskRoom roomy() {
        return new DiskRoom(List.of(dir), 0);
    }

    @Test
    void aFullDiskClosesTheGateNamingItAndRoomOpensItAgain() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(8)) {
            Path data = disk.root().resolve("node");
            Files.createDirectories(data);
            RunGate gate = new RunGate(NodePreferences.defaults(), new IdleSignals(dir, Optional::empty),
                    Clock.systemUTC(), () -> 0, new DiskRoom(List.of(dir, data), 1L << 20));
            assertThat(gate.closedBecause()).isEmpty();
            disk.fill();
            assertThat(gate.closedBecause()).hasValueSatisfying(why -> assertThat(why).startsWith("disk full: ")
                    .contains(data.toString()));
            disk.free();
            assertThat(gate.closedBecause()).isEmpty();
        }
    }
}
