package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The bound on a unit given back starved of a CPU ({@code LeaseGiveBack.starved}): such a give-back
 * is not counted against the commit, since a job kept off a CPU by a loaded volunteer says nothing
 * of it; but a commit that hangs, or is heavy, was given back so by every loaded node that took it,
 * forever. Counted once a network (the network replicas are told apart by; a lease of none, from
 * the coordinator's own machine, once a key), so no one network, whatever its keys, moves a unit
 * along by more than one:
 * <ul>
 *   <li>from {@link #SPARE_CORE_AFTER} networks on, the unit is offered only to a claim whose
 *       machine leaves a core idle ({@code ClaimRequest.core_to_spare}): a node that can tell a
 *       hung job from a starved one;</li>
 *   <li>from {@link #CHARGE_AFTER} on, its lease says {@code charge_if_starved}: the next runner
 *       reports a job kept off a CPU to its bound as the TIMEOUT an unstarved run would be, and a
 *       starved give-back of such a lease is not taken as unrun but charged as an expired lease.</li>
 * </ul>
 * Pure.
 */
public final class StarvedGiveBacks {
    /** Networks that gave the unit back starved before it waits for a claim with a core to spare. */
    public static final int SPARE_CORE_AFTER = 2;
    /** Networks that gave it back starved before its next run is the commit's to time out. */
    public static final int CHARGE_AFTER = 3;

    /** One lease of the unit given back starved: the network it was claimed from ("" for none) and its holder. */
    public record GivenBack(String network, ByteString holder) {
    }

    private StarvedGiveBacks() {
    }

    /** The networks among {@code givenBack}, a lease of no network counted by its key. */
    public static int networks(Collection<GivenBack> givenBack) {
        Set<Object> distinct = new HashSet<>();
        for (GivenBack g : givenBack) {
            distinct.add(g.network().isEmpty() ? g.holder() : g.network());
        }
        return distinct.size();
    }

    /** Whether a claim may be offered a unit given back starved from {@code networks} networks. */
    public static boolean offered(int networks, boolean coreToSpare) {
        return coreToSpare || networks < SPARE_CORE_AFTER;
    }

    /** Whether a lease of a unit given back starved from {@code networks} networks is charged if starved again. */
    public static boolean charged(int networks) {
        return networks >= CHARGE_AFTER;
    }
}
