package dev.rhizome.node.prefs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What a node tells the coordinator of its closed gate is stable (announced again only when it
 * changes) and keeps the volunteer's own details (the data directory's path, the seconds since
 * input) on the machine.
 */
class RunGateAnnouncedTest {
    @Test
    void theGatesReasonsAreAnnouncedInStableWordsWithoutLocalDetails() {
        assertThat(RunGate.announced("paused")).isEqualTo("paused by its volunteer");
        assertThat(RunGate.announced("outside run-hours 22:00-06:00")).isEqualTo("outside run-hours 22:00-06:00");
        assertThat(RunGate.announced("disk full: /home/ada/.rhizome has 12 MiB free, a unit needs 512 MiB; no work is "
                + "claimed until there is room")).isEqualTo("disk full");
        assertThat(RunGate.announced("machine in use: user input 3 s ago"))
                .isEqualTo(RunGate.announced("machine in use: load 1.20 per core besides our jobs, on 4 cores"))
                .isEqualTo("machine in use (it runs jobs only while idle)");
    }
}
