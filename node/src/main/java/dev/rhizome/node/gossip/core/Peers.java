package dev.rhizome.node.gossip.core;

/**
 * What the node knows of other nodes, shared by the collaborators that link, dial, listen and
 * punish: its links and dials in flight ({@link Connections}: opened and turned round by
 * {@link LinkLifecycle}, closed by {@link Discipline}, {@link LinkLiveness} and
 * {@link LinkLifecycle}, dials by {@link Dialer}; each link's own parts are written by the class
 * that defines them), the table of addresses (offered to by whoever learns a record), the scores
 * (written by {@link Discipline} and by deliveries) and how dials to each address went.
 */
record Peers(Connections connections, PeerTable table, PeerScores scores, AddressDials dials) {
}
