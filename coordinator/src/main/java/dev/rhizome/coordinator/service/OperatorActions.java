package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Clock;

/** What only an operator may do to a running network: close a direction, queue its spent trials again, ban a key. */
public final class OperatorActions {
    static final int MAX_REASON_CHARS = 500;

    private final Store store;
    private final Clock clock;
    private final Operators operators;
    private final KeyBans bans;
    /** Kept before the first order, so that the order falls in its author's term. */
    private final OperatorTermsKept terms;

    public OperatorActions(Store store, Clock clock, Operators operators, KeyBans bans) {
        this.store = store;
        this.clock = clock;
        this.operators = operators;
        this.bans = bans;
        this.terms = new OperatorTermsKept(store, clock, operators);
    }

    /** {@code stats} naming the operators, whose signed orders an export's check holds to them. */
    public CoordinatorStats named(CoordinatorStats stats) {
        terms.keep();
        return stats.toBuilder().addAllOperators(operators.keys().stream().map(PublicId::toByteString).toList())
                .build();
    }

    public Ack closeDirection(Verified<DirectionClosure> request) {
        DirectionClosure closure = request.record();
        long now = clock.millis();
        operators.require(request.signer(), "close directions");
        terms.keep();
        ReplayWindow.check("closed_ms", closure.getClosedMs(), now);
        RequestRules.name("name", closure.getName());
        reason(closure.getReason());
        return store.inTransaction(tx -> {
            if (tx.direction(closure.getName()).isEmpty()) {
                throw Rejection.notFound("unknown direction " + closure.getName());
            }
            boolean closed = tx.closeDirection(closure.getName(), closure.getReason().strip(), now);
            if (closed) {
                keep(tx, request, now);
            }
            return SeedsAndDirections.ack(closure.getName(), closed ? "direction closed" : "direction already closed");
        });
    }

    /**
     * Queues again the trials of a direction's commit whose requeues are spent
     * ({@link TrialRequeueOrders}); the order is kept, and the same order sent again queues nothing.
     */
    public Ack requeueTrials(Verified<TrialRequeueOrder> request) {
        TrialRequeueOrder order = request.record();
        long now = clock.millis();
        operators.require(request.signer(), "queue trials again");
        terms.keep();
        ReplayWindow.check("requeued_ms", order.getRequeuedMs(), now);
        RequestRules.name("name", order.getName());
        if (!order.getCommit().isEmpty()) {
            RequestRules.commit("commit", order.getCommit());
        }
        reason(order.getReason());
        return store.inTransaction(tx -> {
            TrialRequeueOrders.Outcome done = TrialRequeueOrders.carryOut(tx, order, now);
            if (done.queued()) {
                keep(tx, request, now);
            }
            return SeedsAndDirections.ack(order.getName(), done.message());
        });
    }

    public Ack ban(Verified<KeyBan> request) {
        KeyBan ban = request.record();
        long now = clock.millis();
        operators.require(request.signer(), "ban keys");
        terms.keep();
        ReplayWindow.check("banned_ms", ban.getBannedMs(), now);
        if (ban.getKey().size() != 32) {
            throw Rejection.badRequest("key must be a 32-byte Ed25519 public key, got " + ban.getKey().size() + " bytes");
        }
        if (ban.getKey().equals(request.signer().toByteString())) {
            throw Rejection.badRequest("an operator cannot ban their own key");
        }
        reason(ban.getReason());
        String key = PublicId.hex(ban.getKey());
        Ack ack = store.inTransaction(tx -> {
            boolean banned = tx.banKey(ban.getKey(), ban.getReason().strip(), now);
            if (banned) {
                keep(tx, request, now);
            }
            return SeedsAndDirections.ack(key, banned ? "key banned" : "key already banned");
        });
        bans.refresh(now);
        return ack;
    }

    /**
     * An order that changed something joins the audit trail as results and papers do, signed by
     * its operator: an export checked offline shows who closed, banned or queued what, and when,
     * and `rhizome verify` checks each against the export's operators.
     */
    private static void keep(Store.Transaction tx, Verified<?> request, long nowMs) {
        tx.keepOrder(request.envelope(), Envelopes.id(request.envelope()), nowMs);
    }

    private static void reason(String reason) {
        if (reason.length() > MAX_REASON_CHARS) {
            throw Rejection.badRequest("reason is " + reason.length() + " characters; at most " + MAX_REASON_CHARS);
        }
    }
}
