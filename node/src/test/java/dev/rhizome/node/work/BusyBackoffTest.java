package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node that had a job kept off a CPU claims, judged from given load readings. */
class BusyBackoffTest {
    private static final long T0 = 1_000_000;

    private static Optional<MachineLoad> load(double lastMinute, int runnableNow, int cores) {
        return Optional.of(new MachineLoad(lastMinute, runnableNow, cores));
    }

    @Test
    void aStarvedJobStopsEveryClaimUntilTheLoadLeavesACoreThenHalfTheJobsRun() {
        BusyBackoff busy = new BusyBackoff(4);
        assertThat(busy.hold(3)).isEmpty();
        assertThat(busy.status()).isEmpty();

        assertThat(busy.starved(T0, "not run to its end")).contains("no unit is claimed").contains("2 CPU jobs at once (of 4)");
        for (int i = 0; i < 4; i++) {
            assertThat(busy.hold(i)).as("slot %d", i).get().asString().startsWith("not claiming");
        }
        // the owner's work fills all 4 cores besides this node's one job still running
        assertThat(busy.read(T0 + 1000, load(5.0, 0, 4), 1)).isNull();
        assertThat(busy.hold(0)).get().asString().contains("leave 1 core").contains("4.00 tasks besides them want a CPU");
        BusyBackoff.Status status = busy.status().orElseThrow();
        assertThat(status.claiming()).isFalse();
        assertThat(status.sinceMs()).isEqualTo(T0);
        assertThat(status.reason()).isEqualTo("not run to its end");
        assertThat(status.resource()).as("whose jobs back off: node status's busy said CPU only").isEqualTo("cpu");

        assertThat(busy.read(T0 + 1500, load(0.5, 5, 4), 0)).as("a load that just came: the minute's average trails it")
                .isNull();
        assertThat(busy.read(T0 + 2000, load(3.0, 0, 4), 0)).contains("claiming again, 2 CPU jobs at once (of 4)");
        assertThat(busy.hold(0)).isEmpty();
        assertThat(busy.hold(1)).isEmpty();
        assertThat(busy.hold(2)).get().asString().contains("2 of 4 CPU jobs at once");
        assertThat(busy.status().orElseThrow().claiming()).isTrue();
    }

    @Test
    void jobsComeBackOneAMinuteWhileTheLoadLeavesACoreForEach() {
        BusyBackoff busy = new BusyBackoff(4);
        busy.starved(T0, "r");
        busy.read(T0, load(0.5, 0, 4), 0);  // 3.5 cores free: claiming again, 2 jobs
        long t = T0 + BusyBackoff.RAISE_AFTER_MS - 1;
        assertThat(busy.read(t, load(2.0, 0, 4), 2)).as("not within the minute").isNull();
        t += 1;
        assertThat(busy.read(t, load(3.5, 0, 4), 2)).as("others' 1.5 leave 2.5 cores, not one each for 3 jobs").isNull();
        assertThat(busy.read(t, load(3.0, 0, 4), 2)).contains("3 CPU jobs at once (of 4)");
        t += BusyBackoff.RAISE_AFTER_MS;
        assertThat(busy.read(t, load(4.5, 0, 4), 3)).as("others' 1.5 leave no core for a fourth").isNull();
        assertThat(busy.hold(3)).get().asString().contains("leave 4 cores");
        t += 1000;
        assertThat(busy.read(t, load(3.0, 0, 4), 3)).contains("room again").contains("4 CPU jobs at once, as set");
        assertThat(busy.status()).isEmpty();
        assertThat(busy.hold(3)).isEmpty();
    }

    @Test
    void starvedAgainWhileComingBackHalvesAgainDownToOne() {
        BusyBackoff busy = new BusyBackoff(4);
        busy.starved(T0, "first");
        busy.read(T0, load(0, 0, 4), 0);
        busy.starved(T0 + 5000, "second");
        assertThat(busy.status().orElseThrow()).extracting(BusyBackoff.Status::allowed, BusyBackoff.Status::claiming,
                BusyBackoff.Status::sinceMs, BusyBackoff.Status::reason).containsExactly(1, false, T0, "second");
        busy.starved(T0 + 6000, "third");
        assertThat(busy.status().orElseThrow().allowed()).isEqualTo(1);
    }

