package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.Cursor;
import dev.rhizome.coordinator.store.Confirmations.ListKey;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.ConfirmationList;
import dev.rhizome.proto.v1.SeedCommitment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A page of {@code /v1/confirmations}: its two lists (confirmations and seed commitments, both
 * keyed by audit count then candidate commit) read after one key, up to {@link Pages#rowsFor} rows
 * each, and cut together at the page's {@code limit}-th key. A candidate may have a record in each
 * list under one key: both go on the same page, so a cursor at that key skips neither. No I/O.
 */
final class ConfirmationPages {
    private ConfirmationPages() {
    }

    static ConfirmationList page(List<Confirmation> drawn, List<SeedCommitment> committed, int limit) {
        List<ListKey> keys = new ArrayList<>();
        drawn.forEach(c -> keys.add(key(c)));
        committed.forEach(c -> keys.add(key(c)));
        if (keys.size() <= limit) {
            return ConfirmationList.newBuilder().addAllConfirmations(drawn).addAllSeedCommitments(committed).build();
        }
        keys.sort(Comparator.comparingLong(ListKey::auditCount).thenComparing(ListKey::commit));
        ListKey last = keys.get(limit - 1);
        ConfirmationList.Builder page = ConfirmationList.newBuilder();
        drawn.stream().filter(c -> !last.before(c.getAuditCount(), c.getCommit())).forEach(page::addConfirmations);
        committed.stream().filter(c -> !last.before(c.getAuditCount(), c.getCommit())).forEach(page::addSeedCommitments);
        // A list's keys are distinct, so it has at most limit up to the last key: one that filled
        // its rowsFor(limit) left a row here, and one that all went on the page was read to its end.
        boolean more = page.getConfirmationsCount() + page.getSeedCommitmentsCount() < keys.size();
        return page.setNext(more ? Cursor.of(Views.CONFIRMATIONS, last.auditCount(), last.commit()).encode() : "").build();
    }

    /** The key a page's {@code after} names: the first page's when there is none. */
    static ListKey after(Optional<Cursor> after) {
        return after.map(c -> new ListKey(c.number(0), c.text(1))).orElse(ListKey.FIRST);
    }

    private static ListKey key(Confirmation c) {
        return new ListKey(c.getAuditCount(), c.getCommit());
    }

    private static ListKey key(SeedCommitment c) {
        return new ListKey(c.getAuditCount(), c.getCommit());
    }
}
