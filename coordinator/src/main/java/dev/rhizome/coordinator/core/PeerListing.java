package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which nodes the coordinator lists: where a joining node dials first ({@code GET /v1/nodes}) and
 * whom a fetch asks for a commit ({@code GET /v1/peers}, a work unit's holders). Keys are free and
 * one address may announce 1,000 new ones a day, so the nodes seen last are a list one attacker
 * fills from a network or two: a joining node then links only to its nodes (eclipsed), and a
 * commit's listed holders serve nothing. So a network ({@link ReplicaNetworks#of}; a node with none
 * known is a network of its own) holds at most {@link #perNetwork} places, and keys with standing
 * (a valid result on record: a run that agreed with another network's) come before fresh ones,
 * each newest first. A quarter of the places ({@link #freshPlaces}) stay open to fresh keys, so
 * that a new honest volunteer is still found however many nodes have standing. Within each class
 * every network's first node comes before any network's second (round 29): by recency alone, 16
 * networks of keys announcing every few seconds took all 64 places at 4 each, and the volunteers
 * of other networks (most with one node each) were listed nowhere; now an attacker's share of a
 * list is about its networks' share of the networks seen.
 */
public final class PeerListing {
    /** A node the store offers: its endpoint, its network, whether its key has standing, when it was seen last. */
    public record Offered(PeerEndpoint endpoint, String network, boolean standing, long lastSeenMs) {
    }

    private PeerListing() {
    }

    /** Places one network may take in a list of {@code limit}: 4 of 64, 6 of 100. */
    public static int perNetwork(int limit) {
        return Math.max(1, limit / 16);
    }

    /** Places kept for keys without standing where there are that many of them. */
    public static int freshPlaces(int limit) {
        return limit / 4;
    }

    /** Up to {@code limit} of {@code offered}: keys with standing first, then fresh ones, each newest first. */
    public static List<PeerEndpoint> choose(List<Offered> offered, int limit) {
        List<Offered> newestFirst = new ArrayList<>(offered);
        newestFirst.sort(Comparator.comparingLong(Offered::lastSeenMs).reversed()
                .thenComparing(o -> o.endpoint().getNode(), ByteString.unsignedLexicographicalComparator()));
        Map<Object, Integer> taken = new HashMap<>();
        Map<Offered, Integer> place = new HashMap<>();
        // Standing first within a network too, so that fresh keys cannot push its established nodes out.
        for (boolean withStanding : new boolean[] {true, false}) {
            for (Offered o : newestFirst) {
                if (o.standing() != withStanding) {
                    continue;
                }
                Object network = o.network().isEmpty() ? o.endpoint().getNode() : o.network();
                int p = taken.merge(network, 1, Integer::sum);
                if (p <= perNetwork(limit)) {
                    place.put(o, p);
                }
            }
        }
        // Each network's first place, then each one's second: newestFirst is sorted, so a stable
        // sort by place keeps the newest first within a round.
        List<Offered> standing = new ArrayList<>();
        List<Offered> fresh = new ArrayList<>();
        newestFirst.stream().filter(place::containsKey).sorted(Comparator.comparingInt(place::get))
                .forEach(o -> (o.standing() ? standing : fresh).add(o));
        int forStanding = limit - Math.min(fresh.size(), freshPlaces(limit));
        List<PeerEndpoint> listed = new ArrayList<>();
        standing.stream().limit(forStanding).forEach(o -> listed.add(o.endpoint()));
        fresh.stream().limit(limit - listed.size()).forEach(o -> listed.add(o.endpoint()));
        return listed;
    }
}
