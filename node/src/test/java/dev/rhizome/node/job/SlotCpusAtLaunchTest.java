package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A slot's share is divided at each launch, of the CPUs online then ({@link SlotCpus#at}). Round 38 divided once, at
 * the node's start: a CPU taken offline later stayed in a share, and a share with none online made {@code taskset}
 * refuse every job of its slot. Offline CPUs cannot be made here, so the rule is tested with the lists the kernel
 * would give; {@code SlotCpusTest} runs a real job on a share with no CPU online.
 */
class SlotCpusAtLaunchTest {
    private static final CpuShare NODE = CpuShare.parse("0-7");
    private static final List<Integer> TWO_CPU_SLOTS_AND_A_GPU = List.of(1, 1, CpuShare.GPU_SLOT_WEIGHT);

    @Test
    void everyCpuOnlineGivesTheShareDividedAtTheStart() {
        for (int i = 0; i < 3; i++) {
            SlotCpus slot = new SlotCpus(NODE, TWO_CPU_SLOTS_AND_A_GPU, i);
            assertThat(slot.at(Optional.of(NODE), Optional.of(NODE))).isEqualTo(slot.planned());
            assertThat(slot.at(Optional.empty(), Optional.empty())).as("lists unread: the start's division")
                    .isEqualTo(slot.planned());
        }
        assertThat(new SlotCpus(NODE, TWO_CPU_SLOTS_AND_A_GPU, 2).planned().list()).isEqualTo("2-7");
    }

    @Test
    void cpusGoneOfflineAreDividedAroundAndEachSlotStillGetsOneOnline() {
        CpuShare online = CpuShare.parse("0,2,4-7"); // 1 and 3 offline: 1 was the second slot's whole share
        assertThat(new SlotCpus(NODE, TWO_CPU_SLOTS_AND_A_GPU, 1).planned().list()).isEqualTo("1");
        List<CpuShare> now = List.of(0, 1, 2).stream()
                .map(i -> new SlotCpus(NODE, TWO_CPU_SLOTS_AND_A_GPU, i).at(Optional.of(NODE), Optional.of(online)))
                .toList();
        assertThat(now).extracting(CpuShare::list).containsExactly("0", "2", "4-7");
        assertThat(now).allSatisfy(s -> assertThat(online.cpus()).containsAll(s.cpus()));
        // And a CPU back online rejoins at the next launch.
        assertThat(new SlotCpus(NODE, TWO_CPU_SLOTS_AND_A_GPU, 2).at(Optional.of(NODE), Optional.of(NODE)).list())
                .isEqualTo("2-7");
    }

    @Test
    void aShareWithNoCpuOnlineFallsBackToTheNodesCpusOnlineNeverToAnEmptyOrOfflineOne() {
        SlotCpus given = SlotCpus.of(CpuShare.parse("6-7"));
        CpuShare online = CpuShare.parse("0-5");
        assertThat(given.at(Optional.of(NODE), Optional.of(online))).isEqualTo(online);
        assertThat(given.at(Optional.of(NODE), Optional.of(CpuShare.parse("5-7"))).list()).isEqualTo("6-7");
        // The node was moved off the divided CPUs (a volunteer's taskset on the node): what it may use now.
        SlotCpus slot = new SlotCpus(CpuShare.parse("0-3"), List.of(1, 1), 1);
        assertThat(slot.at(Optional.of(CpuShare.parse("4-7")), Optional.of(NODE)).list()).isEqualTo("6-7");
        // Nothing the node may use is online as listed (a list read mid-change): the node's CPUs, not none.
        assertThat(slot.at(Optional.of(CpuShare.parse("4-7")), Optional.of(CpuShare.parse("0-3"))).list())
                .isEqualTo("6-7");
    }

    @Test
    void aPlaceOutsideTheSlotsIsRefused() {
        assertThatThrownBy(() -> new SlotCpus(NODE, List.of(1, 1), 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slot 2");
    }
}
