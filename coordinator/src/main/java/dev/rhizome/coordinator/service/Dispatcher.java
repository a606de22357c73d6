package dev.rhizome.coordinator.service;

import static dev.rhizome.coordinator.service.SeedsAndDirections.ack;

import dev.rhizome.coordinator.core.AddressScope;
import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.coordinator.core.Saturating;
import dev.rhizome.coordinator.core.StarvedGiveBacks;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Claimant;
import dev.rhizome.coordinator.store.Directions;
import dev.rhizome.coordinator.store.Explorations;
import dev.rhizome.coordinator.store.OpenEvaluations;
import dev.rhizome.coordinator.store.Seeds;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.StoreException;
import dev.rhizome.coordinator.store.Units;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.Printable;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionLoad;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out work under leases, extends them, and closes explorations. Claims are not idempotent:
 * each one carries a nonce accepted once, a key holds a bounded number of leases, and so do an
 * address and a network whatever keys they use ({@link LeaseCaps}), and a lease can be renewed a
 * bounded number of times, so no key, nor a host with fresh keys, can take all the work or keep it forever.
 */
public final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    /**
     * Leases given back because their claim's answer reached nobody: a client can cause one per claim
     * it cuts, and the give-back refunds the day's lease count, so no daily limit bounds them; a
     * client claiming and resetting in a loop wrote a log line per claim (round 22's log flooding).
     */
    private static final WarnBudget GIVEN_BACK_LOG = new WarnBudget(LOG);
    private static final int FIRST_CLAIM_PAGE = 1;
    private static final int CLAIM_PAGE = 32;

    /** A hypothesis is a sentence, not a paper. */
    public static final int MAX_HYPOTHESIS_CHARS = 1000;
    /** The most commits a claim may name as still being fetched for units given back (one a slot is plenty). */
    public static final int MAX_FETCHING_GIVEN_BACK = 16;

    private final Store store;
    private final Clock clock;
    private final Leases leases;
    private final ClaimPolicy policy;
    private final ClaimLimits limits;
    private final WriteQuotas quotas;
    private final LeaseCaps.Limits caps;
    private final Consumer<String> refusedClaims;
    /**
     * Networks whose last claim found them within {@link #NETWORK_SLOTS} of a lease cap: their
     * next claims take every slot at once rather than one, then find out, and run again. A hint
     * only (exactness never depends on it); bounded, emptied when full.
     */
    private final Set<String> nearTheCaps = ConcurrentHashMap.newKeySet();
    /** The tokens of the texts explorations' hypotheses are compared with, kept between claims. */
    private final KeptTokens keptTokens = new KeptTokens();

    /**
     * Claims of one network that may run at once on a shared store where a lease cap is set: each
     * holds one of this many locks of its network, so the last of them to read the counts sees
     * all but at most this many less one in flight ({@link LeaseCaps#roomForAll}).
     */
    static final int NETWORK_SLOTS = 8;
    private static final int MAX_NEAR_NETWORKS = 10_000;

    /**
     * @param maxLeasesPerNode    leases one key may hold at once
     * @param maxRenewalsPerLease renewals one lease may have at most; fewer where its job needs fewer
     *                            ({@link Leases#renewalsAllowed})
     */
    public record ClaimLimits(int maxLeasesPerNode, int maxRenewalsPerLease) {
    }

    public Dispatcher(Store store, Clock clock, Leases leases, ClaimPolicy policy, ClaimLimits limits) {
        this(store, clock, leases, policy, limits, WriteQuotas.defaults());
    }

    public Dispatcher(Store store, Clock clock, Leases leases, ClaimPolicy policy, ClaimLimits limits,
            WriteQuotas quotas) {
        this(store, clock, leases, policy, limits, quotas, LeaseCaps.Limits.defaults(), reason -> { });
    }

    /**
     * @param caps          leases one address and one network may hold at once ({@link LeaseCaps})
     * @param refusedClaims told the reason ({@link LeaseCaps.Scope#label}) of each claim a cap refused
     */
    public Dispatcher(Store store, Clock clock, Leases leases, ClaimPolicy policy, ClaimLimits limits,
            WriteQuotas quotas, LeaseCaps.Limits caps, Consumer<String> refusedClaims) {
        this.caps = caps;
        this.refusedClaims = refusedClaims;
        this.quotas = quotas;
        this.store = store;
        this.clock = clock;
        this.leases = leases;
        this.policy = policy;
        this.limits = limits;
    }

    /** When a node asks for a closed direction's work: it stays closed, so there is no hurry to ask again. */
    static final int RETRY_CLOSED_S = 300;

    public ClaimResponse claim(Verified<ClaimRequest> request) {
        return claim(request, "");
    }

    /**
     * @param origin the sender's address scope, counted by the daily write limits and telling
     *               replicas' networks apart ({@link ReplicaNetworks}; "" for none)
     */
    public ClaimResponse claim(Verified<ClaimRequest> request, String origin) {
        return claim(request, origin, false, false).response();
    }

    /**
     * A claim's answer, and for one that got no unit and may wait ({@link ClaimWaits}): whether a
     * lease cap refused it (it waits for leases to end) and when work now kept from it by time
     * alone opens ({@link dev.rhizome.coordinator.store.OpenEvaluations#nextOpening}; Long.MAX_VALUE for never).
     */
    record Attempt(ClaimResponse response, boolean refusedByCap, long opensAtMs) {
    }

    /** A claim that will wait if it gets nothing: its answer with what the wait needs to know. */
    Attempt claimToWait(Verified<ClaimRequest> request, String origin) {
        return claim(request, origin, false, true);
    }

    /**
     * The same claim again, for a claim held while it waits ({@link ClaimWaits}): its nonce was
     * used by its first run, which leased nothing, so it is not checked again (a lease taken now
     * is still recorded under it, and the same claim sent again finds that unit). Its signing
     * time must still be inside the replay window.
     */
    Attempt claimHeld(Verified<ClaimRequest> request, String origin, BooleanSupplier stillWanted) {
        return claim(request, origin, true, true, stillWanted);
    }

    private Attempt claim(Verified<ClaimRequest> request, String origin, boolean again, boolean mayWait) {
        return claim(request, origin, again, mayWait, () -> true);
    }

    /** @param stillWanted asked before a unit is leased: false for a held claim whose client went away */
    private Attempt claim(Verified<ClaimRequest> request, String origin, boolean again, boolean mayWait,
            BooleanSupplier stillWanted) {
        ClaimRequest claim = request.record();
        String network = ReplicaNetworks.of(origin);
        long now = clock.millis();
        ReplayWindow.check("time_ms", claim.getTimeMs(), now);
        ClaimNonces.check(claim.getNonce());
        if (!claim.getFromCommit().isEmpty()) {
            RequestRules.commit("from_commit", claim.getFromCommit());
        }
        for (int kind : claim.getKindsValueList()) {
            // An unknown kind asked for nothing: the claim found no work and still spent a nonce.
            if (kind != WorkUnit.Kind.EVALUATE_VALUE && kind != WorkUnit.Kind.EXPLORE_VALUE) {
                throw Rejection.badRequest("kinds must be EVALUATE or EXPLORE, got " + kind);
            }
        }
        if (ClaimPolicy.acceptsEvaluate(claim) && claim.getHardwareClass().isBlank()) {
            // The lease keeps the class it was claimed with, and its result is taken in that class
            // only (ResultIntake): a lease of no class would bind its result to none.
            throw Rejection.badRequest("hardware_class is missing; an evaluation's result is compared only in the "
                    + "class its lease was claimed with");
        }
        if (claim.getFetchingGivenBackCount() > MAX_FETCHING_GIVEN_BACK) {
            throw Rejection.badRequest("fetching_given_back names " + claim.getFetchingGivenBackCount()
                    + " commits; at most " + MAX_FETCHING_GIVEN_BACK);
        }
        RequestRules.commits("fetching_given_back", claim.getFetchingGivenBackList());
        if (claim.getHypothesis().length() > MAX_HYPOTHESIS_CHARS) {
            throw Rejection.badRequest("hypothesis is " + claim.getHypothesis().length() + " characters; at most "
                    + MAX_HYPOTHESIS_CHARS + " are allowed");
        }
        boolean mayExplore = mayExplore(claim);
        // Counted only where a cap is set: an address's and a network's leases are two more counts.
        String capped = caps.any() ? origin : "";
        LeaseCaps.Scope[] refusedBy = {null};
        long[] opensAt = {Long.MAX_VALUE};
        String capNetwork = capped.isEmpty() ? "" : AddressScope.network(capped);
        boolean[] wholeNetwork = {!capNetwork.isEmpty() && nearTheCaps.contains(capNetwork)};
        ClaimResponse answer = store.inKeyedTransaction(claimKeys(claim, network), tx -> {
            refusedBy[0] = null;  // a transaction may run again
            opensAt[0] = Long.MAX_VALUE;
            boolean oneSlot = false;
            if (!capNetwork.isEmpty()) {
                if (wholeNetwork[0]) {
                    tx.lockEverySlot(capNetwork, NETWORK_SLOTS);
                } else {
                    oneSlot = tx.lockOneSlot(capNetwork, NETWORK_SLOTS);
                }
            }
            if (mayExplore) {
                // An exploration adds a unit and is counted against its direction's load: that is
                // the writers' state, so such a claim runs among them from its start.
                tx.serializeWithWriters();
            }
            expireLeases(tx, now);
            if (!claim.getDirection().isEmpty() && tx.direction(claim.getDirection()).isEmpty()) {
                throw Rejection.notFound("unknown direction " + LogSafe.of(claim.getDirection(), 60));
            }
            if (!again && !tx.useClaimNonce(claim.getNode(), claim.getNonce(), claim.getTimeMs())) {
                // The same claim again: its answer may have been lost (a coordinator killed between
                // commit and reply). If it took a unit this node still holds, that unit is the answer.
                Optional<UnitRecord> earlier = tx.unitClaimedWith(claim.getNode(), claim.getNonce(),
                                Saturating.minus(now, ReplayWindow.WINDOW.toMillis() * 2))
                        .flatMap(tx::unit)
                        .filter(u -> u.state() == UnitStatus.State.LEASED && u.holder().equals(claim.getNode()));
                if (earlier.isPresent()) {
                    // described as when it was leased: the lost answer's charge_if_starved
                    return ClaimResponse.newBuilder().setUnit(leaseOf(tx, earlier.get(), Map.of(),
                            tx.leasedMs(earlier.get().id(), claim.getNode()).orElse(now))).build();
                }
                throw Rejection.conflict("this claim's nonce was already used by " + PublicId.hex(claim.getNode())
                        + "; a claim is accepted once, send a new one with a fresh nonce");
            }
            Claimant claimant = tx.claimant(claim.getNode(), Reputation.dayStart(now), capped);
            int held = claimant.leasesHeld();
            if (held >= limits.maxLeasesPerNode()) {
                throw Rejection.limitReached(PublicId.hex(claim.getNode()) + " holds " + held
                        + " leases; at most " + limits.maxLeasesPerNode() + " at once: finish or let one run out first");
            }
            checkDailyQuota(claimant, claim.getNode(), now);
            if (oneSlot) {
                if (!LeaseCaps.roomForAll(caps, claimant.fromOrigin(), NETWORK_SLOTS)) {
                    // Other claims of the network in flight beside this one could, with it, pass a
                    // cap: run again holding every slot, alone among the network's claims.
                    wholeNetwork[0] = true;
                    rememberNearTheCaps(capNetwork, true);
                    throw StoreException.runAgain("network " + capNetwork + " is near its lease caps");
                }
            } else if (wholeNetwork[0]) {
                rememberNearTheCaps(capNetwork, !LeaseCaps.roomForAll(caps, claimant.fromOrigin(), 2 * NETWORK_SLOTS));
            }
            Optional<LeaseCaps.Refusal> full = LeaseCaps.refusal(caps, claimant.fromOrigin(), capped);
            if (full.isPresent()) {
                // Not an error: the claim was well made, and other keys of this address are at work.
                // An empty claim with a retry hint is what every node already waits on.
                refusedBy[0] = full.get().scope();
                if (mayWait) {
                    opensAt[0] = tx.nextOpening(claim.getNode(), network, now);
                }
                return ClaimResponse.newBuilder().setReason(full.get().reason()).setRetryAfterS(LeaseCaps.RETRY_S).build();
            }
            Function<String, Manifest> manifests = manifestLookup(tx);
            // Replicas come from different runners per trial (commit and random seed), not per commit:
            // one runner may run a commit at several seeds.
            // the starved give-backs of every open evaluation a page showed, by unit: the one leased
            // needs them too (charge_if_starved), read once with its page
            Map<String, StarvedGiveBacks.Standing> starvedNetworks = new HashMap<>();
            ClaimPolicy.Decision decision = choose(tx, claim, network, now, manifests, starvedNetworks);
            if (!network.isEmpty() && !(decision instanceof ClaimPolicy.Decision.Evaluate)
                    && ClaimPolicy.acceptsEvaluate(claim)
                    && !tx.nodeSeenOutside(network, Saturating.minus(now, PeerDirectory.NODE_FRESHNESS_MS))) {
                // Nobody outside this network was seen lately to take the replicas it is kept off:
                // holding them back would only delay them (one NAT alone, or clients behind a proxy
                // the coordinator was not told to trust).
                decision = choose(tx, claim, "", now, manifests, starvedNetworks);
            }
            UnitRecord unit;
            ClaimResponse.Builder response = ClaimResponse.newBuilder();
            if (!(decision instanceof ClaimPolicy.Decision.Nothing) && !stillWanted.getAsBoolean()) {
                // a held claim whose client went away while this ran: nothing is leased to nobody
                return response.setReason("the claim's wait ended").setRetryAfterS(LeaseCaps.RETRY_S).build();
            }
            if (decision instanceof ClaimPolicy.Decision.Evaluate evaluate) {
                unit = evaluate.unit();
            } else if (decision instanceof ClaimPolicy.Decision.Explore explore) {
                // each exploration is a new unit row: counted like any other record a key adds
                quotas.charge(tx, WriteQuota.Kind.EXPLORATIONS, claim.getNode(), origin, now);
                DirectionRecord direction = tx.direction(explore.direction()).orElseThrow();
                unit = UnitFactory.exploration(direction.direction().getSeed(), direction.name(),
                        ExploreStart.commit(tx, direction, claim.getFromCommit()), now);
                tx.insertUnit(unit);
                tx.recordExploreClaim(unit.id(), direction.name(), claim.getBuiltinExplorer(),
                        claim.getHypothesis().strip(), now);
            } else {
                ClaimPolicy.Decision.Nothing nothing = (ClaimPolicy.Decision.Nothing) decision;
                if (mayWait && !nothing.directionClosed()) {
                    opensAt[0] = tx.nextOpening(claim.getNode(), network, now);
                }
                return response.setReason(nothing.reason()).setRetryAfterS(nothing.retryAfterS())
                        .setDirectionClosed(nothing.directionClosed()).build();
            }
            UnitRecord leased = unit.leasedTo(claim.getNode(), leases.deadline(now, manifests.apply(unit.seed())));
            tx.leaseUnit(leased, origin);
            // An evaluation's lease keeps its network off the trial's other replicas for a while;
            // an exploration is no replica of anything. Either kind is held by its address.
            tx.recordLease(leased.id(), claim.getNode(), now, claim.getNonce(), claim.getTimeMs(),
                    leased.kind() == WorkUnit.Kind.EVALUATE ? network : "", origin, claim.getHardwareClass());
            // Counted by address and network, whatever key (a key's own day is its quota above),
            // last: the day's counts are rows every claim of the address, network and store
            // writes, locked on a shared store from here to the commit.
            quotas.charge(tx, WriteQuota.Kind.LEASES, ByteString.EMPTY, origin, now);
            return response.setUnit(leaseOf(tx, leased, starvedNetworks, now)).build();
        });
        if (refusedBy[0] != null && !again) {
            refusedClaims.accept(refusedBy[0].label());
        }
        return new Attempt(withSimilarWork(answer, claim.getHypothesis(), now), refusedBy[0] != null, opensAt[0]);
    }

    /**
     * The leased unit as its claim's answer describes it: an evaluation given back starved from
     * enough networks, or that waited out its spare core, says {@code charge_if_starved}
     * (StarvedGiveBacks). {@code starvedNetworks} holds what the claim's pages read of their
     * units; a unit not among them is read here.
     */
    private static WorkUnit leaseOf(Store.Transaction tx, UnitRecord leased,
            Map<String, StarvedGiveBacks.Standing> starvedNetworks, long now) {
        WorkUnit described = UnitFactory.describe(tx, leased);
        if (leased.kind() != WorkUnit.Kind.EVALUATE) {
            return described;
        }
        StarvedGiveBacks.Standing read = starvedNetworks.get(leased.id());
        StarvedGiveBacks.Standing standing = read != null ? read : starvedStanding(tx, leased.id());
        return standing.charged(now) ? described.toBuilder().setChargeIfStarved(true).build() : described;
    }

    private static StarvedGiveBacks.Standing starvedStanding(Units tx, String unitId) {
        return StarvedGiveBacks.of(tx.starvedGiveBacks(List.of(unitId)).getOrDefault(unitId, List.of()));
    }

    /**
     * An exploration's answer with the work its hypothesis resembles, read after the lease is
     * committed ({@link ExploreStart#similarWork}). Advice only: a store that fails this read
     * leaves the lease answered without it.
     */
    private ClaimResponse withSimilarWork(ClaimResponse answer, String hypothesis, long now) {
        if (!answer.hasUnit() || answer.getUnit().getKind() != WorkUnit.Kind.EXPLORE || hypothesis.isBlank()) {
            return answer;
        }
        WorkUnit unit = answer.getUnit();
        try {
            return answer.toBuilder().addAllSimilar(store.inReadTransaction(tx -> ExploreStart.similarWork(tx,
                    unit.getDirection(), hypothesis, unit.getId(), now, keptTokens))).build();
        } catch (StoreException e) {
            LOG.warn("similar work of exploration {} not read ({}); its lease is answered without it", unit.getId(),
                    e.getMessage());
            return answer;
        }
    }

    /**
     * Gives back the lease a claim took when its answer could not be written (its client's
     * connection was gone): at once, as an unclaim would, where the unit stayed leased to nobody
     * until its deadline. The lease is forgotten: it counts in neither the key's daily quota nor
     * its address's daily leases, and keeps its network off no trial. The claim's nonce stays spent: the same claim sent again is told so
     * ({@code 409}). Nothing changes when the unit is no longer leased to {@code node}. True when
     * the lease was given back.
     */
    public boolean giveBackUnanswered(String unitId, ByteString node) {
        return store.inTransaction(tx -> {
            Optional<UnitRecord> unit = tx.unit(unitId);
            if (unit.isEmpty() || unit.get().state() != UnitStatus.State.LEASED || !unit.get().holder().equals(node)) {
                return false;
            }
            tx.updateUnit(unit.get().unanswered());
            // Never received, so never leased: out of the key's leases of the day (its quota), its
            // address's daily count and its network's hold on the trial.
            tx.forgetLease(unitId, node).ifPresent(lease ->
                    quotas.refund(tx, WriteQuota.Kind.LEASES, lease.address(), lease.leasedMs()));
            GIVEN_BACK_LOG.info("lease on {} unit {} given back: its claim's answer reached nobody ({} left)",
                    unit.get().kind(), unitId, PublicId.hex(node));
            return true;
        });
    }

    /** The most characters of a give-back's reason kept in the log line. */
    static final int MAX_GIVE_BACK_REASON = 500;

    /**
     * An EVALUATE unit its holder gives back unrun (its job was kept off a CPU, its owner paused it,
     * it is stopping): OPEN again at once, the attempt not counted (nobody ran it), neither an
     * expired lease against the holder's standing nor a failed attempt of the commit. The lease stays
     * in the key's leases of the day, unlike {@link #giveBackUnanswered}: the node did receive it, and
     * a key that claims and gives back in a loop is bounded by its quota. Idempotent: a unit no longer
     * LEASED (given back already, expired, settled) is answered {@code 200} with nothing changed; one
     * leased to another key is refused {@code 409}, nothing changed either. One whose lease ran out
     * before it came, the sweep not yet run, is charged as the expired lease it is (round 37: it
     * was taken as unrun, and counted a network if starved, on the sweep's timing alone).
     */
    public Ack giveBack(Verified<LeaseGiveBack> request) {
        LeaseGiveBack back = request.record();
        long now = clock.millis();
        if (back.getReason().length() > MAX_GIVE_BACK_REASON) {
            throw Rejection.badRequest("reason is " + back.getReason().length() + " characters; at most "
                    + MAX_GIVE_BACK_REASON);
        }
        ReplayWindow.check("time_ms", back.getTimeMs(), now);
        return store.inTransaction(tx -> {
            UnitRecord unit = tx.unit(back.getWorkUnitId())
                    .orElseThrow(() -> Rejection.notFound("unknown work unit " + LogSafe.of(back.getWorkUnitId(), 60)));
            if (unit.kind() != WorkUnit.Kind.EVALUATE) {
                throw Rejection.badRequest("work unit " + unit.id() + " is an EXPLORE unit; give it back with "
                        + "POST /v1/explore-done and a reason");
            }
            if (unit.state() != UnitStatus.State.LEASED) {
                return ack(unit.id(), "work unit " + unit.id() + " is not leased (" + unit.state()
                        + "): nothing given back");
            }
            if (!unit.holder().equals(back.getNode())) {
                throw Rejection.conflict("work unit " + unit.id() + " is not leased to " + PublicId.hex(back.getNode())
                        + ": nothing given back");
            }
            String why = back.getReason().isBlank() ? "no reason given"
                    : Printable.shown(back.getReason()).replace('\n', ' ');
            if (Leases.isExpired(unit, now)) {
                // Its lease ran out before it came, and only the sweep had not yet said so: taken as
                // unrun it would be uncounted (and a starved one would count a network), where the
                // sweep a moment later would have charged the expiry. What a give-back is must not
                // hang on which runs first, on either store.
                return expiredBeforeItCame(tx, unit, why, now);
            }
            if (back.getStarved()) {
                StarvedGiveBacks.Standing before = starvedStanding(tx, unit.id());
                // as the lease was made: one that waited out its spare core while leased was not told
                if (before.networks() > 0 && before.charged(tx.leasedMs(unit.id(), back.getNode()).orElse(now))) {
                    // Leased with charge_if_starved: its runner was to report the TIMEOUT. Taken as
                    // unrun, this give-back would let any node dodge the charge forever.
                    return chargedAsExpired(tx, unit, before.networks(), why, now);
                }
                tx.markStarved(unit.id(), back.getNode(), now);
                StarvedGiveBacks.Standing after = starvedStanding(tx, unit.id());
                int networks = after.networks();
                tx.updateUnit(unit.unanswered());
                GIVEN_BACK_LOG.info("lease on {} unit {} given back unrun by {}, its job starved of a CPU (given back so "
                        + "from {} network(s){}): {}", unit.kind(), unit.id(), PublicId.hex(back.getNode()), networks,
                        after.charged(now) ? "; its next run is the commit's to time out"
                                : after.waitsForACoreToSpare(now) ? "; offered only to a claim with a core to spare until "
                                + Instant.ofEpochMilli(after.waitsUntilMs())
                                : "", why);
                return ack(unit.id(), "given back; open to the next claim" + (after.charged(now)
                        ? " (given back starved from " + networks + " networks: its next run is charged if it times out)"
                        : after.waitsForACoreToSpare(now) ? " with a core to spare (given back starved from "
                        + networks + " networks; open to any claim, charged if starved again, from "
                        + Instant.ofEpochMilli(after.waitsUntilMs()) + ")" : ""));
            }
            tx.updateUnit(unit.unanswered());
            GIVEN_BACK_LOG.info("lease on {} unit {} given back unrun by {}: {}", unit.kind(), unit.id(),
                    PublicId.hex(back.getNode()), why);
            return ack(unit.id(), "given back; open to the next claim");
        });
    }

    /**
     * A give-back of a lease already past its deadline: the expired lease it is (a failed attempt of
     * the commit, the holder's standing halved), as the sweep would have ended it.
     */
    private Ack expiredBeforeItCame(Store.Transaction tx, UnitRecord unit, String why, long now) {
        long lateS = Math.max(0, Saturating.minus(now, unit.leaseDeadlineMs()) / 1000);
        expire(tx, unit, now);
        GIVEN_BACK_LOG.info("lease on {} unit {} given back by {} {} s after its deadline: charged as the expired lease "
                + "it is: {}", unit.kind(), unit.id(), PublicId.hex(unit.holder()), lateS, why);
        return ack(unit.id(), "charged as an expired lease: its lease ran out at "
                + Instant.ofEpochMilli(unit.leaseDeadlineMs()) + " (" + lateS + " s before this give-back); "
                + "give a unit back before its lease's deadline for it to count as unrun");
    }

    /**
     * A starved give-back of a lease that said {@code charge_if_starved}: as its lease running out
     * would be (a failed attempt of the commit, an expired lease against the holder's standing),
     * now rather than at its deadline.
     */
    private Ack chargedAsExpired(Store.Transaction tx, UnitRecord unit, int networks, String why, long now) {
        UnitRecord expired = unit.expired();
        tx.updateUnit(expired);
        tx.saveReputation(unit.holder(), tx.reputation(unit.holder()).orElse(Reputation.fresh()).onLeaseExpired());
        Abandonment.afterFailedAttempt(tx, expired, now);
        GIVEN_BACK_LOG.info("lease on {} unit {} given back starved by {} after {} networks did: charged as an expired "
                + "lease (it was leased to be reported as a TIMEOUT if starved): {}", unit.kind(), unit.id(),
                PublicId.hex(unit.holder()), networks, why);
        return ack(unit.id(), "charged as an expired lease: the unit was given back starved of a CPU from " + networks
                + " networks, and its lease said charge_if_starved (report the run as a TIMEOUT)");
    }

    public Ack renew(Verified<LeaseRenewal> request) {
        LeaseRenewal renewal = request.record();
        long now = clock.millis();
        ReplayWindow.check("time_ms", renewal.getTimeMs(), now);
        return store.inTransaction(tx -> {
            UnitRecord unit = tx.unit(renewal.getWorkUnitId())
                    .orElseThrow(() -> Rejection.notFound("unknown work unit "
                            + LogSafe.of(renewal.getWorkUnitId(), 60)));
            Manifest manifest = manifestLookup(tx).apply(unit.seed());
            UnitRecord renewed = leases.renew(unit, renewal.getNode(), now, manifest);
            int renewals = tx.leaseRenewals(unit.id(), renewal.getNode());
            if (renewals >= Math.min(limits.maxRenewalsPerLease(), leases.renewalsAllowed(manifest))) {
                throw Rejection.limitReached("lease on work unit " + unit.id() + " was renewed " + renewals
                        + " times, the most allowed (enough to fetch its commit and run its job to the timeout's bound); it "
                        + "ends at " + unit.leaseDeadlineMs() + " ms");
            }
            if (!tx.recordRenewal(unit.id(), renewal.getNode(), renewal.getTimeMs())) {
                // Signed no later than the lease's claim or a renewal already counted: a captured
                // renewal sent again (or a node's retry after a lost answer). It moves nothing; the
                // answer is the deadline as it stands, so an honest retry still learns it.
                return ack(unit.id(), Long.toString(unit.leaseDeadlineMs()));
            }
            tx.updateUnit(renewed);
            return ack(unit.id(), Long.toString(renewed.leaseDeadlineMs()));
        });
    }

    public Ack exploreDone(Verified<ExploreDone> request) {
        ExploreDone done = request.record();
        long now = clock.millis();
        RequestRules.commits("commits", done.getCommitsList());
        boolean unexplored = !done.getReason().isBlank();
        if (unexplored && done.getCommitsCount() > 0) {
            throw Rejection.badRequest("an exploration closed with a reason (not explored) names no commits; got "
                    + done.getCommitsCount());
        }
        boolean[] closedNow = {false};
        Ack closed = store.inTransaction(tx -> {
            closedNow[0] = false; // a transaction may run again
            UnitRecord unit = tx.unit(done.getWorkUnitId())
                    .orElseThrow(() -> Rejection.notFound("unknown work unit " + LogSafe.of(done.getWorkUnitId(), 60)));
            if (unit.kind() != WorkUnit.Kind.EXPLORE) {
                throw Rejection.badRequest("work unit " + unit.id() + " is an EVALUATE unit; it ends with a result");
            }
            if (!unit.holder().equals(done.getNode())) {
                throw Rejection.forbidden("work unit " + unit.id() + " is not leased to " + PublicId.hex(done.getNode()));
            }
            if (unit.state() == UnitStatus.State.DONE) {
                // Idempotent whatever its age, like results and papers: a node retrying after a lost
                // ack, even past the replay window, learns the unit is closed. Nothing changes.
                return ack(unit.id(), "exploration already closed");
            }
            ReplayWindow.check("time_ms", done.getTimeMs(), now);
            tx.updateUnit(unit.doneBy(done.getNode()));
            closedNow[0] = true;
            return ack(unit.id(), unexplored ? "exploration closed unexplored; the direction's next claim makes a new one"
                    : "exploration closed with " + done.getCommitsCount() + " commit(s)");
        });
        if (unexplored && closedNow[0]) {
            // One node that cannot reach a base is its own trouble; many saying so of one direction
            // mean nobody serves its frontier any more, which only an operator can mend.
            log.info("exploration {} closed unexplored by {}: {}", done.getWorkUnitId(),
                    PublicId.hex(done.getNode()), done.getReason());
        }
        return closed;
    }

    /**
     * Ends leases whose deadline passed and forgets claim nonces older than the replay window, write
     * counts of past days and nodes silent past {@link PeerDirectory#NODE_RETENTION_MS}. Run
     * on a timer, so a lease's state is right without waiting for the next claim.
     */
    public void sweep() {
        long now = clock.millis();
        store.inTransaction(tx -> {
            expireLeases(tx, now);
            // Kept a window longer than the window itself: a coordinator whose clock stepped back
            // (corrected, or restarted on another), or another coordinator of the same database
            // whose clock is behind this one's, still takes claims signed up to a window before its
            // own now; forgotten by this clock's window, their nonces were new again to it.
            tx.forgetClaimNonces(Saturating.minus(now, 2 * ReplayWindow.WINDOW.toMillis()));
            tx.forgetWriteCounts(Reputation.dayStart(now));
            tx.forgetNodesSeenBefore(Saturating.minus(now, PeerDirectory.NODE_RETENTION_MS), PeerDirectory.FORGET_PER_SWEEP);
            return null;
        });
    }

    /**
     * What a claim is serialized on in a shared store, beside the writers: its key (the leases it
     * holds, its leases today and its nonces change only in its own claims) and its replicas'
     * network ({@link ReplicaNetworks#of}, which keeps off a trial its network leased lately: two
     * claims of one network at once could each lease a replica of one trial). Where the caps count
     * its origin, the claim then also holds one of its address's /24's or /48's
     * {@link #NETWORK_SLOTS} slot locks, or all of them near a cap (taken in the transaction,
     * after these), so the counts of its address and network are exact across coordinators while
     * up to that many claims of the network run at once (loopback's, a NAT's: its replicas'
     * network is none for loopback, each machine's own address on a private network).
     */
    private static List<String> claimKeys(ClaimRequest claim, String network) {
        String claimant = "claimant " + PublicId.hex(claim.getNode());
        return network.isEmpty() ? List.of(claimant) : List.of(claimant, "network " + network);
    }

    private void rememberNearTheCaps(String network, boolean near) {
        if (!near) {
            nearTheCaps.remove(network);
            return;
        }
        if (nearTheCaps.size() >= MAX_NEAR_NETWORKS) {
            nearTheCaps.clear();  // a hint: forgetting costs the next claims of each a run again
        }
        nearTheCaps.add(network);
    }

    private static boolean mayExplore(ClaimRequest claim) {
        return claim.getKindsList().contains(WorkUnit.Kind.EXPLORE);
    }

    private static void checkDailyQuota(Claimant claimant, ByteString node, long now) {
        Reputation reputation = claimant.reputation().orElse(Reputation.fresh());
        reputation.quotaRefusal(claimant.leasesSince(), now).ifPresent(reason -> {
            throw Rejection.forbidden(PublicId.hex(node) + ": " + reason);
        });
    }

    /**
     * Reads open evaluations a page at a time, along the index, skipping trials (commit and random
     * seed) the node already reported on or holds, or that its network leased lately, in SQL; most
     * claims read one short page however long the queue is. The first page is one unit because the policy takes the first unit that
     * fits, which is almost always the first one read (each row read costs the committer its
     * subqueries and columns). The directions' loads (counts over their units)
     * are read only when the claim could become an exploration: an EVALUATE-only claim never
     * looks at them. A closed direction hands out nothing, neither its open evaluations nor new
     * explorations: the claim looks up the closures of the directions it meets only (its own, its
     * page's), never the whole list, which a store shared by several coordinators reads afresh.
     */
    private <T extends Directions & OpenEvaluations & Explorations & Units> ClaimPolicy.Decision choose(T tx,
            ClaimRequest claim, String network, long now, Function<String, Manifest> manifests,
            Map<String, StarvedGiveBacks.Standing> starvedNetworks) {
        if (!claim.getDirection().isEmpty()) {
            String reason = tx.closedDirections(List.of(claim.getDirection())).get(claim.getDirection());
            if (reason != null) {
                return new ClaimPolicy.Decision.Nothing("direction " + claim.getDirection() + " is closed"
                        + (reason.isEmpty() ? "" : ": " + reason), RETRY_CLOSED_S, true);
            }
        }
        boolean mayExplore = mayExplore(claim);
        // the units kept off this claim for want of a core to spare, and when the first is open to any
        int keptOff = 0;
        long openToAnyMs = Long.MAX_VALUE;
        int size = FIRST_CLAIM_PAGE;
        for (int offset = 0; ; offset += size, size = CLAIM_PAGE) {
            List<UnitRecord> read = tx.openEvaluationsFor(claim.getNode(), network, now, offset, size);
            boolean last = read.size() < size;
            Map<String, String> closed = read.isEmpty() ? Map.of()
                    : tx.closedDirections(read.stream().map(UnitRecord::direction).toList());
            List<UnitRecord> page = closed.isEmpty() ? read
                    : read.stream().filter(u -> !closed.containsKey(u.direction())).toList();
            if (!page.isEmpty()) {
                // A unit given back starved from a few networks waits for a machine that can tell a
                // hung job from a starved one (StarvedGiveBacks); the one leased says whether its
                // run is charged if starved again (leaseOf).
                Map<String, List<StarvedGiveBacks.GivenBack>> starved = tx.starvedGiveBacks(
                        page.stream().map(UnitRecord::id).toList());
                List<UnitRecord> offered = new ArrayList<>(page.size());
                for (UnitRecord u : page) {
                    StarvedGiveBacks.Standing standing = StarvedGiveBacks.of(starved.getOrDefault(u.id(), List.of()));
                    starvedNetworks.put(u.id(), standing);
                    if (standing.offered(claim.getCoreToSpare(), now)) {
                        offered.add(u);
                    } else {
                        keptOff++;
                        openToAnyMs = Math.min(openToAnyMs, standing.waitsUntilMs());
                    }
                }
                page = offered;
            }
            List<DirectionLoad> loads = last && mayExplore ? tx.loadsOfOpenDirections() : List.of();
            Map<String, Integer> agentExplorations = last && mayExplore ? tx.leasedAgentExplorations() : Map.of();
            ClaimPolicy.Decision decision = policy.choose(claim, now, page, Set.of(), manifests, loads,
                    agentExplorations);
            if (!(decision instanceof ClaimPolicy.Decision.Nothing nothing)) {
                return decision;
            }
            if (last) {
                return keptOff > 0 ? keptOffForACore(nothing, keptOff, openToAnyMs, now) : decision;
            }
        }
    }

    /**
     * A claim that got nothing, though open evaluations were kept off it for want of a core to
     * spare (StarvedGiveBacks): its reason says so, with the key {@code core_to_spare} an agent or
     * a volunteer can act on (a node with an idle core takes them), and when they are open to any
     * claim; retried no later than that.
     */
    private static ClaimPolicy.Decision keptOffForACore(ClaimPolicy.Decision.Nothing nothing, int keptOff,
            long openToAnyMs, long now) {
        long untilS = Math.max(1, Saturating.minus(openToAnyMs, now) / 1000);
        return new ClaimPolicy.Decision.Nothing(nothing.reason() + "; " + keptOff + " open evaluation(s) wait for a "
                + "claim with a core to spare (" + StarvedGiveBacks.CORE_TO_SPARE + ": given back starved of a CPU from "
                + StarvedGiveBacks.SPARE_CORE_AFTER + " networks), open to any claim from "
                + Instant.ofEpochMilli(openToAnyMs), (int) Math.min(nothing.retryAfterS(), untilS),
                nothing.directionClosed());
    }

    private static void expireLeases(Store.Transaction tx, long now) {
        List<UnitRecord> due = tx.expiredLeases(now);
        if (!due.isEmpty() && tx.serializeWithWriters()) {
            // A claim beside the writers: expiry writes holders' reputations and may give up an
            // experiment, so it joins them, and reads the leases again as they now stand.
            due = tx.expiredLeases(now);
        }
        for (UnitRecord unit : due) {
            LOG.info("lease on {} unit {} held by {} expired (attempt {})", unit.kind(), unit.id(),
                    PublicId.hex(unit.holder()), unit.attempts());
            expire(tx, unit, now);
        }
    }

    /** A lease that ran out, ended: the sweep's and a late give-back's one way (see {@link #giveBack}). */
    private static void expire(Store.Transaction tx, UnitRecord unit, long now) {
        UnitRecord expired = unit.expired();
        tx.updateUnit(expired);
        if (unit.kind() == WorkUnit.Kind.EVALUATE) {
            // An evaluation held idle for a whole lease costs its holder standing (an exploration
            // only ends: its commits are the agent's to register or not).
            tx.saveReputation(unit.holder(), tx.reputation(unit.holder()).orElse(Reputation.fresh())
                    .onLeaseExpired());
        }
        Abandonment.afterFailedAttempt(tx, expired, now);
    }

    /** Manifests by seed name, read once per transaction. */
    private static Function<String, Manifest> manifestLookup(Seeds tx) {
        Map<String, Manifest> cache = new HashMap<>();
        return seed -> cache.computeIfAbsent(seed, name -> tx.seed(name)
                .map(s -> s.record().getManifest()).orElse(Manifest.getDefaultInstance()));
    }
}
