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
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "b"), keys("a", "b"), network, Set.of(), 0, true)).isEmpty();
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "b", "c"), keys("a", "b", "c"), network, Set.of(), 1, true))
                .hasValueSatisfying(why -> assertThat(why).contains("u1").contains("3 failed attempts from 3 key(s)")
                        .contains("1 unfetchable report(s), 3 expired lease(s)"));
    }

    @Test
    void oneKeyLettingItsLeasesRunOutCannotGetAnExperimentGivenUpAmongOtherRunners() {
        Set<ByteString> honest = keys("honest1", "honest2");
        UnitRecord unit = evaluation();
        for (int round = 1; round <= 10; round++) {
            unit = expiredBy(unit, "hostile");
            assertThat(AttemptCap.giveUp(unit, keys("hostile"), honest, Set.of(), 0, true)).as("after %d expiries", round)
                    .isEmpty();
        }
        UnitRecord twoHostile = expiredBy(evaluation(), "h1", "h2", "h1", "h2", "h1");
        assertThat(AttemptCap.giveUp(twoHostile, keys("h1", "h2"), honest, Set.of(), 0, true))
                .as("two keys among four runners are not enough either").isEmpty();
    }

    @Test
    void aNetworkOfFewerRunnersStillGivesAnUnfetchableCommitUpAfterThreeAttempts() {
        Set<ByteString> lone = keys("only");
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "only", "only"), lone, lone, Set.of(), 0, true)).isEmpty();
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "only", "only", "only"), lone, lone, Set.of(), 0, true))
                .hasValueSatisfying(why -> assertThat(why).contains("3 failed attempts from 1 key(s)"));
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "b", "a"), keys("a", "b"), keys("a", "b"), Set.of(), 0, true))
                .as("both nodes of a two-node network failed it").isPresent();
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "a", "a"), keys("a"), Set.of(), Set.of(), 0, true))
                .as("no node announced: the failing keys are the runners known").isPresent();
    }

    @Test
    void freshKeysAloneCannotGiveAnExperimentUpWhereRunnersWithStandingRun() {
        Set<ByteString> network = keys("honest1", "honest2", "honest3", "sybil1", "sybil2", "sybil3");
        Set<ByteString> standing = keys("honest1", "honest2", "honest3");
        UnitRecord bySybils = expiredBy(evaluation(), "sybil1", "sybil2", "sybil3");
        assertThat(AttemptCap.giveUp(bySybils, keys("sybil1", "sybil2", "sybil3"), network, standing, 3, true))
                .as("three keys of one person, none with a valid result").isEmpty();
        UnitRecord byMixed = expiredBy(evaluation(), "sybil1", "sybil2", "sybil3", "honest1", "honest2");
        assertThat(AttemptCap.giveUp(byMixed, keys("sybil1", "sybil2", "sybil3", "honest1", "honest2"), network, standing,
                5, true)).as("two runners with standing of three").isEmpty();
        UnitRecord byHonest = expiredBy(evaluation(), "honest1", "honest2", "honest3");
        assertThat(AttemptCap.giveUp(byHonest, standing, network, standing, 3, true))
                .hasValueSatisfying(why -> assertThat(why).contains("3 of them with standing"));
        Set<ByteString> oneEstablished = keys("honest1");
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "honest1", "sybil1", "sybil2"),
                keys("honest1", "sybil1", "sybil2"), network, oneEstablished, 3, true))
                .as("where one runner has standing, its failure is needed and enough").isPresent();
    }

    @Test
    void aDirectionsBaseOrFrontierIsNeverGivenUp() {
        assertThat(AttemptCap.giveUp(expiredBy(evaluation(), "a", "b", "c", "d"), keys("a", "b", "c", "d"), Set.of(),
                Set.of(), 10, false)).isEmpty();
    }

    @Test
    void explorationsAreNeverGivenUpHere() {
        UnitRecord explore = UnitRecord.open("x1", WorkUnit.Kind.EXPLORE, "seed", "dir", COMMIT, "", ByteString.EMPTY, 0);
        assertThat(AttemptCap.giveUp(expiredBy(explore, "a", "b", "c", "d"), keys("a", "b", "c", "d"), Set.of(), Set.of(), 0,
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
