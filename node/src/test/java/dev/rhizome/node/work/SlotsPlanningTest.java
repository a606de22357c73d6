package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.hardware.Gpu;
import dev.rhizome.node.hardware.Hardware;
import dev.rhizome.node.prefs.NodePreferences;
import dev.rhizome.node.prefs.TimeWindows;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SlotsPlanningTest {
    private static final Gpu H100 = new Gpu(0, "NVIDIA H100 80GB HBM3", 81559, "GPU-aaaa", "550");
    private static final Gpu RTX = new Gpu(1, "NVIDIA GeForce RTX 4090", 24564, "GPU-bbbb", "550");

    @TempDir
    Path dir;

    private static NodePreferences prefs(Set<Integer> gpus, boolean none, int cpuJobs) {
        NodePreferences d = NodePreferences.defaults();
        return new NodePreferences(gpus, none, cpuJobs, false, 5, 0.3, TimeWindows.ANY_TIME, 0, d.bundleCacheMb(),
                d.workMb(), true);
    }

    @Test
    void oneSlotPerGpuInItsOwnClassPinnedByUuidThenCpuJobs() {
        Hardware hw = new Hardware("AMD EPYC 9654", 96, List.of(H100, RTX), "gpu:nvidia-h100-80gb");
        List<Slot> slots = SlotPlan.of(hw, prefs(Set.of(), false, 2));

        assertThat(slots).extracting(Slot::name).containsExactly("gpu0", "gpu1", "cpu0", "cpu1");
        assertThat(slots).extracting(Slot::hardwareClass).containsExactly("gpu:nvidia-h100-80gb",
                "gpu:nvidia-rtx-4090-24gb", "cpu:amd-epyc-9654", "cpu:amd-epyc-9654");
        assertThat(slots.get(1).env()).containsEntry("CUDA_VISIBLE_DEVICES", "GPU-bbbb").containsEntry("RHIZOME_GPU_INDEX", "1");
        assertThat(slots.get(2).env()).containsEntry("CUDA_VISIBLE_DEVICES", "").doesNotContainKey("RHIZOME_GPU_INDEX");
    }

    @Test
    void chosenGpusOnlyAndCpuJobsDefaultToNoneBesideGpusButOneWithout() {
        Hardware hw = new Hardware("cpu", 8, List.of(H100, RTX), "gpu:nvidia-h100-80gb");
        assertThat(SlotPlan.of(hw, prefs(Set.of(1), false, -1))).extracting(Slot::name).containsExactly("gpu1");
        assertThat(SlotPlan.of(hw, prefs(Set.of(), true, -1))).extracting(Slot::name).containsExactly("cpu0");
        Hardware cpuOnly = new Hardware("cpu", 8, List.of(), "cpu:cpu");
        assertThat(SlotPlan.of(cpuOnly, prefs(Set.of(), false, -1))).extracting(Slot::name).containsExactly("cpu0");
        assertThatThrownBy(() -> SlotPlan.of(hw, prefs(Set.of(3), false, -1)))
                .hasMessageContaining("no GPU with index [3]").hasMessageContaining("its GPUs' indices are 0, 1");
        // a machine with none said "(it has [])"
        assertThatThrownBy(() -> SlotPlan.of(cpuOnly, prefs(Set.of(3), false, -1)))
                .hasMessageContaining("no GPU with index [3]").hasMessageContaining("nvidia-smi finds no GPU here")
                .hasMessageNotContaining("[]");
        // no GPU and cpu-jobs 0: a serve-only node, which runs no job
        assertThat(SlotPlan.of(cpuOnly, prefs(Set.of(), false, 0))).isEmpty();
        assertThat(SlotPlan.of(hw, prefs(Set.of(), true, 0))).isEmpty();
    }

    @Test
    void theBufferHoldsOnlyWhatItCanFinishWithinALease() {
        long now = 1_000_000;
        // A 60 s job started 10 s ago, the next expected to take 60 s, under a 150 s lease: fits.
        assertThat(LeasePlanner.mayBuffer(now, now - 10_000, 60_000, 60_000, 150_000)).isTrue();
        // The same under a 100 s lease would not finish in time (50 + 60 + margin > 100).
        assertThat(LeasePlanner.mayBuffer(now, now - 10_000, 60_000, 60_000, 100_000)).isFalse();
        // A job running past its estimate counts as about to end.
        assertThat(LeasePlanner.mayBuffer(now, now - 90_000, 60_000, 60_000, 80_000)).isTrue();
        assertThat(LeasePlanner.needsRenewal(now, now + 200_000, 60_000)).isFalse();
        assertThat(LeasePlanner.needsRenewal(now, now + 70_000, 60_000)).isTrue();
    }

    @Test
    void runtimeEstimatesAreTheLongestRecentRunCappedByTheJobsWallClockBound() {
        RuntimeEstimates estimates = new RuntimeEstimates();
        WorkUnit unit = WorkUnit.newBuilder().setSeed("s").setManifest(Manifest.newBuilder().setTimeoutSeconds(100)).build();
        assertThat(estimates.expectedMs(unit)).isEqualTo(100_000);
        estimates.record("s", 20_000);
        estimates.record("s", 30_000);
        assertThat(estimates.expectedMs(unit)).isEqualTo(30_000);
        estimates.record("s", 150_000); // starved of a CPU: past its timeout, within its bound
        assertThat(estimates.expectedMs(unit)).isEqualTo(150_000);
        estimates.record("s", 500_000);
        assertThat(estimates.expectedMs(unit)).isEqualTo(200_000);
    }

    @Test
    void bufferedUnitsSurviveARestart() throws Exception {
        WorkUnit unit = WorkUnit.newBuilder().setId("u1").setCommit("c").setLeaseDeadlineMs(42).build();
        new UnitBuffer(dir).put("gpu0", unit);
        UnitBuffer reopened = new UnitBuffer(dir);
        assertThat(reopened.get("gpu0")).hasValue(unit);
        assertThat(reopened.get("gpu1")).isEmpty();
        reopened.clear("gpu0");
        assertThat(new UnitBuffer(dir).get("gpu0")).isEmpty();
    }
}
