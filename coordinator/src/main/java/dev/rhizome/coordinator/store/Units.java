package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.StarvedGiveBacks;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.proto.v1.UnitStatus;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Work units and their leases: who holds what until when, renewals, expiry, and what a claimant
 * already holds. Part of {@link Store.Transaction}.
 */
public interface Units {
    Optional<UnitRecord> unit(String id);

    void insertUnit(UnitRecord unit);

    /**
     * Inserts a unit ahead of every ordinary one in the claim order (a confirmation's trial: it
     * gates an adoption, and there are few). Its sequence number is its ordinary one less
     * {@link #AHEAD_OFFSET}, so the claim page, which walks the open queue by sequence number,
     * reaches these first, oldest first, and no query, index or plan changes.
     */
    void insertUnitAhead(UnitRecord unit);

    /** How far ahead a unit queued ahead is placed: 2^62, below any sequence number ever handed out. */
    long AHEAD_OFFSET = 1L << 62;

    void updateUnit(UnitRecord unit);

    /**
     * Writes a unit just leased ({@link #updateUnit}), with the address it was claimed from
     * ({@link dev.rhizome.coordinator.core.AddressScope#of}; "" for none), counted against that
     * address and its network while the unit stays leased ({@link #claimant(ByteString, long, String)}).
     */
    void leaseUnit(UnitRecord leased, String address);

    /**
     * Records a lease; the nonce of the claim that took it (empty: none), so a resent claim
     * finds it; the claim's own signed time ({@code Long.MIN_VALUE}: none), after which the
     * lease's renewals must be signed ({@link #recordRenewal}); the network it was claimed
     * from ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of}; "" for none), which keeps
     * that network off the unit's trial for a while; and the address it was claimed from, kept
     * with the lease ("" for none); and the hardware class the claim named, which binds the
     * class of the holder's result ({@link #leaseClass}).
     */
    void recordLease(String unitId, ByteString holder, long nowMs, ByteString claimNonce, long signedMs,
            String network, String address, String hardwareClass);

    /**
     * The unit that {@code node}'s claim with this nonce was leased, among leases made at or after
     * {@code sinceMs}: a claim whose answer was lost (the coordinator died after committing it)
     * is sent again with the same nonce, and gets that unit back.
     */
    Optional<String> unitClaimedWith(ByteString node, ByteString claimNonce, long sinceMs);

    default boolean everLeasedTo(String unitId, ByteString node) {
        return leaseClass(unitId, node).isPresent();
    }

    /**
     * The hardware class {@code node}'s newest lease of {@code unitId} was claimed with ("" for a
     * lease made before classes were kept); empty when the unit was never leased to it.
     */
    Optional<String> leaseClass(String unitId, ByteString node);

    /** A lease forgotten by {@link #forgetLease}: the address it was claimed from ("" for none) and when. */
    record ForgottenLease(String address, long leasedMs) {
    }

    /**
     * Forgets the newest lease of {@code unitId} to {@code holder} as if never made, for a lease
     * whose claim's answer reached nobody: it no longer counts in the holder's leases of the day,
     * keeps no network off the unit's trial, and the holder was never its runner. Empty when there
     * is none. The unit's own row is the caller's to write.
     */
    Optional<ForgottenLease> forgetLease(String unitId, ByteString holder);

    /** The distinct keys {@code unitId} was ever leased to. */
    Set<ByteString> leaseHolders(String unitId);

    /**
     * Marks {@code holder}'s newest lease of {@code unitId} given back starved of a CPU at {@code
     * nowMs} (StarvedGiveBacks); false when it holds none.
     */
    boolean markStarved(String unitId, ByteString holder, long nowMs);

    /** When {@code holder}'s newest lease of {@code unitId} was made; empty when it holds none. */
    OptionalLong leasedMs(String unitId, ByteString holder);

    /** The leases of each of {@code unitIds} given back starved, by unit id; units with none are absent. */
    Map<String, List<StarvedGiveBacks.GivenBack>> starvedGiveBacks(Collection<String> unitIds);

    List<UnitRecord> expiredLeases(long nowMs);

    /** LEASED units whose holder is {@code node}. */
    int leasesHeldBy(ByteString node);

    /**
     * The LEASED units {@code node} holds, oldest first, at most {@code limit}: what it works on
     * (direction, kind), as the dashboard's live nodes show it.
     */
    List<UnitRecord> leasesOf(ByteString node, int limit);

