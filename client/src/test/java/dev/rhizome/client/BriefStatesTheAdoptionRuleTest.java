package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new agent sizes its change by the brief's rule line. It said a change is adopted when it beats
 * the frontier "by more than the tolerance" (0.002 for tiny-lm), while the coordinator asks for a
 * paired win over the seed's 3 trial seeds at 2 standard errors and then again at 3 fresh seeds:
 * an agent that trusted it submitted seed-42 gains that could never pass. Real coordinator and
 * command.
 */
class BriefStatesTheAdoptionRuleTest {
    private static final String DIRECTION = "rule";

    @TempDir
    Path dir;

    @Test
    void theBriefStatesThePairedRuleAndConfirmationWithTheSeedsNumbers() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            OpenDirections.seed(operator, "rule-seed", TinyLmSeed.manifest().toBuilder().setQuorum(1)
                    .clearTrustedProposers().setAdoptionSeeds(4).setSignificance(2.5).setConfirmationSeeds(2).build(),
                    DIRECTION);

            JsonObject goal = CliRun.at(coordinator.url(), dir.resolve("agent"), "brief", "--direction", DIRECTION,
                    "--json").succeeded("brief --json").json().getAsJsonObject("goal");
            assertThat(goal.get("adoption_seeds").getAsInt()).isEqualTo(4);
            assertThat(goal.get("significance").getAsDouble()).isEqualTo(2.5);
            assertThat(goal.get("confirmation_seeds").getAsInt()).isEqualTo(2);

            String text = CliRun.at(coordinator.url(), dir.resolve("agent"), "brief", "--direction", DIRECTION)
                    .succeeded("brief").out();
            assertThat(text).contains("at the same 4 seeds", "more than 2.5 standard errors",
                    "a win at one seed alone never passes", "at 2 fresh seeds");
            assertThat(text).doesNotContain("beats the frontier by more than the tolerance");
        }
    }

    @Test
    void aSeedWithOneAdoptionSeedKeepsTheToleranceRule() {
        assertThat(dev.rhizome.client.agent.Brief.adoptionRule(TinyLmSeed.manifest().toBuilder().setAdoptionSeeds(1)
                .setConfirmationSeeds(0).build())).contains("beats the frontier by more than the tolerance");
    }
}
