package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class AttemptCapTest {
    private static final String COMMIT = "a".repeat(40);

    private static UnitRecord evaluation() {
        return UnitRecord.open("u1", WorkUnit.Kind.EVALUATE, "seed", "dir", COMMIT, "b".repeat(40),
                ByteString.copyFromUtf8("proposer"), 0);
    }

    private static ByteString key(String name) {
        return ByteString.copyFromUtf8(name);
    }

    /** The unit after {@code holders.length} leases that all ran out, leased in that order (virtual time). */
    private static UnitRecord expiredBy(UnitRecord unit, String... holders) {
        long now = 0;
        for (String holder : holders) {
            unit = unit.leasedTo(key(holder), now + 150_000).expired();
            now += 200_000;
        }
        return unit;
    }

    private static Set<ByteString> keys(String... names) {
        return Arrays.stream(names).map(AttemptCapTest::key).collect(Collectors.toSet());
    }

    @Test
    void aUnitIsReissuedUntilThreeKeysHaveFailedIt() {
        Set<ByteString> network = keys("a", "b", "c", "d");
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "b"), keys("a", "b"), network, 0, true)).isEmpty();
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "b", "c"), keys("a", "b", "c"), network, 1, true))
                .hasValueSatisfying(why -> assertThat(why).contains("u1").contains("3 failed attempts from 3 key(s)")
                        .contains("1 unfetchable report(s), 3 expired lease(s)"));
    }

    @Test
    void oneKeyLettingItsLeasesRunOutCannotGetAnExperimentGivenUpAmongOtherRunners() {
        Set<ByteString> honest = keys("honest1", "honest2");
        UnitRecord unit = evaluation();
        for (int round = 1; round <= 10; round++) {
            unit = expiredBy(unit, "hostile");
            assertThat(AttemptCap.giveUp(unit, keys("hostile"), honest, 0, true)).as("after %d expiries", round)
                    .isEmpty();
        }
        UnitRecord twoHostile = expiredBy(evaluation(), "h1", "h2", "h1", "h2", "h1");
        assertThat(AttemptCap.giveUp(twoHostile, keys("h1", "h2"), honest, 0, true))
                .as("two keys among four runners are not enough either").isEmpty();
    }

    @Test
    void aNetworkOfFewerRunnersStillGivesAnUnfetchableCommitUpAfterThreeAttempts() {
        Set<ByteString> lone = keys("only");
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "only", "only"), lone, lone, 0, true)).isEmpty();
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "only", "only", "only"), lone, lone, 0, true))
                .hasValueSatisfying(why -> assertThat(why).contains("3 failed attempts from 1 key(s)"));
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "b", "a"), keys("a", "b"), keys("a", "b"), 0, true))
                .as("both nodes of a two-node network failed it").isPresent();
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "a", "a"), keys("a"), Set.of(), 0, true))
                .as("no node announced: the failing keys are the runners known").isPresent();
    }

    @Test
    void aDirectionsBaseOrFrontierIsNeverGivenUp() {
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "b", "c", "d"), keys("a", "b", "c", "d"), Set.of(),
                10, false)).isEmpty();
    }

    @Test
    void explorationsAreNeverGivenUpHere() {
        UnitRecord explore = UnitRecord.open("x1", WorkUnit.Kind.EXPLORE, "seed", "dir", COMMIT, "", ByteString.EMPTY, 0);
        assertThat(AttemptCap.giveUp(expiredBy(explore, "a", "b", "c", "d"), keys("a", "b", "c", "d"), Set.of(), 0,
                true)).isEmpty();
    }

    @Test
    void aProposerWhoseExperimentsAreGivenUpIsThrottledLikeOneWhoseCodeCrashes() {
        ProposerThrottle.Record record = ProposerThrottle.Record.empty();
        long now = 1_000_000;
        for (int i = 0; i < ProposerThrottle.CRASH_LIMIT - 1; i++) {
            record = record.onUnfetchable(now);
            assertThat(ProposerThrottle.refusal(record, now)).isEmpty();
        }
        record = record.onUnfetchable(now);
        assertThat(ProposerThrottle.refusal(record, now)).hasValueSatisfying(why -> assertThat(why)
                .contains("proposer throttled").contains("unfetchable"));
        assertThat(ProposerThrottle.refusal(record, now + ProposerThrottle.COOL_DOWN.toMillis())).isEmpty();
    }
}
