package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrialsTest {
    private static int ids;

    private static Trials.Entry ok(double metric) {
        return entry(Result.Status.OK, metric, "cpu");
    }

    private static Trials.Entry entry(Result.Status status, double metric, String hardwareClass) {
        int id = ++ids;
        return new Trials.Entry("e" + id, Result.newBuilder().setStatus(status).setMetric(metric)
                .setHardwareClass(hardwareClass).setRunner(ByteString.copyFromUtf8("runner" + id)).build());
    }

    private static List<State> states(Trials.Outcome o) {
        return o.verdicts().stream().map(Trials.Verdict::state).toList();
    }

    @Test
    void oneReplicaOfTwoIsPendingAndTwoThatDisagreeAreInconclusive() {
        Trials.Outcome one = Trials.judge(List.of(ok(3.2)), 2, 0.01, Set.of()).get(0);
        assertThat(one.state()).isEqualTo(State.PENDING);
        assertThat(states(one)).containsExactly(State.PENDING);

        Trials.Outcome two = Trials.judge(List.of(ok(3.2), ok(1.0)), 2, 0.01, Set.of()).get(0);
        assertThat(two.state()).isEqualTo(State.INCONCLUSIVE);
        assertThat(Trials.needsTieBreaker(two, 2, 2, 0)).isTrue();
        assertThat(Trials.needsTieBreaker(two, 2, 2, 1)).as("a replica is already on its way").isFalse();
        assertThat(Trials.needsTieBreaker(two, 5, 2, 0)).as("at most 2q+1 results").isFalse();
    }

    @Test
    void theAgreeingMajorityIsValidTheLiarInvalidAndLaterResultsTooLate() {
        Trials.Entry liar = ok(1.0);
        List<Trials.Entry> results = new ArrayList<>(List.of(ok(3.200), liar, entry(Result.Status.CRASH, 0, "cpu"),
                ok(3.205)));
        results.add(ok(3.201));
        Trials.Outcome o = Trials.judge(results, 2, 0.01, Set.of()).get(0);
        assertThat(o.decided()).isTrue();
        assertThat(o.metric().getAsDouble()).isEqualTo((3.200 + 3.205) / 2);
        assertThat(states(o)).containsExactly(State.VALID, State.INVALID, State.ERROR, State.VALID, State.TOO_LATE);
    }

    @Test
    void aLateResultIsTooLateWheneverItCameAndNeverAReplica() {
        Trials.Entry lateLiar = new Trials.Entry("late", ok(1.0).result(), true);
        Trials.Outcome pending = Trials.judge(List.of(lateLiar, ok(3.2)), 2, 0.01, Set.of()).get(0);
        assertThat(pending.state()).as("one replica in time of two").isEqualTo(State.PENDING);
        assertThat(states(pending)).containsExactly(State.TOO_LATE, State.PENDING);
        assertThat(pending.inTime()).isEqualTo(1);

        Trials.Outcome decided = Trials.judge(List.of(lateLiar, ok(3.2), new Trials.Entry("late2", ok(1.0).result(), true),
                ok(3.201)), 2, 0.01, Set.of()).get(0);
        assertThat(decided.decided()).as("two late liars outvote nobody").isTrue();
        assertThat(states(decided)).containsExactly(State.TOO_LATE, State.VALID, State.TOO_LATE, State.VALID);
    }

    @Test
    void twoColludingLiarsOutvoteOneHonestRunnerOnlyWhenTheyHoldTheMajority() {
        Trials.Outcome o = Trials.judge(List.of(ok(3.2), ok(1.0), ok(1.0)), 2, 0.01, Set.of()).get(0);
        assertThat(states(o)).containsExactly(State.INVALID, State.VALID, State.VALID);
        Trials.Outcome honest = Trials.judge(List.of(ok(3.2), ok(1.0), ok(3.2)), 2, 0.01, Set.of()).get(0);
        assertThat(states(honest)).containsExactly(State.VALID, State.INVALID, State.VALID);
    }

    @Test
    void classesAreJudgedApartAndAReputationTrialNeedsOneResult() {
        List<Trials.Outcome> outcomes = Trials.judge(List.of(entry(Result.Status.OK, 3.2, "cpu"),
                entry(Result.Status.OK, 2.9, "gpu")), 2, 0.01, Set.of("gpu"));
        assertThat(outcomes).extracting(Trials.Outcome::hardwareClass).containsExactly("cpu", "gpu");
        assertThat(outcomes.get(0).state()).isEqualTo(State.PENDING);
        assertThat(outcomes.get(1).state()).isEqualTo(State.VALID);
    }
}
