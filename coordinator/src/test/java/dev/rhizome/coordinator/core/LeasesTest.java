package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LeasesTest {
    private static final Manifest MANIFEST = Fixtures.manifest(1, 0.01);  // timeout 60 s
    private static final ByteString NODE = ByteString.copyFrom(new byte[32]);
    private static final ByteString OTHER = ByteString.copyFrom(new byte[] {1}).concat(ByteString.copyFrom(new byte[31]));

    private final UnitRecord open = UnitRecord.open("u1", WorkUnit.Kind.EVALUATE, "s", "d", Fixtures.commit(), "",
            ByteString.EMPTY, 0);

    @Test
    void derivesTheLeaseFromTheManifestTimeoutWhenNoneIsConfigured() {
        assertThat(new Leases(Duration.ZERO).duration(MANIFEST)).isEqualTo(Duration.ofSeconds(150));
        assertThat(new Leases(Duration.ofSeconds(5)).duration(MANIFEST)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aLeaseIsGoodUpToItsDeadlineAndExpiredAfter() {
        UnitRecord leased = open.leasedTo(NODE, 1_000);
        assertThat(leased.attempts()).isEqualTo(1);
        assertThat(Leases.isExpired(leased, 1_000)).isFalse();
        assertThat(Leases.isExpired(leased, 1_001)).isTrue();
        assertThat(Leases.isExpired(open, 5_000)).as("an open unit has no lease to expire").isFalse();
    }

    @Test
    void anExpiredEvaluationReopensWithItsExpiryCountedAndAnExplorationEnds() {
        UnitRecord expired = open.leasedTo(NODE, 1_000).expired();
        assertThat(expired.state()).isEqualTo(UnitStatus.State.OPEN);
        assertThat(expired.expiredLeases()).isEqualTo(1);
        assertThat(expired.holder()).as("kept so a late result from it is recognised").isEqualTo(NODE);
        assertThat(expired.leasedTo(OTHER, 9_000).attempts()).isEqualTo(2);

        UnitRecord explore = UnitRecord.open("u2", WorkUnit.Kind.EXPLORE, "s", "d", Fixtures.commit(), "",
                ByteString.EMPTY, 0).leasedTo(NODE, 1_000).expired();
        assertThat(explore.state()).isEqualTo(UnitStatus.State.DONE);
    }

    @Test
    void onlyTheHolderOfAnUnexpiredLeaseMayRenewIt() {
        Leases leases = new Leases(Duration.ofSeconds(10));
        UnitRecord leased = open.leasedTo(NODE, 10_000);
        assertThat(leases.renew(leased, NODE, 5_000, MANIFEST).leaseDeadlineMs()).isEqualTo(15_000);
        assertThatThrownBy(() -> leases.renew(leased, OTHER, 5_000, MANIFEST))
                .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.code()).isEqualTo(Error.Code.FORBIDDEN));
        assertThatThrownBy(() -> leases.renew(leased, NODE, 10_001, MANIFEST))
                .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.code()).isEqualTo(Error.Code.LEASE_EXPIRED));
    }

    @Test
    void aUnitItsHolderClosedIsClosedNotExpiredNorSomeoneElses() {
        Leases leases = new Leases(Duration.ofSeconds(10));
        UnitRecord explore = UnitRecord.open("u2", WorkUnit.Kind.EXPLORE, "s", "d", Fixtures.commit(), "",
                ByteString.EMPTY, 0).leasedTo(NODE, 10_000);
        UnitRecord givenBack = explore.doneBy(NODE);
        assertThat(givenBack.closedBy(NODE)).isTrue();
        assertThat(givenBack.closedBy(OTHER)).isFalse();
        assertThat(explore.expired().closedBy(NODE)).as("its lease ran out: that is what to say").isFalse();
        assertThatThrownBy(() -> leases.renew(givenBack, NODE, 5_000, MANIFEST))
                .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.code()).isEqualTo(Error.Code.UNIT_CLOSED));
        assertThatThrownBy(() -> leases.renew(givenBack, OTHER, 5_000, MANIFEST))
                .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.code()).isEqualTo(Error.Code.FORBIDDEN));
    }
}
