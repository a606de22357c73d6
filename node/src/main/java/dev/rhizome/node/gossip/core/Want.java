package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * One wanted commit: the holders to ask in turn, the transfer running (if any) and its clocks, and
 * what each peer claimed about it. A plain record of state: the planner's collaborators each write
 * their own part (noted per field), so that one place says who moves what.
 */
final class Want {
    /** A peer said to hold the commit, waiting its turn to be asked. */
    static final class Holder {
        final PublicId peer;
        /** Tries that failed in a way worth retrying (a stall, a lost connection, a decline). */
        int attempts;
        long notBeforeMs;

        Holder(PublicId peer) {
            this.peer = peer;
        }
    }

    // Who holds it ({@link FetchPlanner} queues, {@link HolderClaims} withdraws and forgets).
    final ArrayDeque<Holder> queue = new ArrayDeque<>();
    final Set<PublicId> announcers = new HashSet<>();
    /** Peers that signed an Inventory naming this commit to us: for them, "not found" is a lie. */
    final Set<PublicId> claimed = new HashSet<>();
    /** Peers whose claim was made on a link that has since ended, and when it ended (see {@link HolderClaims#claimOf}). */
    final Map<PublicId, Long> lapsed = new HashMap<>();
    /** Peers that used up their tries for this commit: a new announcement of it does not queue them again. */
    final Set<PublicId> spent = new HashSet<>();

    // What is wanted ({@link WantTable}, {@link FetchPlanner}).
    /** The peer whose announcement made this want (null: the node's own work), for the table's shares. */
    PublicId origin;
    /** The node's work waits for it: kept past seenTtl, started first, and its exhaustion reported. */
    boolean needed;
    /** Heard of but not to be fetched (the wants filter): its holders are kept until the work asks, or seenTtl. */
    boolean dormant;
    long touchedMs;

    // The running transfer ({@link FetchSlots} starts and stops it, {@link StallClock} and {@link SlowMoves} judge it).
    Holder current;
    long lastProgressMs;
    long countedBytes;
    /** Bytes the current transfer reported last, and where its slow-rule window began (time, bytes). */
    long bytes;
    /** Starved time the stall clock was moved on by since the last step of progress (see {@link StallClock#starved}). */
    long excusedMs;
    long startedMs;
    long windowMs;
    long windowBytes;

    boolean knows(PublicId peer) {
        return (current != null && current.peer.equals(peer)) || queue.stream().anyMatch(h -> h.peer.equals(peer));
    }

    /** Whether the running transfer is the one from {@code peer}. */
    boolean runningFrom(PublicId peer) {
        return current != null && current.peer.equals(peer);
    }
}
