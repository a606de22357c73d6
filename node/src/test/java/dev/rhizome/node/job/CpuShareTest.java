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
