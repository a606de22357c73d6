package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of the result reporter over the outbox: sends each result the coordinator does not hold
 * yet, keeps its receipt ({@link AckedResults}) and files a refused one under {@code outbox/refused}.
 * A coordinator that cannot be reached ends the pass (the rest wait for the next); a receipt that
 * cannot be written does not: the results behind it still reach the coordinator, which used to see
 * none of them while the receipt's write failed, and issued their units again at their deadlines.
 */
public final class OutboxDelivery {
    private static final Logger log = LoggerFactory.getLogger(OutboxDelivery.class);

    private final ResultOutbox outbox;
    private final AckedResults acked;
    private final CoordinatorClient coordinator;
    private final OwnResultResigner resigner;
    /** Outbox files of units a slot still buffers: not delivered until it releases them. */
    private final Set<String> heldBack;
    /** Told each result the coordinator acknowledged with its receipt kept, by outbox file name. */
    private final Consumer<String> acknowledged;

    public OutboxDelivery(ResultOutbox outbox, AckedResults acked, CoordinatorClient coordinator, Identity self,
            Set<String> heldBack, Consumer<String> acknowledged) {
        this.outbox = outbox;
        this.acked = acked;
        this.coordinator = coordinator;
        this.resigner = new OwnResultResigner(self);
        this.heldBack = heldBack;
        this.acknowledged = acknowledged;
    }

    /**
     * Sends every result in the outbox that is due; {@code receiptsToo}: also those whose receipt's
     * next try waits (a stop's last pass, the disk may take them now).
     */
    public synchronized void round(boolean receiptsToo) throws IOException {
        for (ResultOutbox.Pending pending : outbox.pending()) {
            String name = pending.file().getFileName().toString();
            if (heldBack.contains(name)) {
                continue;  // delivered once its slot has released the unit
            }
            if (!receiptsToo && !acked.due(name)) {
                continue;  // stored at the coordinator; its receipt is asked for again when its retry is due
            }
            try {
                pending = resignedIfOld(pending);
                Ack ack = coordinator.reportResult(pending.envelope());
                if (acked.settle(pending, ack)) {
                    acknowledged.accept(name);
                }
            } catch (CoordinatorException e) {
                if (e.isRefusal()) {
                    log.warn("coordinator refused result {}: {}; kept under outbox/refused", name, e.getMessage());
                    outbox.refuse(pending);
                    acked.dropped(name);
                } else {
                    log.warn("result {} stays in the outbox: {}", name, e.getMessage());
                    return;
                }
            }
        }
    }

    /**
     * A result of this node's that waits signed version 1 (before round 15) signed again for the
     * coordinator's network and written back in its place before it goes ({@link OwnResultResigner}):
     * the coordinator would refuse it for good as it is.
     */
    private ResultOutbox.Pending resignedIfOld(ResultOutbox.Pending pending) throws CoordinatorException {
        Optional<Result> old = resigner.toResign(pending.envelope());
        if (old.isEmpty()) {
            return pending;
        }
        SignedEnvelope again = coordinator.signed(old.get());
        outbox.put(old.get().getWorkUnitId(), again);
        log.info("result {} was signed version 1 (before networks were named): signed again for network {}",
                pending.file().getFileName(), again.getNetwork());
        return new ResultOutbox.Pending(pending.file(), again);
    }
}
