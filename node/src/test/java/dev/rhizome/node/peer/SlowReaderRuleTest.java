package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SlowReaderRuleTest {
    @Test
    void theWindowIsOneChunkAtTheFetchSidesFloorAndNeverUnderTenSeconds() {
        assertThat(new SlowReaderRule(16 << 10).windowMs()).isEqualTo(10_000);
        assertThat(new SlowReaderRule(256 << 10).windowMs()).isEqualTo(256 * 1024 * 1000L / (64 * 1024 / 10));
    }

    @Test
    void onlyAReaderThatLetNoChunkThroughForAWholeWindowWhileWeWaitedOnItIsCut() {
        SlowReaderRule rule = new SlowReaderRule(16 << 10);
        rule.progressed(0);
        assertThat(rule.stalled(9_999, true)).isFalse();
        assertThat(rule.stalled(10_000, false)).as("the channel has room: our pacing, not the reader").isFalse();
        assertThat(rule.stalled(10_000, true)).isTrue();

        rule.progressed(10_500);  // a chunk went out
        assertThat(rule.stalled(20_000, true)).isFalse();
        assertThat(rule.stalled(20_500, true)).isTrue();
    }

    @Test
    void bytesTheSocketAcceptedCountOnceTheyMakeAChunk() {
        SlowReaderRule rule = new SlowReaderRule(16 << 10);
        rule.started(0);
        rule.accepted(4 << 10, 2_500);
        rule.accepted(8 << 10, 5_000);
        rule.accepted(12 << 10, 7_500);
        assertThat(rule.stalled(10_000, true)).as("12 KiB in 10 s: under a chunk, a trickler").isTrue();

        rule.started(0);
        rule.accepted(40 << 10, 2_500); // a steady 16 KB/s reader
        rule.accepted(80 << 10, 5_000);
        rule.accepted(70 << 10, 7_500); // a smaller figure (units of a partly written frame) is ignored
        rule.accepted(120 << 10, 7_500);
        assertThat(rule.stalled(10_000, true)).isFalse();
        assertThat(rule.stalled(17_499, true)).isFalse();
        assertThat(rule.stalled(17_500, true)).isTrue();
    }
}
