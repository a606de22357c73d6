package dev.rhizome.node.gossip.core;

import java.util.List;
import java.util.Random;
import java.util.Set;

/** Pushes this node's own signed NodeInfo to a fanout now and then, so others learn an address that changed. */
final class SelfAnnouncer {
    /** How often a node pushes its own signed NodeInfo, so others learn an address that changed. */
    static final long SELF_ANNOUNCE_INTERVAL_MS = 10 * 60_000;

    private final SelfSigner selfSigner;
    private final Outbox outbox;
    private long nextSelfAnnounceMs;

    SelfAnnouncer(SelfSigner selfSigner, Outbox outbox) {
        this.selfSigner = selfSigner;
        this.outbox = outbox;
    }

    /** The first announcement comes at a random point of the first interval, so restarted nodes do not announce together. */
    void started(long now, Random random) {
        nextSelfAnnounceMs = now + (long) (random.nextDouble() * SELF_ANNOUNCE_INTERVAL_MS);
    }

    void tick(long now, List<Effect> out) {
        if (now >= nextSelfAnnounceMs) {
            nextSelfAnnounceMs = now + SELF_ANNOUNCE_INTERVAL_MS;
            outbox.relay(selfSigner.selfInfo(now), Set.of(), now, out);
        }
    }

    long nextAnnounceMs() {
        return nextSelfAnnounceMs;
    }
}
