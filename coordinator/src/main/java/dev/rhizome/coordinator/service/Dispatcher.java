package dev.rhizome.coordinator.service;

import static dev.rhizome.coordinator.service.SeedsAndDirections.ack;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Clock;
import dev.rhizome.coordinator.core.DirectionLoad;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands out work under leases, extends them, and closes explorations. */
public final class Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    private static final int CLAIM_PAGE = 32;

    private final Store store;
    private final Clock clock;
    private final Leases leases;
    private final ClaimPolicy policy;

    public Dispatcher(Store store, Clock clock, Leases leases, ClaimPolicy policy) {
        this.store = store;
        this.clock = clock;
        this.leases = leases;
        this.policy = policy;
    }

    public ClaimResponse claim(Verified<ClaimRequest> request) {
        ClaimRequest claim = request.record();
        long now = clock.millis();
        ReplayWindow.check("time_ms", claim.getTimeMs(), now);
        return store.inTransaction(tx -> {
            expireLeases(tx, now);
            Function<String, Manifest> manifests = manifestLookup(tx);
            ClaimPolicy.Decision decision = choose(tx, claim, now, manifests);
            UnitRecord unit;
            if (decision instanceof ClaimPolicy.Decision.Evaluate evaluate) {
                unit = evaluate.unit();
            } else if (decision instanceof ClaimPolicy.Decision.Explore explore) {
                DirectionRecord direction = tx.direction(explore.direction()).orElseThrow();
                unit = UnitFactory.exploration(direction.direction().getSeed(), direction.name(),
                        direction.frontier().commit(), now);
                tx.insertUnit(unit);
            } else {
                return ClaimResponse.getDefaultInstance();
            }
            UnitRecord leased = unit.leasedTo(claim.getNode(), leases.deadline(now, manifests.apply(unit.seed())));
            tx.updateUnit(leased);
            tx.recordLease(leased.id(), claim.getNode(), now);
            return ClaimResponse.newBuilder().setUnit(UnitFactory.describe(tx, leased)).build();
        });
    }

    public Ack renew(Verified<LeaseRenewal> request) {
        LeaseRenewal renewal = request.record();
        long now = clock.millis();
        ReplayWindow.check("time_ms", renewal.getTimeMs(), now);
        return store.inTransaction(tx -> {
            UnitRecord unit = tx.unit(renewal.getWorkUnitId())
                    .orElseThrow(() -> Rejection.notFound("unknown work unit " + renewal.getWorkUnitId()));
            UnitRecord renewed = leases.renew(unit, renewal.getNode(), now, manifestLookup(tx).apply(unit.seed()));
            tx.updateUnit(renewed);
            return ack(unit.id(), Long.toString(renewed.leaseDeadlineMs()));
        });
    }

    public Ack exploreDone(Verified<ExploreDone> request) {
        ExploreDone done = request.record();
        long now = clock.millis();
        ReplayWindow.check("time_ms", done.getTimeMs(), now);
        RequestRules.commits("commits", done.getCommitsList());
        return store.inTransaction(tx -> {
            UnitRecord unit = tx.unit(done.getWorkUnitId())
                    .orElseThrow(() -> Rejection.notFound("unknown work unit " + done.getWorkUnitId()));
            if (unit.kind() != WorkUnit.Kind.EXPLORE) {
                throw Rejection.badRequest("work unit " + unit.id() + " is an EVALUATE unit; it ends with a result");
            }
            if (!unit.holder().equals(done.getNode())) {
                throw Rejection.forbidden("work unit " + unit.id() + " is not leased to " + PublicId.hex(done.getNode()));
            }
            if (unit.state() == UnitStatus.State.DONE) {
                return ack(unit.id(), "exploration already closed");
            }
            tx.updateUnit(unit.doneBy(done.getNode()));
            return ack(unit.id(), "exploration closed with " + done.getCommitsCount() + " commit(s)");
        });
    }

    /**
     * Reads open evaluations a page at a time, along the index, skipping commits the node already
     * touched in SQL; most claims read one short page however long the queue is.
     */
    private ClaimPolicy.Decision choose(Store.Transaction tx, ClaimRequest claim, long now,
            Function<String, Manifest> manifests) {
        List<DirectionLoad> loads = tx.directionLoads();
        for (int offset = 0; ; offset += CLAIM_PAGE) {
            List<UnitRecord> page = tx.openEvaluationsFor(claim.getNode(), offset, CLAIM_PAGE);
            boolean last = page.size() < CLAIM_PAGE;
            ClaimPolicy.Decision decision = policy.choose(claim, now, page, Set.of(), manifests,
                    last ? loads : List.of());
            if (!(decision instanceof ClaimPolicy.Decision.Nothing) || last) {
                return decision;
            }
        }
    }

    private static void expireLeases(Store.Transaction tx, long now) {
        for (UnitRecord unit : tx.expiredLeases(now)) {
            LOG.info("lease on {} unit {} held by {} expired (attempt {})", unit.kind(), unit.id(),
                    PublicId.hex(unit.holder()), unit.attempts());
            tx.updateUnit(unit.expired());
        }
    }

    /** Manifests by seed name, read once per transaction. */
    private static Function<String, Manifest> manifestLookup(Store.Transaction tx) {
        Map<String, Manifest> cache = new HashMap<>();
        return seed -> cache.computeIfAbsent(seed, name -> tx.seed(name)
                .map(s -> s.record().getManifest()).orElse(Manifest.getDefaultInstance()));
    }
}
