package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.LogCapture;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.WarnBudget;
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
    private final ClaimableWork work = new ClaimableWork(clock);

    @Test
    void cutClaimsInALoopWriteABoundedLog() throws Exception {
        BoardHistory.onStore("sqlite", dir, store -> {
            Dispatcher dispatcher = new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)),
                    new ClaimPolicy(Duration.ZERO), new Dispatcher.ClaimLimits(4, 8), new WriteQuotas(WriteQuota.Limits.defaults()));
            work.open(store);
            String unit = work.addUnit(store);
            Identity node = Identity.generate();
            try (LogCapture log = new LogCapture()) {
                for (int i = 0; i < CUT_CLAIMS; i++) {
                    ClaimResponse leased = dispatcher.claim(Fixtures.signedClaim(node, clock.millis(), "", WorkUnit.Kind.EVALUATE), "81.2.69.5");
                    assertThat(leased.getUnit().getId()).as("claim %d: the unit given back is open again", i)
                            .isEqualTo(unit);
                    assertThat(dispatcher.giveBackUnanswered(unit, node.publicId().toByteString())).isTrue();
                }
                assertThat(log.linesMentioning("its claim's answer reached nobody").size())
                        .as("given back %d times, logged within the budget", CUT_CLAIMS)
                        .isLessThanOrEqualTo(WarnBudget.PER_WINDOW);
            }
        });
    }

}
