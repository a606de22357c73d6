package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the driver stops reading a link whose messages the core has not handled yet, and reads it again. */
class LinkBacklogTest {
    final LinkBacklog backlog = new LinkBacklog();

    @Test
    void aLinkIsPausedAtTheBoundAndReadAgainOnceItsBacklogHalves() {
        for (int i = 1; i < LinkBacklog.MAX_QUEUED; i++) {
            assertThat(backlog.received()).as("message %d", i).isFalse();
        }
        assertThat(backlog.received()).as("the bound").isTrue();

        for (int i = LinkBacklog.MAX_QUEUED - 1; i > LinkBacklog.RESUME_AT; i--) {
            assertThat(backlog.handled()).as("%d left", i).isFalse();
        }
        assertThat(backlog.handled()).as("half handled").isTrue();
        assertThat(backlog.queued()).isEqualTo(LinkBacklog.RESUME_AT);
    }

    @Test
    void aLinkTheCoreKeepsUpWithIsNeverPaused() {
        for (int i = 0; i < 10_000; i++) {
            assertThat(backlog.received()).isFalse();
            backlog.handled();
        }
        assertThat(backlog.queued()).isZero();
    }
}
