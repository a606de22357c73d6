package dev.rhizome.node.gossip.core;

/**
 * A snapshot of one core's counters and state sizes.
 *
 * @param messagesSent          every gossip message sent (control traffic: announcements, peer exchange)
 * @param announcementsSent     signed announcements sent (inventory, node info, result), one per recipient
 * @param announcementsReceived announcements accepted
 * @param duplicates            announcements already seen (normal for relayed ones)
 * @param invalid               announcements and records refused: signature, signer, time window, limits
 * @param rateLimited           messages dropped by a peer's token bucket
 * @param fetchesStarted        Fetch effects emitted
 * @param fetchesCompleted      bundles fetched and imported
 * @param fetchesFailed         fetches failed, stalled or abandoned
 * @param bytesFetched          bundle bytes fetched
 * @param peersBanned           bans imposed
 * @param peersDisconnected     disconnects the core asked for
 * @param seenCacheSize         message ids remembered
 * @param peerTableSize         peers known
 * @param connected             open connections
 * @param wanted                commits announced to us and not yet held
 * @param scoresTracked         peers with a non-negligible score or a ban
 * @param newerKinds            messages of a kind a newer version added, dropped at no cost
 */
public record GossipStats(long messagesSent, long announcementsSent, long announcementsReceived, long duplicates,
        long invalid, long rateLimited, long fetchesStarted, long fetchesCompleted, long fetchesFailed,
        long bytesFetched, long peersBanned, long peersDisconnected, long seenCacheSize, int peerTableSize,
        int connected, int wanted, int scoresTracked, long newerKinds) {
}
