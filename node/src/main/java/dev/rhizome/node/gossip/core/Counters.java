package dev.rhizome.node.gossip.core;

/** The running totals behind {@link GossipStats}. */
final class Counters {
    long messagesSent;
    long announcementsSent;
    long announcementsReceived;
    long duplicates;
    long invalid;
    /** Messages of a kind a newer version added, dropped free. */
    long newerKinds;
    long rateLimited;
    long fetchesStarted;
    long fetchesCompleted;
    long fetchesFailed;
    long bytesFetched;
    long peersBanned;
    long peersDisconnected;
}
