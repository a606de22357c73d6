package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Work for claims to meet, written straight into a store: the seed "tiny-lm" (quorum 1) with
 * direction "d" open on its commit, and open evaluations added one at a time, each created later
 * than the last (so claims meet them in the order added). Adds may come from several threads.
 */
final class ClaimableWork {
    final Identity operator = Identity.generate();
    final Seed seed;
    private final Clock clock;
    private final AtomicLong unitTime = new AtomicLong(100);

    ClaimableWork(Clock clock) {
        this.clock = clock;
        this.seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), clock.millis());
    }

    /** Publishes the seed and opens direction "d" on its commit. */
    void open(Store store) {
        Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), clock.millis());
        store.inTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), clock.millis());
            tx.insertDirection(direction, Envelopes.sign(operator, direction), clock.millis());
            return null;
        });
    }

    /** An open evaluation of a fresh commit in "d"; its id. */
    String addUnit(Store store) {
        return addUnit(store, Fixtures.commit());
    }

    /** An open evaluation of {@code commit} in "d"; its id. */
    String addUnit(Store store, String commit) {
        long at = unitTime.getAndIncrement();
        String id = "u-" + at;
        store.inTransaction(tx -> {
            tx.insertUnit(UnitRecord.open(id, WorkUnit.Kind.EVALUATE, "tiny-lm", "d", commit, "",
                    operator.publicId().toByteString(), at));
            return null;
        });
        return id;
    }

    /** {@code n} open evaluations of fresh commits in {@code direction}, in one transaction. */
    void addUnits(Store store, String direction, int n) {
        store.inTransaction(tx -> {
            for (int i = 0; i < n; i++) {
                long at = unitTime.getAndIncrement();
                tx.insertUnit(UnitRecord.open("u-" + direction + "-" + at, WorkUnit.Kind.EVALUATE, "tiny-lm",
                        direction, Fixtures.commit(), "", operator.publicId().toByteString(), at));
            }
            return null;
        });
    }
}
