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
    void aSilenceThatOutlivedARetryIsStillOneChargeAWindowTheRestIsTheDisciplines() {
        scores.penalise(peer, Penalty.STALLED, 20_000); // the pause: -4
        scores.penalise(peer, Penalty.STALLED, 30_000); // the retry asked at 20 s stalled too: -16
        assertThat(scores.stallStreak(peer)).isEqualTo(2); // Discipline rests it here

        // The other transfer it held, silent since before that charge, is the same silence (free);
        // one asked after it (once its rest is over) is a new one, and bans it (-64).
        assertThat(scores.sameSilence(peer, 21_000)).isTrue();
        assertThat(scores.sameSilence(peer, 30_000)).isFalse();
        assertThat(scores.penalise(peer, Penalty.STALLED, 70_000)).isEqualTo(PeerScores.Verdict.BAN);
        scores.delivered(peer);
        assertThat(scores.stallStreak(peer)).isZero();
    }
}
