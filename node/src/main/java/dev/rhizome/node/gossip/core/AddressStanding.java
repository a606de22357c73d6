package dev.rhizome.node.gossip.core;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the peers banned lately from one place cost the next key from there. Keys cost nothing, so
 * a banned rogue comes back at once under a fresh one, which starts at score 0 and may offend up to
 * the ban threshold again (four forgeries, two wrong bundles) before it is cut. Here each ban is
 * counted against the place its link came from (an IPv4 /24, an IPv6 /64, as the driver keys a
 * link's address), kept whole for {@link #MEMORY_MS} after the last and then decaying with a
 * half-life of {@link #HALF_LIFE_MS}, and a key linked from a
 * place with bans on record pays each offence one time more per ban (at most {@link #MAX_FACTOR}
 * times): after three bans a fresh key is cut at its first forgery or wrong bundle.
 *
 * <p>No score is lowered and nothing is refused: an honest node behind the rogue's NAT (or its
 * /24) links and keeps its link as before, and only its own offences, if it commits any, cost more
 * while the bans decay (three bans weigh under 1.1 times an hour after the last, six after 70 minutes). A rogue with many /24s pays the
 * full price in each, as before.
 */
final class AddressStanding {
    static final long HALF_LIFE_MS = 10 * 60_000;
    /** Bans stay counted in full this long after the last one, as scores do ({@link PeerScores#MEMORY_MS}), so the factors are whole. */
    static final long MEMORY_MS = 5 * 60_000;
    static final double MAX_FACTOR = 4;
    /** Places remembered at most; past it the one with the fewest bans goes first. */
    static final int MAX_PLACES = 4_096;
    private static final double NEGLIGIBLE = 0.05;
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private static final class Bans {
        double count;
        long atMs;
    }

    private final Map<String, Bans> places = new HashMap<>();

    /** A peer whose link came from {@code remote} was banned. */
    void banned(LinkEnd remote, long nowMs) {
        Bans bans = places.computeIfAbsent(place(remote), p -> new Bans());
        bans.count = decayed(bans, nowMs) + 1;
        bans.atMs = nowMs;
        if (places.size() > MAX_PLACES) {
            places.entrySet().stream().min(Comparator.comparingDouble(e -> decayed(e.getValue(), nowMs)))
                    .map(Map.Entry::getKey).ifPresent(places::remove);
        }
    }

    /** What an offence by a peer linked from {@code remote} is multiplied by: 1 plus the bans there, at most {@link #MAX_FACTOR}. */
    double factor(LinkEnd remote, long nowMs) {
        if (remote == null) {
            return 1;
        }
        Bans bans = places.get(place(remote));
        return bans == null ? 1 : Math.min(MAX_FACTOR, 1 + decayed(bans, nowMs));
    }

    /** Forgets the places whose bans have decayed away. */
    void sweep(long nowMs) {
        places.values().removeIf(b -> decayed(b, nowMs) < NEGLIGIBLE);
    }

    int size() {
        return places.size();
    }

    /**
     * The place a link's address stands for: an IPv4 address by its /24 (a rogue's cloud machines,
     * or one NAT's neighbours, usually share one), anything else as the driver keyed it (an IPv6
     * address by its /64; the simulations' one loopback end).
     */
    static String place(LinkEnd remote) {
        String address = remote.address();
        return IPV4.matcher(address).matches() ? address.substring(0, address.lastIndexOf('.')) + ".0/24" : address;
    }

    private static double decayed(Bans bans, long nowMs) {
        return bans.count * Math.pow(0.5, (double) Math.max(0, nowMs - bans.atMs - MEMORY_MS) / HALF_LIFE_MS);
    }
}
