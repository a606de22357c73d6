package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.HandshakeTurns;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.protocol.WarnBudget;
import io.netty.channel.Channel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty adapter of {@link HandshakeTurns}: an inbound gossip hello waits its turn, then is answered
 * on its own channel's event loop (where its handshake's state lives). A hello refused for too many
 * waiting closes its connection at once; one whose connection closed while it waited costs nothing.
 * Thread-safe: every event loop admits, one scheduled drain at a time serves the turns.
 */
final class HandshakeGate {
    private static final Logger log = LoggerFactory.getLogger(HandshakeGate.class);
    private static final WarnBudget REFUSED = new WarnBudget(log);

    private record Waiting(Channel channel, Runnable answer) {
    }

    private final HandshakeTurns<Waiting> turns = new HandshakeTurns<>(nowMs());
    private boolean drainScheduled;

    /** {@code answer} runs on {@code channel}'s event loop when the hello's turn comes. */
    void admit(Channel channel, Runnable answer) {
        Waiting refused;
        synchronized (this) {
            refused = turns.offer(PeerMessages.addressKey(channel), new Waiting(channel, answer));
        }
        if (refused != null) {
            REFUSED.warn("refusing a gossip hello from {}: too many handshakes wait", PeerMessages.remote(refused.channel()));
            refused.channel().close();
        }
        drain(channel);
    }

    private void drain(Channel any) {
        List<Waiting> due;
        synchronized (this) {
            long now = nowMs();
            due = turns.take(now, w -> w.channel().isActive());
            long next = turns.nextTurnMs(now);
            if (next != Long.MAX_VALUE && !drainScheduled) {
                drainScheduled = true;
                any.eventLoop().schedule(() -> {
                    synchronized (this) {
                        drainScheduled = false;
                    }
                    drain(any);
                }, next - now, TimeUnit.MILLISECONDS);
            }
        }
        due.forEach(w -> w.channel().eventLoop().execute(w.answer()));
    }

    private static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }
}
