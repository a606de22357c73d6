package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents read the same brief and picked the same idea: `brief` listed only submitted
 * experiments, and what another agent had claimed to try showed up only in a claim's near-duplicate
 * check, after the choice. The brief now lists the hypotheses claimed and held on the direction
 * (its own marked mine), and a unit given back leaves the list.
 */
class BriefShowsWorkUnderWayTest {
    @TempDir
    Path dir;

    @Test
    void anotherAgentsClaimedHypothesisIsInTheBriefBeforeItSubmits() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            Path first = dir.resolve("first");
            Path second = dir.resolve("second");
            String hypothesis = "tie the input and output embeddings";
            CliRun claim = CliRun.at(c.url(), first, "claim", "--direction", "d", "--hypothesis", hypothesis, "--json");
            assertThat(claim.code()).as(claim.err()).isZero();
            String unitId = claim.json().getAsJsonObject("unit").get("id").getAsString();
            String firstKey = CliRun.of("id", "--data-dir", first.toString(), "--json").json().get("id").getAsString();

            JsonObject brief = CliRun.at(c.url(), second, "brief", "--direction", "d", "--json").succeeded().json();
            JsonArray underWay = brief.getAsJsonArray("under_way");
            assertThat(underWay).hasSize(1);
            JsonObject u = underWay.get(0).getAsJsonObject();
            assertThat(u.get("unit_id").getAsString()).isEqualTo(unitId);
            assertThat(u.get("claimant_id").getAsString()).isEqualTo(firstKey);
            assertThat(u.get("mine").getAsBoolean()).isFalse();
            assertThat(u.getAsJsonObject("hypothesis").get("untrusted").getAsBoolean()).isTrue();
            assertThat(u.getAsJsonObject("hypothesis").get("text").getAsString()).isEqualTo(hypothesis);
            CliRun text = CliRun.at(c.url(), second, "brief", "--direction", "d");
            assertThat(text.out()).contains("## Under way").contains("unit " + unitId + " by key " + firstKey.substring(0, 16))
                    .contains("| " + hypothesis);
            JsonObject own = CliRun.at(c.url(), first, "brief", "--direction", "d", "--json").succeeded().json();
            assertThat(own.getAsJsonArray("under_way").get(0).getAsJsonObject().get("mine").getAsBoolean()).isTrue();

            // given back: no longer under way
            CliRun.at(c.url(), first, "unclaim", "--unit", unitId, "--json").succeeded();
            JsonObject after = CliRun.at(c.url(), second, "brief", "--direction", "d", "--json").succeeded().json();
            assertThat(after.getAsJsonArray("under_way")).isEmpty();
        }
    }
}
