package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The handshake's time counted in the peer's turns, on virtual time (ms). */
class HandshakeClockTest {
    /** What a node gives itself by default: 5 s to connect, so 10 s a turn and 30 s in all. */
    private static HandshakeClock opened(long atMs) {
        return HandshakeClock.forConnectTimeout(Duration.ofSeconds(5), atMs);
    }

    @Test
    void eachTurnOfThePeersIsTwiceTheConnectTimeoutAndTheWholeHandshakeSixTimes() {
        HandshakeClock clock = opened(1_000);
        assertThat(clock.turnMs()).isEqualTo(10_000);
        assertThat(clock.capMs()).isEqualTo(30_000);
        assertThat(clock.peersTurn()).as("a peer speaks first").isTrue();
        assertThat(clock.expired(10_999)).isFalse();
        assertThat(clock.expired(11_000)).as("a peer silent for a whole turn").isTrue();
        assertThat(clock.why(11_000)).contains("within 10000 ms of its turn");
    }

    @Test
    void anHonestPeerSlowAtEachTurnPassesWhereTheOldSingleFiveSecondDeadlineCutIt() {
        // Loaded machines: its hello 7 s after accept, our answer 1 s later, its proof 8 s after that.
        HandshakeClock clock = opened(0);
        assertThat(clock.expired(7_000)).isFalse();
        clock.ourTurn();  // its hello read, waiting its turn
        clock.peerTurn(8_000);  // our hello on the socket
        assertThat(clock.expired(16_000)).as("its proof, 16 s after accept (the old rule: 5 s in all)").isFalse();
    }

    @Test
    void timeOnOurSideIsNotThePeers() {
        // Its hello at 2 s waits 20 s in a queue of handshakes a flood filled; the peer then answers in 5 s.
        HandshakeClock clock = opened(0);
        clock.ourTurn();
        assertThat(clock.peersTurn()).isFalse();
        assertThat(clock.expired(21_999)).as("our queue is not its turn").isFalse();
        clock.peerTurn(22_000);
        assertThat(clock.expired(27_000)).isFalse();
        assertThat(clock.deadlineMs()).as("its turn, within the cap").isEqualTo(30_000);
    }

    @Test
    void theCapCutsAPeerThatMakesUsAnswerAgainAndAgain() {
        // Each of our answers starts it a fresh turn: the cap is what ends a handshake that never finishes.
        HandshakeClock clock = opened(0);
        long now = 0;
        while (!clock.expired(now)) {
            clock.ourTurn();
            clock.peerTurn(now);
            now += 9_000;
        }
        assertThat(now).isEqualTo(36_000);
        assertThat(clock.expired(29_999)).isFalse();
        assertThat(clock.expired(30_000)).isTrue();
        assertThat(clock.why(30_000)).contains("not done within 30000 ms");
    }

    @Test
    void ourTurnLeftOpenIsStillCappedAndAPeersTurnIsNeverLongerThanTheCapAllows() {
        HandshakeClock clock = opened(0);
        clock.ourTurn();
        assertThat(clock.deadlineMs()).as("an answer of ours that never goes out").isEqualTo(30_000);
        clock.peerTurn(25_000);
        assertThat(clock.deadlineMs()).isEqualTo(30_000);
    }

    @Test
    void aTurnLongerThanTheCapIsRefused() {
        assertThatThrownBy(() -> new HandshakeClock(10_000, 5_000, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a turn of 10000 ms within a cap of 5000 ms");
        assertThatThrownBy(() -> new HandshakeClock(0, 5_000, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
