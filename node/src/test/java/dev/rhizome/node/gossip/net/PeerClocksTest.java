package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.LinkHandshake;
import dev.rhizome.protocol.identity.Identity;
import org.junit.jupiter.api.Test;

/** This node's clock against its peers', judged by the median of the peers' hellos read lately. */
class PeerClocksTest {
    static final long HOUR = 3_600_000;
    final PeerClocks clocks = new PeerClocks();
    final long now = 5_000_000;

    @Test
    void peersAllAheadByMoreThanTheSkewSayThisNodesClockIsBehindAndWhatToDo() {
        clocks.read(Identity.generate().publicId(), 2 * HOUR, now);
        assertThat(clocks.verdict(now)).as("one peer is no judgement").isNull();
        clocks.read(Identity.generate().publicId(), 2 * HOUR + 900, now);
        GossipService.ClockCheck check = clocks.verdict(now);
        assertThat(check.peers()).isEqualTo(2);
        assertThat(check.problem()).contains("7200 s behind its peers'").contains("enable NTP");
    }

    @Test
    void onePeerWithAWrongClockDoesNotMakeThisNodesLookWrong() {
        clocks.read(Identity.generate().publicId(), -3 * HOUR, now);
        clocks.read(Identity.generate().publicId(), 300, now);
        clocks.read(Identity.generate().publicId(), -200, now);
        GossipService.ClockCheck check = clocks.verdict(now);
        assertThat(check.problem()).isNull();
        assertThat(check.peersAheadMs()).isEqualTo(-200);
    }

    @Test
    void aClockAheadIsSaidSoAndOldReadingsAreForgotten() {
        clocks.read(Identity.generate().publicId(), -LinkHandshake.MAX_SKEW_MS - 60_000, now);
        clocks.read(Identity.generate().publicId(), -LinkHandshake.MAX_SKEW_MS - 90_000, now);
        assertThat(clocks.verdict(now).problem()).contains("ahead of its peers'");
        assertThat(clocks.verdict(now + PeerClocks.FORGET_MS + 1)).as("read over half an hour ago").isNull();
    }
}
