package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.SeededOverApi;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose answer was lost sends its acknowledged result again; on a shared PostgreSQL the
 * direction's settlement may be held by other results then (a busy direction, or a settlement
 * stuck at its commit). The resend is answered from what is stored, "already recorded", without
 * waiting on that lock: it waited there and got {@code 503} once the lock wait ran out, so the
 * node kept a result it had delivered and sent it again and again.
 */
class ResendUnderSettlementLockPostgresTest {
    @TempDir
    Path dir;

    private final Identity operator = Identity.generate();

    @Test
    void anAcknowledgedResultSentAgainIsAnsweredWhileItsSettlementLocksAreHeld() throws Exception {
        try (TestPostgres pg = TestPostgres.create();
                // a lock wait of 3 s: the old path's 503 comes within the test's bound
                Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir)
                        .withStore(pg.address(4) + "&timeout=3").withLimits(CoordinatorLimits.defaults())
                        .withOperators(Set.of(operator.publicId())))) {
            ApiClient api = new ApiClient(c.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC());
            SeededOverApi.post(List.of(api), operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(2, 0.5),
                    List.of("d0"), 2);
            Identity runner = Identity.generate();
            WorkUnit unit = api.claim(runner, WorkUnit.Kind.EVALUATE);
            assertThat(unit).as("a unit to run").isNotNull();
            SignedEnvelope result = api.sign(runner, Fixtures.result(runner, unit, 1.5, api.now()));
            assertThat(api.post("/v1/results", result).ack().getMessage()).startsWith("result recorded");

            try (Connection other = pg.connect()) {
                other.setAutoCommit(false);
                long[] keys = new SettlementLocks(PostgresStore.writersLock(pg.schema))
                        .keys(List.of(unit.getDirection()), unit.getCommit(), List.of(runner.publicId().toByteString(), unit.getProposer()));
                try (PreparedStatement hold = other.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                    for (long key : keys) {
                        hold.setLong(1, key);
                        hold.execute();
                    }
                }
                // the locks are held until the end: a resend that waited for them would get the 503 below
                ApiClient.Response again = api.post("/v1/results", result);
                assertThat(again.status()).as("resent while the settlement locks are held: %s", again.text())
                        .isEqualTo(200);
                assertThat(again.ack().getMessage()).isEqualTo("result already recorded");

                // a result that settles still waits for its direction's lock: only what is stored is answered early
                Identity second = Identity.generate();
                WorkUnit next = api.claim(second, WorkUnit.Kind.EVALUATE);
                assertThat(next.getDirection()).isEqualTo(unit.getDirection());
                ApiClient.Response waited = api.post("/v1/results",
                        api.sign(second, Fixtures.result(second, next, 1.5, api.now())));
                assertThat(waited.status()).as("a new result of the held direction: %s", waited.text()).isEqualTo(503);
                other.rollback();
            }
        }
    }
}
