package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.PeerProtocol;
import java.util.List;
import java.util.function.Function;

/**
 * How the peer layer's pieces reach the core: a step of the protocol run on the one core thread,
 * in order with every other, and the effects it returns carried out. The pieces decide nothing;
 * they turn socket and worker events into steps.
 */
interface CoreSteps {
    /** Runs {@code step} on the core thread, later, and carries out the effects it returns. */
    void post(Function<PeerProtocol, List<Effect>> step);

    /** {@link #post} for a caller already on the core thread: runs {@code step} now. */
    void run(Function<PeerProtocol, List<Effect>> step);

    /** Runs {@code work} on the core thread, later, in order with the steps. */
    void later(Runnable work);

    /** The core's clock: monotonic, in milliseconds (the wall clock's time when the node started, then moved on by elapsed time). */
    long nowMs();

    /** The wall clock, in milliseconds since the epoch: what signed records (a hello's NodeInfo) are judged by. */
    long wallMs();
}
