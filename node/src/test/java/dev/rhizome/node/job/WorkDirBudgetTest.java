package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WorkDirBudgetTest {
    private static final long GIB = 1L << 30;

    @Test
    void aJobGetsHalfOfWhatIsFreeLessTheVolunteersReserve() {
        // 500 GiB disk, 100 free: 5% (25 GiB) kept, half the rest for the job
        assertThat(WorkDirBudget.share(500 * GIB, 100 * GIB)).isEqualTo(75 * GIB / 2);
        // 10 GiB disk, 5 free: the reserve is at least 1 GiB
        assertThat(WorkDirBudget.share(10 * GIB, 5 * GIB)).isEqualTo(2 * GIB);
    }

    @Test
    void aSmallFileSystemKeepsAQuarterAndANearlyFullOneGivesTheFloor() {
        // a 1 GiB /tmp in memory: a quarter kept, not 1 GiB (which would leave jobs nothing)
        assertThat(WorkDirBudget.share(GIB, 900L << 20)).isEqualTo(((900L << 20) - GIB / 4) / 2);
        assertThat(WorkDirBudget.share(500 * GIB, 10 * GIB)).isEqualTo(WorkDirBudget.FLOOR);
    }
}
