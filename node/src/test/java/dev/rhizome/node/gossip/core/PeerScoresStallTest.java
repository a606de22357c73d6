package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import org.junit.jupiter.api.Test;

/** Which stall is the silence already charged: the rule {@link Discipline#stalled} asks of the scores. */
class PeerScoresStallTest {
    final PeerScores scores = new PeerScores(GossipConfig.defaults());
    final PublicId peer = Identity.generate().publicId();

    @Test
    void aTransferSilentSinceBeforeTheChargedStallIsThatSilenceUntilThePeerDelivers() {
        assertThat(scores.sameSilence(peer, 0)).isFalse(); // nothing charged yet

        scores.penalise(peer, Penalty.STALLED, 20_000);

        assertThat(scores.sameSilence(peer, 10_000)).isTrue();  // silent when the stall was charged
        assertThat(scores.sameSilence(peer, 20_000)).isFalse(); // asked at the charge: a new silence
        assertThat(scores.sameSilence(peer, 25_000)).isFalse();
        scores.delivered(peer);
        assertThat(scores.sameSilence(peer, 10_000)).isFalse(); // it served since: silence after that is new
    }

    @Test
    void aSilenceThatOutlivedARetryIsNoPauseAndEveryStallOfItIsCharged() {
        scores.penalise(peer, Penalty.STALLED, 20_000); // the pause: -4
        scores.penalise(peer, Penalty.STALLED, 30_000); // the retry asked at 20 s stalled too: -16

        // Silent through two windows: the other transfer it held is charged too (-64), not forgiven.
        assertThat(scores.sameSilence(peer, 21_000)).isFalse();
        assertThat(scores.penalise(peer, Penalty.STALLED, 30_100)).isEqualTo(PeerScores.Verdict.BAN);
    }
}
