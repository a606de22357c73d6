package dev.rhizome.coordinator.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The bound on a unit given back starved of a CPU ({@code LeaseGiveBack.starved}): such a give-back
 * is not counted against the commit, since a job kept off a CPU by a loaded volunteer says nothing
 * of it; but a commit that hangs, or is heavy, was given back so by every loaded node that took it,
 * forever. Counted once a network (the network replicas are told apart by), so no one network,
 * whatever its keys, moves a unit along by more than one. A lease of no network (loopback: the
 * coordinator's own machine, where the demo and the test networks run every node) is one network
 * too: one machine is one machine however many nodes it runs, and nothing proves two keys there
 * are two machines.
 * <ul>
 *   <li>from {@link #SPARE_CORE_AFTER} networks on, the unit is offered only to a claim whose
 *       machine leaves a core idle ({@code ClaimRequest.core_to_spare}): a node that can tell a
 *       hung job from a starved one gets it first;</li>
 *   <li>that wait ends {@link #SPARE_CORE_WAIT} after it began (the give-back that brought the
 *       unit to {@link #SPARE_CORE_AFTER} networks), however many give-backs come after: until
 *       round 37 it counted from the latest, so give-backs that kept coming kept it waiting for
 *       good. It ends sooner at {@link #CHARGE_AFTER} networks: while it waits only a claim with a
 *       core to spare takes it, so the give-back of a further network is one from a machine that
 *       had a core idle and starved all the same, and waiting for another would learn nothing
 *       more;</li>
 *   <li>once the wait has ended either way, it is offered to any claim and its lease says
 *       {@code charge_if_starved}: the next runner reports a job kept off a CPU to its bound as the
 *       TIMEOUT an unstarved run would be, and a starved give-back of such a lease is not taken as
 *       unrun but charged as an expired lease.</li>
 * </ul>
 * Pure.
 */
public final class StarvedGiveBacks {
    /** Networks that gave the unit back starved before it waits for a claim with a core to spare. */
    public static final int SPARE_CORE_AFTER = 2;
    /** Networks that gave it back starved before its next run is the commit's to time out. */
    public static final int CHARGE_AFTER = 3;
    /**
     * How long a unit waits for a claim with a core to spare, from the give-back that made it wait,
     * before it is offered to any claim, charged: long enough for a spare core to come by on a
     * network that has any (a volunteer's evening, a night's idle machines), short enough that a
     * network of loaded machines still settles the commit within the day.
     */
    public static final Duration SPARE_CORE_WAIT = Duration.ofHours(6);
    /** The reason key of a unit offered only to a claim with a core to spare ({@code UnitStatus.waiting_for}). */
    public static final String CORE_TO_SPARE = "core_to_spare";

    /** One lease of the unit given back starved: the network it was claimed from ("" for none) and when. */
    public record GivenBack(String network, long starvedMs) {
    }

    /**
     * What a unit's starved give-backs come to: the networks they came from, and since when it
     * waits for a core to spare (the time of the give-back that brought it to {@link
     * #SPARE_CORE_AFTER} networks; 0 for fewer).
     */
    public record Standing(int networks, long waitingSinceMs) {
        public static final Standing NONE = new Standing(0, 0);

        /** Whether a claim with no core to spare is kept off the unit at {@code nowMs}. */
        public boolean waitsForACoreToSpare(long nowMs) {
            return networks >= SPARE_CORE_AFTER && networks < CHARGE_AFTER && !waitedOut(nowMs);
        }

        /** Whether a claim may be offered the unit at {@code nowMs}. */
        public boolean offered(boolean coreToSpare, long nowMs) {
            return coreToSpare || !waitsForACoreToSpare(nowMs);
        }

        /** Whether a lease of the unit made at {@code leasedMs} is charged if starved again. */
        public boolean charged(long leasedMs) {
            return networks >= CHARGE_AFTER || waitedOut(leasedMs);
        }

        /** When a unit waiting for a core to spare is offered to any claim, charged. */
        public long waitsUntilMs() {
            return Saturating.plus(waitingSinceMs, SPARE_CORE_WAIT.toMillis());
        }

        private boolean waitedOut(long nowMs) {
            return networks >= SPARE_CORE_AFTER && nowMs >= waitsUntilMs();
        }
    }

    private StarvedGiveBacks() {
    }

    /**
     * What {@code givenBack}, in any order, comes to: a lease of no network counts as one network,
     * whatever its key.
     */
    public static Standing of(Collection<GivenBack> givenBack) {
        List<GivenBack> inTime = new ArrayList<>(givenBack);
        inTime.sort(Comparator.comparingLong(GivenBack::starvedMs));
        Set<String> networks = new HashSet<>();
        long waitingSince = 0;
        for (GivenBack g : inTime) {
            if (networks.add(g.network()) && networks.size() == SPARE_CORE_AFTER) {
                waitingSince = g.starvedMs();
            }
        }
        return new Standing(networks.size(), waitingSince);
    }
}