    /**
     * What a claim checks about its claimant, read together: the leases it holds now, its
     * reputation, the leases handed to it at or after {@code sinceMs}, and the LEASED units
     * claimed from {@code address} ({@link dev.rhizome.coordinator.core.AddressScope#of}) and
     * from its network (none counted for ""), in one query where the store can (every claim asks).
     */
    Claimant claimant(ByteString node, long sinceMs, String address);

    /** Renewals so far of the newest lease of {@code unitId} to {@code holder}. */
    int leaseRenewals(String unitId, ByteString holder);

    /**
     * Counts one renewal, signed at {@code signedMs}, of the newest lease of {@code unitId} to
     * {@code holder}; false, counting nothing, when that lease's claim or a renewal already
     * counted was signed at or after it (a captured renewal sent again, or an older one late).
     */
    boolean recordRenewal(String unitId, ByteString holder, long signedMs);

    /** OPEN EVALUATE units, oldest first. */
    List<UnitRecord> openEvaluations();

    /** Commits of open evaluations that {@code node} already reported on or holds a lease for. */
    Set<String> commitsTouchedBy(ByteString node);

    /** Units in a state, or all when {@code state} is empty, oldest first. */
    List<UnitRecord> units(Optional<UnitStatus.State> state);

    int pendingUnitsForCommit(String commit);

    /** How many of a commit's pending evaluations are leased (a runner has them), of {@link #pendingUnitsForCommit}. */
    int leasedUnitsForCommit(String commit);

    /** The random seed an EVALUATE unit runs at. */
    void setUnitRandomSeed(String unitId, long randomSeed);

    OptionalLong unitRandomSeed(String unitId);

    /** Leases handed to {@code node} at or after {@code sinceMs}. */
    int leasesSince(ByteString node, long sinceMs);

    /** OPEN EVALUATE units whose trial (commit and random seed) {@code node} already reported on or holds. */
    Set<String> unitsBarredFor(ByteString node);

    /** OPEN or LEASED EVALUATE units of a commit, at every random seed, oldest first. */
    List<UnitRecord> pendingUnitsOfCommit(String commit);

    /** OPEN or LEASED EVALUATE units of one trial. */
    List<UnitRecord> pendingUnitsOfTrial(String commit, long randomSeed);

    /**
     * How many times each trial of {@code commit} was queued again for the class it must be
     * compared in (table {@code trial_requeues}), by random seed; a trial never queued again is absent.
     */
    Map<Long, Integer> trialRequeues(String commit);

    /** {@link #trialRequeues} of each of {@code commits} that was ever queued again, in one read: a page of directions. */
    Map<String, Map<Long, Integer>> trialRequeues(Collection<String> commits);

    /**
     * The random seeds at which each of {@code commits} has an OPEN or LEASED EVALUATE unit, in
     * one read; a commit with none is absent.
     */
    Map<String, Set<Long>> pendingTrialSeeds(Collection<String> commits);

    /**
     * {@link #pendingTrialSeeds} of every commit with such a unit on {@code direction}, in one read
     * along the units' direction index: what a direction's leaderboard seals (core.Sealing).
     */
    Map<String, Set<Long>> pendingTrialSeedsOfDirection(String direction);

    /**
     * The random seeds an operator's order (its direction, commit, author and time) queued again,
     * as stored by {@link #recordOperatorRequeue}; empty where no such order was taken.
     */
    Optional<String> operatorRequeue(String direction, String commit, ByteString by, long requeuedMs);

    /**
     * The operators' orders to queue trials again of each of {@code directions} that has any, as
     * kept, newest first, in one read: a page of directions.
     */
    Map<String, List<dev.rhizome.proto.v1.OperatorRequeue>> operatorRequeues(Collection<String> directions);

    /** Keeps an operator's order to queue trials again: the seeds it queued, and why. */
    void recordOperatorRequeue(String direction, String commit, ByteString by, long requeuedMs, String randomSeeds,
            String reason);

    /** Counts one more time {@code commit}'s trial at {@code randomSeed} was queued again. */
    void countTrialRequeue(String commit, long randomSeed);

    /** Units in a state (all when empty) created after unit {@code afterSeq}, oldest first. */
    List<Keyed<Long, UnitRecord>> units(Optional<UnitStatus.State> state, long afterSeq, int limit);
}
