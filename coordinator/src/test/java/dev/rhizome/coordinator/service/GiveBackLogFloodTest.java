package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.LogCapture;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Log flooding by cut claims: a client that claims and cuts its connection before the answer gets
 * its lease given back, and the day's lease count refunded, so no daily limit bounds how often; each
 * give-back wrote an INFO line, so a client claiming and resetting in a loop wrote the coordinator's
 * log as fast as it liked. Now they go out within a {@link WarnBudget} (10 a minute), the rest at
 * DEBUG, and every one still gives its lease back.
 */
class GiveBackLogFloodTest {
    private static final int CUT_CLAIMS = 40;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final Identity operator = Identity.generate();
    private final Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01),
            clock.millis());

    @Test
    void cutClaimsInALoopWriteABoundedLog() throws Exception {
        BoardHistory.onStore("sqlite", dir, store -> {
            Dispatcher dispatcher = new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)),
                    new ClaimPolicy(Duration.ZERO), new Dispatcher.ClaimLimits(4, 8), new WriteQuotas(WriteQuota.Limits.defaults()));
            Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), clock.millis());
            store.inTransaction(tx -> {
                tx.insertSeed(seed, Envelopes.sign(operator, seed), clock.millis());
                tx.insertDirection(direction, Envelopes.sign(operator, direction), clock.millis());
                tx.insertUnit(UnitRecord.open("u-1", WorkUnit.Kind.EVALUATE, "tiny-lm", "d", Fixtures.commit(), "",
                        operator.publicId().toByteString(), 1));
                return null;
            });
            Identity node = Identity.generate();
            try (LogCapture log = new LogCapture()) {
                for (int i = 0; i < CUT_CLAIMS; i++) {
                    ClaimResponse leased = dispatcher.claim(Fixtures.signedClaim(node, clock.millis(), "", WorkUnit.Kind.EVALUATE), "81.2.69.5");
                    assertThat(leased.getUnit().getId()).as("claim %d: the unit given back is open again", i)
                            .isEqualTo("u-1");
                    assertThat(dispatcher.giveBackUnanswered("u-1", node.publicId().toByteString())).isTrue();
                }
                assertThat(log.linesMentioning("its claim's answer reached nobody").size())
                        .as("given back %d times, logged within the budget", CUT_CLAIMS)
                        .isLessThanOrEqualTo(WarnBudget.PER_WINDOW);
            }
        });
    }

}
