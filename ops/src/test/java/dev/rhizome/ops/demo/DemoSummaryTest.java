package dev.rhizome.ops.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoSummaryTest {
    private static DemoSummary ended(DemoSummary.Adoptions adoptions, long confirmingInLr) {
        List<DemoSummary.DirectionOutcome> directions = List.of(
                new DemoSummary.DirectionOutcome("learning-rate", List.of("learning_rate"), 3, 9, 2.1, 2.0, "c0ffee",
                        adoptions.adoptions(), confirmingInLr),
                new DemoSummary.DirectionOutcome("context-length", List.of("context_length"), 2, 6, 2.1, 2.1, "base", 0, 0));
        return new DemoSummary(5, 15, 15, 15, 0, 2.1, 2.0, 1.69, 10, 30_000, 0, directions, 3, 0, 200.04, "val_bpb",
                Path.of("/tmp/demo"), adoptions);
    }

    @Test
    void theJsonShowsThePipelineWithEveryKeyItHadBefore() {
        JsonObject o = JsonParser.parseString(ended(new DemoSummary.Adoptions(1, 1, 2, 1, 150.04, "adoption"), 1).toJson())
                .getAsJsonObject();
        // the keys outside checks already read, unchanged
        assertThat(o.keySet()).contains("experiments", "results", "ok_results", "valid_signatures", "invalid_signatures",
                "metric", "baseline_metric", "best_metric", "entropy_floor", "bundles_from_peers",
                "bundle_bytes_from_peers", "bundle_bytes_from_coordinator", "directions", "direction_details", "nodes",
                "leases_expired", "seconds", "data_dir");
        assertThat(o.get("directions").getAsInt()).isEqualTo(2);
        assertThat(o.get("confirming").getAsInt()).isEqualTo(1);
        assertThat(o.get("confirmed").getAsInt()).isEqualTo(1);
        assertThat(o.get("refused_at_confirmation").getAsInt()).isEqualTo(2);
        assertThat(o.get("adoptions").getAsInt()).isEqualTo(1);
        assertThat(o.get("first_adoption_seconds").getAsDouble()).isEqualTo(150.0);
        assertThat(o.get("end_reason").getAsString()).isEqualTo("adoption");
        JsonObject lr = o.getAsJsonArray("direction_details").get(0).getAsJsonObject();
        assertThat(lr.get("adoptions").getAsInt()).isEqualTo(1);
        assertThat(lr.get("confirming").getAsInt()).isEqualTo(1);
        assertThat(lr.get("frontier_commit").getAsString()).isEqualTo("c0ffee");

        JsonObject none = JsonParser.parseString(ended(new DemoSummary.Adoptions(0, 0, 0, 0, null, "duration"), 0).toJson())
                .getAsJsonObject();
        assertThat(none.get("first_adoption_seconds").isJsonNull()).as("no adoption: null, not 0").isTrue();
        assertThat(none.get("end_reason").getAsString()).isEqualTo("duration");
    }

    @Test
    void aDemoThatEndedWithCandidatesStillConfirmingSaysSoAndHowToRunLonger() {
        String text = ended(new DemoSummary.Adoptions(2, 0, 0, 0, null, "duration"), 1).toText();
        assertThat(text).contains("adopted: none yet")
                .contains("confirming at fresh seeds: 2 candidates")
                .contains("2 candidates were still confirming when the demo ended")
                .contains("rhizome demo --duration 10m")
                .contains("learning-rate").contains("1 confirming");
    }

    @Test
    void anAdoptionIsToldInWordsAndNeedsNoHint() {
        String text = ended(new DemoSummary.Adoptions(0, 1, 0, 1, 150.0, "adoption"), 0).toText();
        assertThat(text).contains("adopted: 1 new frontier").contains("again at fresh seeds").contains("after 150 s")
                .contains("1 adopted").doesNotContain("note:");
    }

    @Test
    void resultsWithoutAnyCandidatePassingSayHowToRunLonger() {
        String text = ended(new DemoSummary.Adoptions(0, 0, 0, 0, null, "duration"), 0).toText();
        assertThat(text).contains("adopted: none yet").contains("no candidate passed at the trial seeds")
                .contains("rhizome demo --duration 10m");
    }

    @Test
    void resultsThatAllTimedOutAreNotToldAsCandidatesThatLost() {
        DemoSummary timedOut = new DemoSummary(6, 6, 0, 6, 0, null, null, 1.69, 14, 30_000, 0, List.of(), 3, 0, 300, "val_bpb",
                Path.of("/tmp/demo"), new DemoSummary.Adoptions(0, 0, 0, 0, null, "duration"));
        assertThat(timedOut.toText()).contains("none of the 6 results was OK").contains("rhizome demo --duration 10m")
                .doesNotContain("no candidate passed");
    }
}
