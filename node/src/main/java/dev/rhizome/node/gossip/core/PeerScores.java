package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * Peer scores, which start at 0 and decay back toward 0 (half-life {@link #HALF_LIFE_MS}) so an
 * honest peer recovers from the odd timeout, and bans. Decay starts only once a peer has been quiet
 * for {@link #MEMORY_MS}: offences that come within that span of each other add up in full, so the
 * documented thresholds hold exactly (four forgeries, -8 each, ban at the fourth, not the fifth).
 *
 * <p>A stall costs four times more for each further stall with no delivery in between (-4, -16,
 * -64): one slow transfer is cheap, but a peer that announces bundles and never serves them is
 * banned at its third stall in a row. A gentler escalation would first cross the disconnect
 * threshold, and a disconnected staller would then decay back just above it forever, never banned.
 *
 * <p>Stalls are counted per silence, not per transfer: a holder that pauses (a laptop lid, a GC)
 * with several of our transfers running stalls them all at once, and charging each as a further
 * stall in a row would ban an honest peer for one pause. A stall of a transfer that was already
 * silent when the peer's last stall was charged is that same silence ({@link #sameSilence}) and
 * costs nothing more, wherever the streak stands; a transfer asked after the charge (a retry)
 * stalls anew and escalates. A silence that outlived a retry (a streak of two) rests the holder
 * ({@link Discipline#stalled}): it is asked nothing until the rest ends, and then, silent still, its
 * next stall (-64) bans it, while an honest holder whose pause ended serves and its streak ends.
 * Round 18 charged every transfer of such a silence in the row instead, so an honest holder silent
 * through two windows with 2 of our transfers was banned there (-4, -16, -64) as a rogue was.
 */
final class PeerScores {
    static final long HALF_LIFE_MS = 5 * 60_000;
    /** How long after its last offence a peer's score stays put before it starts to recover. */
    static final long MEMORY_MS = 5 * 60_000;
    /** Scores closer to 0 than this are forgotten, which keeps the map bounded by recent offenders. */
    private static final double NEGLIGIBLE = 0.5;

    enum Verdict { KEEP, DISCONNECT, BAN }

    private static final class Score {
        double value;
        long atMs;
        int stallStreak;
        /** When the last stall in the streak was charged (meaningful while stallStreak > 0). */
        long lastStallMs;
    }

    private final GossipConfig config;
    private final int maxTracked;
    private final Map<PublicId, Score> scores = new HashMap<>();
    private final Map<PublicId, Long> bannedUntil = new HashMap<>();
    private final AddressStanding standing = new AddressStanding();

    PeerScores(GossipConfig config) {
        this.config = config;
        this.maxTracked = 4 * config.maxKnownPeers();
    }

    double score(PublicId peer, long nowMs) {
        Score s = scores.get(peer);
        return s == null ? 0 : decayed(s, nowMs);
    }

    Verdict penalise(PublicId peer, Penalty penalty, long nowMs) {
        return penalise(peer, penalty, null, nowMs);
    }

    /**
     * Scores an offence by {@code peer}, whose link came from {@code remote} (null when it has none):
     * weighed by the bans from that place lately ({@link AddressStanding}), and a ban counted there.
     */
    Verdict penalise(PublicId peer, Penalty penalty, LinkEnd remote, long nowMs) {
        Score s = scores.computeIfAbsent(peer, p -> new Score());
        double weight = penalty.weight * standing.factor(remote, nowMs);
        if (penalty == Penalty.STALLED) {
            weight *= 1L << (2 * Math.min(s.stallStreak, 8));
            s.stallStreak++;
            s.lastStallMs = nowMs;
        }
        s.value = decayed(s, nowMs) + weight;
        s.atMs = nowMs;
        if (s.value <= config.banScore()) {
            bannedUntil.put(peer, nowMs + config.banDuration().toMillis());
            if (remote != null) {
                standing.banned(remote, nowMs);
            }
            return Verdict.BAN;
        }
        return s.value <= config.disconnectScore() ? Verdict.DISCONNECT : Verdict.KEEP;
    }

    /**
     * Whether a stall of {@code peer}'s transfer, silent since {@code silentSinceMs}, is the silence its
     * last charged stall was charged for: the transfer was already silent then and the peer has
     * delivered nothing since. Such a stall is not charged again, nor counted in the streak.
     */
    boolean sameSilence(PublicId peer, long silentSinceMs) {
        Score s = scores.get(peer);
        return s != null && s.stallStreak > 0 && silentSinceMs < s.lastStallMs;
    }

    /** Stalls charged in a row with no delivery between (0: none, or it delivered since). */
    int stallStreak(PublicId peer) {
        Score s = scores.get(peer);
        return s == null ? 0 : s.stallStreak;
    }

    void delivered(PublicId peer) {
        Score s = scores.get(peer);
        if (s != null) {
            s.stallStreak = 0;
        }
    }

    boolean isBanned(PublicId peer, long nowMs) {
        Long until = bannedUntil.get(peer);
        return until != null && nowMs < until;
    }

    /** Neither banned nor below the disconnect threshold: worth dialing or keeping. */
    boolean isWelcome(PublicId peer, long nowMs) {
        return !isBanned(peer, nowMs) && score(peer, nowMs) > config.disconnectScore();
    }

    /** Forgets expired bans and decayed scores; past the bound, forgets the mildest offenders first. */
    void sweep(long nowMs) {
        standing.sweep(nowMs);
        bannedUntil.values().removeIf(until -> until <= nowMs);
        scores.entrySet().removeIf(e -> Math.abs(decayed(e.getValue(), nowMs)) < NEGLIGIBLE && e.getValue().stallStreak == 0
                && !bannedUntil.containsKey(e.getKey()));
        if (scores.size() > maxTracked) {
            scores.entrySet().stream()
                    .filter(e -> !bannedUntil.containsKey(e.getKey()))
                    .sorted(Comparator.comparingDouble(e -> -decayed(e.getValue(), nowMs)))
                    .limit(scores.size() - maxTracked)
                    .map(Map.Entry::getKey)
                    .toList()
                    .forEach(scores::remove);
        }
        if (bannedUntil.size() > maxTracked) {
            bannedUntil.entrySet().stream()
                    .sorted(Map.Entry.comparingByValue())
                    .limit(bannedUntil.size() - maxTracked)
                    .map(Map.Entry::getKey)
                    .toList()
                    .forEach(bannedUntil::remove);
        }
    }

    int size() {
        return scores.size() + bannedUntil.size();
    }

    private static double decayed(Score s, long nowMs) {
        long elapsed = Math.max(0, nowMs - s.atMs - MEMORY_MS);
        return s.value * Math.pow(0.5, (double) elapsed / HALF_LIFE_MS);
    }
}