    @Test
    void aSingleJobNodeIsBackToNormalOnceACoreIsFree() {
        BusyBackoff busy = new BusyBackoff(1);
        busy.starved(T0, "r");
        assertThat(busy.read(T0 + 1000, load(2.5, 0, 2), 0)).isNull();
        assertThat(busy.read(T0 + 2000, load(0.9, 0, 2), 0)).contains("room again");
        assertThat(busy.status()).isEmpty();
    }

    @Test
    void aGpuSlotStarvedOfACpuBacksOffOnItsOwnUntilTheLoadLeavesItACore() {
        BusyBackoff gpu = BusyBackoff.forGpuSlot("gpu0");
        assertThat(gpu.hold(0)).as("claiming before any job starved").isEmpty();
        assertThat(gpu.starved(T0, "not run to its end")).contains("no unit is claimed").contains("1 job on gpu0 at once (of 1)");
        assertThat(gpu.hold(0)).get().asString().startsWith("not claiming (a job was kept off a CPU)");
        assertThat(gpu.status()).get().extracting(BusyBackoff.Status::resource, BusyBackoff.Status::claiming)
                .containsExactly("gpu0", false);
        assertThat(gpu.read(T0 + 1000, load(4.0, 4, 4), 0)).as("the owner's work holds every core").isNull();
        assertThat(gpu.hold(0)).isPresent();
        assertThat(gpu.read(T0 + 2000, load(2.0, 0, 4), 1)).contains("room again").contains("1 job on gpu0 at once");
        assertThat(gpu.hold(0)).isEmpty();
        assertThat(gpu.status()).isEmpty();
    }

    @Test
    void aOneCoreMachineClaimsAgainUnderTheLittleLoadTheNodeItselfMakes() {
        BusyBackoff busy = new BusyBackoff(1);
        busy.starved(T0, "r");
        assertThat(busy.read(T0 + 1000, load(1.0, 1, 1), 0)).as("the owner's work on its one core").isNull();
        assertThat(busy.read(T0 + 2000, load(0.3, 0, 1), 0)).contains("room again");
        assertThat(busy.status()).isEmpty();
    }

    @Test
    void moreJobsThanCoresComeBackOnceEveryCoreIsFree() {
        BusyBackoff busy = new BusyBackoff(4);
        busy.starved(T0, "r");
        busy.read(T0, load(0, 0, 2), 0);
        assertThat(busy.read(T0 + BusyBackoff.RAISE_AFTER_MS, load(2.0, 0, 2), 2)).contains("3 CPU jobs");
        assertThat(busy.read(T0 + 2 * BusyBackoff.RAISE_AFTER_MS, load(3.0, 0, 2), 3)).contains("room again");
    }

    @Test
    void withoutAReadingItWaitsAFixedHoldForEachStep() {
        BusyBackoff busy = new BusyBackoff(2);
        busy.starved(T0, "r");
        assertThat(busy.read(T0 + BusyBackoff.UNREAD_HOLD_MS - 1, Optional.empty(), 0)).isNull();
        assertThat(busy.hold(0)).get().asString().contains("cannot be read");
        assertThat(busy.read(T0 + BusyBackoff.UNREAD_HOLD_MS, Optional.empty(), 0)).contains("1 CPU job at once (of 2)");
        assertThat(busy.read(T0 + 2 * BusyBackoff.UNREAD_HOLD_MS, Optional.empty(), 1)).contains("room again");
    }

    @Test
    void theLoadIsReadFromLoadavgAndAnUnreadableOneIsNoReading(@TempDir Path dir) throws Exception {
        Path loadavg = Files.writeString(dir.resolve("loadavg"), "17.42 12.10 9.00 21/1503 99812\n");
        assertThat(MachineLoad.read(loadavg, 2)).contains(new MachineLoad(17.42, 20, 2));
        assertThat(MachineLoad.read(loadavg, 2).orElseThrow().tasks()).isEqualTo(20);
        assertThat(MachineLoad.read(Files.writeString(dir.resolve("bad"), "load\n"), 2)).isEmpty();
        assertThat(MachineLoad.read(dir.resolve("absent"), 2)).isEmpty();
    }
}
