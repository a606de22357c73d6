package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.OperatorTerm;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Records this process's operators as terms in the store (migration 38), once, before its first
 * order or naming: a configured key with no open term opens one, an open term of a key no longer
 * configured ends. An export carries the terms, signed ({@link ResultReceipts#withOperatorHistory}),
 * so an order of a key rotated out since is checked against the key's term at the order's time,
 * not against the operators at export time. Not at start: the store may not answer then (a
 * coordinator waits for it). The first terms a store records start at 0: the keys configured when
 * terms began to be kept are taken to have been operators before, as the export's header took them.
 */
final class OperatorTermsKept {
    private final Store store;
    private final Operators operators;
    /**
     * When this process began to answer for its operators (it refuses a key no longer configured
     * from then on), where the terms it opens and ends start and end, however late it records them.
     */
    private final long startedMs;
    private volatile boolean kept;

    OperatorTermsKept(Store store, Clock clock, Operators operators) {
        this.store = store;
        this.operators = operators;
        this.startedMs = clock.millis();
    }

    void keep() {
        if (kept) {
            return;
        }
        store.inTransaction(tx -> {
            long now = startedMs;
            List<OperatorTerm> terms = tx.operatorTerms();
            Set<ByteString> open = terms.stream().filter(t -> t.getUntilMs() == 0).map(OperatorTerm::getOperator)
                    .collect(Collectors.toSet());
            Set<ByteString> configured = operators.keys().stream().map(PublicId::toByteString)
                    .collect(Collectors.toSet());
            for (ByteString key : configured) {
                if (!open.contains(key)) {
                    tx.openOperatorTerm(key, terms.isEmpty() ? 0 : now);
                }
            }
            for (ByteString key : open) {
                if (!configured.contains(key)) {
                    tx.endOperatorTerm(key, now);
                }
            }
            return null;
        });
        kept = true;
    }
}
