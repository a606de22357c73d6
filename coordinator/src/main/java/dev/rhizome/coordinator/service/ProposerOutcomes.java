package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.store.Reputations;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one result's settlement counts toward proposers' records, added to them as it ends
 * ({@link Reputations#addToProposerRecord}). Settlement decides nothing from those records (only
 * a registration reads them, alone among the writers), so it needs no lock of a proposer's key:
 * on a shared store, results of one proposer's experiments in several directions settle beside
 * each other and meet only on its record's row, which each locks from its one write to its
 * commit. Written last, so the row is held for the commit alone, and in ascending order of keys,
 * so two settlements that both count two proposers never wait for each other in a cycle.
 */
final class ProposerOutcomes {
    private final Map<ByteString, ProposerThrottle.Record> byProposer =
            new TreeMap<>(ByteString.unsignedLexicographicalComparator());

    /** One of the proposer's commits found VALID. */
    void ok(ByteString proposer) {
        add(proposer, ProposerThrottle.Record.ok());
    }

    /** A CRASH, or a trial whose replicas never agree, at {@code nowMs}. */
    void crash(ByteString proposer, long nowMs) {
        add(proposer, ProposerThrottle.Record.crash(nowMs));
    }

    private void add(ByteString proposer, ProposerThrottle.Record outcome) {
        if (!proposer.isEmpty()) {
            byProposer.merge(proposer, outcome, ProposerThrottle.Record::plus);
        }
    }

    /** Adds what was counted to the records, one statement a proposer, in ascending order of keys. */
    void addTo(Reputations tx) {
        byProposer.forEach(tx::addToProposerRecord);
        byProposer.clear();
    }
}
