package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each slot's share of the node's CPUs ({@link CpuShare#divide}): disjoint, covering, as even as they can be. */
class CpuShareTest {

    @Test
    void slotsGetDisjointContiguousSharesThatCoverTheNodesCpus() {
        CpuShare node = CpuShare.parse("0-3,6,8-10");
        List<CpuShare> shares = node.divide(3);
        assertThat(shares).extracting(CpuShare::list).containsExactly("0-1", "2-3,6", "8-10")
                .as("8 CPUs, 3 slots: sizes 2, 3, 3");
        Set<Integer> seen = new HashSet<>();
        for (CpuShare share : shares) {
            for (int cpu : share.cpus()) {
                assertThat(seen.add(cpu)).as("CPU %d in two slots' shares", cpu).isTrue();
            }
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(node.cpus());
        assertThat(node.divide(1)).containsExactly(node);
    }

    @Test
    void aGpuSlotGetsTheWeightOfFourCpuSlotsWhereTheCpusAllowAndEverySlotKeepsOne() {
        int gpu = CpuShare.GPU_SLOT_WEIGHT;
        // 16 CPUs, one GPU slot and 12 CPU slots: the GPU's job 4 cores for its data loading, each CPU job one.
        List<CpuShare> shares = CpuShare.parse("0-15").divide(List.of(gpu, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
        assertThat(shares.get(0).list()).isEqualTo("0-3");
        assertThat(shares.subList(1, 13)).allSatisfy(s -> assertThat(s.cpus()).hasSize(1));
        assertDisjointCovering(shares, CpuShare.parse("0-15"));
        // 8 CPUs, one GPU slot and 7 CPU slots: weights cannot be met, and no slot is left without a CPU.
        List<CpuShare> tight = CpuShare.parse("0-7").divide(List.of(gpu, 1, 1, 1, 1, 1, 1, 1));
        assertThat(tight).allSatisfy(s -> assertThat(s.cpus()).hasSize(1));
        assertDisjointCovering(tight, CpuShare.parse("0-7"));
        // Two GPU slots after two CPU slots on 20 CPUs: 2, 2, 8, 8, in the slots' order.
        assertThat(CpuShare.parse("0-19").divide(List.of(1, 1, gpu, gpu))).extracting(CpuShare::list)
                .containsExactly("0-1", "2-3", "4-11", "12-19");
        // Equal weights divide as the slot count does.
        CpuShare node = CpuShare.parse("0-3,6,8-10");
        assertThat(node.divide(List.of(1, 1, 1))).isEqualTo(node.divide(3));
        assertThatThrownBy(() -> node.divide(List.of(1, 0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weight");
        assertThatThrownBy(() -> node.divide(List.<Integer>of())).isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertDisjointCovering(List<CpuShare> shares, CpuShare node) {
        Set<Integer> seen = new HashSet<>();
        for (CpuShare share : shares) {
            for (int cpu : share.cpus()) {
                assertThat(seen.add(cpu)).as("CPU %d in two slots' shares", cpu).isTrue();
            }
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(node.cpus());
    }

    @Test
    void moreSlotsThanCpusShareThemInTurnAndNoSlotIsLeftWithout() {
        // a volunteer who allowed 3 CPU jobs on 2 cores: slots 0 and 2 share a core, none has none
        assertThat(CpuShare.parse("4-5").divide(3)).extracting(CpuShare::list).containsExactly("4", "5", "4");
        assertThat(CpuShare.parse("7").divide(2)).extracting(CpuShare::list).containsExactly("7", "7");
    }

    @Test
    void theKernelsListIsReadAndWrittenAsTheKernelWritesIt() {
        assertThat(CpuShare.parse("0-2,5,7-8\n").cpus()).containsExactly(0, 1, 2, 5, 7, 8);
        assertThat(new CpuShare(List.of(3, 1, 2, 9)).list()).isEqualTo("1-3,9");
        assertThat(CpuShare.ofThisProcess()).as("this process's own CPUs, from /proc/self/status").isPresent()
                .get().satisfies(own -> assertThat(own.cpus()).hasSizeLessThanOrEqualTo(
                        Math.max(Runtime.getRuntime().availableProcessors(), own.cpus().size())));
        assertThatThrownBy(() -> CpuShare.parse("3-1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3-1");
        assertThatThrownBy(() -> new CpuShare(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CpuShare.parse("0").divide(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
