package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.Random;

/**
 * What every collaborator of the core reads about the node itself: its id, its settings and its
 * random source (none of them written after the core is made), and the running totals behind
 * {@link GossipStats}, which each collaborator adds to for what it does.
 */
record Self(PublicId id, GossipConfig config, Random random, Counters counters) {
}
