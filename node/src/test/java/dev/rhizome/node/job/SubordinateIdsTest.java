package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SubordinateIdsTest {
    private static final String FILE = """
            alice:100000:65536
            # not a range
            bob:165536:3
            1002:231072:65536
            carol:x:65536
            dave:0:65536
            """;

    @Test
    void aUsersRangeIsFoundByNameOrUidAndMustHoldEnoughIds() {
        assertThat(SubordinateIds.of(FILE, "alice", 1000, 4)).contains(new SubordinateIds(100_000, 65_536));
        assertThat(SubordinateIds.of(FILE, "erin", 1002, 4)).contains(new SubordinateIds(231_072, 65_536));
        // three ids do not give four slots a uid each
        assertThat(SubordinateIds.of(FILE, "bob", 1001, 4)).isEmpty();
        assertThat(SubordinateIds.of(FILE, "bob", 1001, 3)).contains(new SubordinateIds(165_536, 3));
        // malformed, or starting at root's id 0: no range
        assertThat(SubordinateIds.of(FILE, "carol", 1003, 1)).isEmpty();
        assertThat(SubordinateIds.of(FILE, "dave", 1004, 1)).isEmpty();
        assertThat(SubordinateIds.of("", "alice", 1000, 1)).isEmpty();
    }

    @Test
    void theDoctorSaysWhetherTheNodeUserHasARangeAndTheTools() {
        FakeHost host = new FakeHost().text("/etc/subuid", FILE).text("/etc/subgid", "alice:100000:65536\n");
        assertThat(SubordinateIds.readiness(host, "alice", 1000, true))
                .isEqualTo("subordinate ids 100000+65536 (uids) and 100000+65536 (gids) for alice");
        assertThat(SubordinateIds.readiness(host, "alice", 1000, false)).contains("but newuidmap or newgidmap is missing");
        assertThat(SubordinateIds.readiness(host, "bob", 1001, true)).isEqualTo("no subordinate ids for bob in /etc/subgid");
        assertThat(SubordinateIds.readiness(new FakeHost(), "bob", 1001, true))
                .isEqualTo("no subordinate ids for bob in /etc/subuid and /etc/subgid");
    }

    @Test
    void theRemedyNamesTheLinesToAddAndTheTools() {
        assertThat(SubordinateIds.remedy("alice")).contains("'alice:100000:65536' in /etc/subuid and in /etc/subgid",
                "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice", "apt install uidmap");
    }

    @Test
    void aDescriptorTravelsAsNumbersOnlyAndAnythingElseIsRefused() {
        JobDescriptor d = new JobDescriptor(42, true, 7, 0100644, 2049, 123456, 0, 3 << 20);
        assertThat(JobDescriptor.parse(d.line())).isEqualTo(d);
        assertThat(d.regular()).isTrue();
        assertThat(d.pipeOrFifo()).isFalse();
        assertThat(new JobDescriptor(1, false, 0, 0010600, 13, 9, 1, 0).pipeOrFifo()).isTrue();
        assertThat(new JobDescriptor(1, false, 0, -1, 0, 0, 0, 0).regular()).isFalse();
        assertThatThrownBy(() -> JobDescriptor.parse("42 0 0 /home/volunteer/.ssh/id_ed25519"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a descriptor's line");
        assertThatThrownBy(() -> JobDescriptor.parse("42 0 0 x 1 2 3 4")).isInstanceOf(NumberFormatException.class);
    }
}
