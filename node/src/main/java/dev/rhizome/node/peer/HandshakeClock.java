package dev.rhizome.node.peer;

import java.time.Duration;

/**
 * When a connection's handshake has run too long, counted in the peer's turns. A handshake is a
 * few turns: the peer's (it writes its next message: hello, proof) and ours (the hello waits its
 * turn among other handshakes, we verify and sign, we write). Each turn of the peer's gets
 * {@link #turnMs} from the moment it began (our last message handed to the socket, or the
 * connection opened); time on our side is not the peer's to pay. The whole handshake, both sides'
 * turns together, is capped at {@link #capMs}, so however many turns a peer makes us take (each of
 * our answers starts it a fresh window) it is cut by then.
 *
 * <p>Before round 33 a connection had one deadline of {@code connectTimeout} (5 s) for everything:
 * the wait for a hello, our own queue of handshakes and our answer, and the peer's proof. At load
 * 30-40 honest peers on loopback missed it ("no proven hello") and lost their links; a wait in our
 * queue of handshakes (up to 20 s when a flood fills it) was charged to whichever peer sat in it.
 * Now a peer gets twice the connect timeout for each of its turns (10 s by default, the stall
 * window an honest holder gets mid-transfer, {@link SlowReaderRule#MIN_WINDOW_MS}) and the
 * handshake six times it in all (30 s): a rogue that never finishes is still cut, at its first
 * silent turn, and what it holds meanwhile (an unproven connection) is the first place given up to
 * a newcomer when the server is full ({@link InboundLimits}).
 *
 * <p>Pure: time is passed in. Not thread-safe: one channel's event loop drives it.
 */
public final class HandshakeClock {
    /** Each turn of the peer's gets this many connect timeouts. */
    static final int TURN_PER_CONNECT = 2;
    /** The whole handshake gets this many connect timeouts. */
    static final int CAP_PER_CONNECT = 6;

    private final long turnMs;
    private final long capMs;
    private final long startedMs;
    /** When the peer's turn began; -1 while it is ours. */
    private long peerTurnSinceMs;

    /** A handshake opened at {@code nowMs}, the peer's turn first (inbound, it speaks first; outbound, ours ends at once). */
    public HandshakeClock(long turnMs, long capMs, long nowMs) {
        if (turnMs <= 0 || capMs < turnMs) {
            throw new IllegalArgumentException("a turn of " + turnMs + " ms within a cap of " + capMs + " ms");
        }
        this.turnMs = turnMs;
        this.capMs = capMs;
        this.startedMs = nowMs;
        this.peerTurnSinceMs = nowMs;
    }

    /** The clock for a server or dialler that gives itself {@code connectTimeout} to connect. */
    public static HandshakeClock forConnectTimeout(Duration connectTimeout, long nowMs) {
        long connectMs = connectTimeout.toMillis();
        return new HandshakeClock(TURN_PER_CONNECT * connectMs, CAP_PER_CONNECT * connectMs, nowMs);
    }

    /** We owe the peer our next message (its hello waits its turn, we sign): no turn of its runs. */
    public void ourTurn() {
        peerTurnSinceMs = -1;
    }

    /** Our message reached the socket at {@code nowMs}: the peer owes its next one, within a turn. */
    public void peerTurn(long nowMs) {
        peerTurnSinceMs = nowMs;
    }

    /** Whether it is the peer's turn. */
    public boolean peersTurn() {
        return peerTurnSinceMs >= 0;
    }

    /** When the handshake is over its time: the peer's turn's end, or the cap, whichever comes first. */
    public long deadlineMs() {
        long cap = startedMs + capMs;
        return peerTurnSinceMs < 0 ? cap : Math.min(cap, peerTurnSinceMs + turnMs);
    }

    /** Whether the handshake is over its time at {@code nowMs}. */
    public boolean expired(long nowMs) {
        return nowMs >= deadlineMs();
    }

    /** Why it expired, for the log: whose time ran out. */
    public String why(long nowMs) {
        if (nowMs >= startedMs + capMs) {
            return "the handshake not done within " + capMs + " ms";
        }
        return "no next handshake message within " + turnMs + " ms of its turn";
    }

    public long turnMs() {
        return turnMs;
    }

    public long capMs() {
        return capMs;
    }
}
