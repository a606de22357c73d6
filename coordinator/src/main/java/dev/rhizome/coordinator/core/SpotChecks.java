package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.DoubleSupplier;

/**
 * Who may run a spot check's replicas. Were they open to any key, the checked runner could claim
 * them under a second key of its own and confirm its own lie. So the coordinator picks the keys:
 * up to {@link #RESERVED_KEYS} drawn at random among the nodes seen lately, leaving out the
 * checked runner, the commit's proposer and every node whose announcements or evaluations' leases
 * came from a network either announced or claimed from ({@link ReplicaNetworks#of}: what the
 * coordinator saw; until round 28 only the announcements' networks counted, so a runner announcing
 * from one network and claiming from another had its own key there chosen to check it). A host a
 * node announced leaves nobody out (until round 31 it did: a host is the node's own word, and a
 * liar announcing the hosts of the keys with standing emptied a young network's draw, so the
 * tie-breaker was open at once to its second network); one address seen from two keys is one
 * network, so real sharing still does. The store offers one key per network,
 * among keys with a valid result on record whose announced hardware class fits the seed's (round
 * 31: a drawn key that could not claim held the check for nothing until {@link #HOLD} passed)
 * ({@code Store.spotCheckCandidates}), so each network
 * is one share of the draw however many keys announce from it: keys are free, networks and valid
 * results are not. Every trial's tie-breaker is drawn the same way, leaving out every runner of
 * the trial and its proposer (round 29: left open, a liar's second network took it and outvoted the
 * honest replica it disagreed with). Nobody else may claim the replicas until {@link #HOLD} has passed, after which anyone
 * may (as for any replica), so a check whose chosen keys went away is not stuck. With no node to
 * choose, nothing is reserved.
 */
public final class SpotChecks {
    public static final int RESERVED_KEYS = 3;
    public static final Duration HOLD = Duration.ofMinutes(10);
    /**
     * How far back the networks a key's leases were claimed from, its results sent from and its
     * experiments registered from count as its own: a key may announce from one network and claim
     * (and run, and report) from another, and the coordinator sees where its requests come from. A
     * day holds the checked trial's lease, its results and the proposer's exploration and
     * experiment, and bounds what a check reads of a busy key's rows; past it a volunteer who
     * moved house (or whose NAT changed) is checked and checks by where it is now, not where it
     * once was (until round 30 results' and experiments' networks counted for as long as the rows
     * existed).
     */
    public static final Duration NETWORKS_REMEMBERED = Duration.ofDays(1);

    /**
     * A node seen lately and the network its announcements came from ({@link ReplicaNetworks#of};
     * "" for none known, which matches no other). No announced host: it is the node's own word.
     */
    public record Candidate(ByteString key, String network) {
    }

    private SpotChecks() {
    }

    /**
     * @param seen nodes that announced lately, the runner and proposer among them or not
     * @param draw uniform draws in [0, 1), the coordinator's
     */
    public static List<ByteString> choose(ByteString runner, ByteString proposer, List<Candidate> seen,
            DoubleSupplier draw) {
        return choose(List.of(runner, proposer), seen, draw);
    }

    /**
     * The same, leaving out every key of {@code excluded} (a tie-breaker's: the trial's runners
     * and its proposer) and the networks of those among {@code seen}.
     */
    public static List<ByteString> choose(Collection<ByteString> excluded, List<Candidate> seen, DoubleSupplier draw) {
        Set<String> theirNetworks = new HashSet<>();
        for (Candidate c : seen) {
            if (excluded.contains(c.key()) && !c.network().isEmpty()) {
                theirNetworks.add(c.network());
            }
        }
        List<ByteString> eligible = new ArrayList<>();
        for (Candidate c : seen) {
            if (!excluded.contains(c.key()) && !theirNetworks.contains(c.network()) && !eligible.contains(c.key())) {
                eligible.add(c.key());
            }
        }
        // A partial Fisher-Yates shuffle: the first RESERVED_KEYS places, each drawn from the rest.
        int n = Math.min(RESERVED_KEYS, eligible.size());
        for (int i = 0; i < n; i++) {
            int j = i + Math.min(eligible.size() - i - 1, (int) (draw.getAsDouble() * (eligible.size() - i)));
            ByteString picked = eligible.get(j);
            eligible.set(j, eligible.get(i));
            eligible.set(i, picked);
        }
        return List.copyOf(eligible.subList(0, n));
    }

    public static long reservedUntil(long nowMs) {
        return Saturating.plus(nowMs, HOLD.toMillis());
    }
}
