package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The brief says a candidate is compared with its parent seed by seed; `rhizome results` listed
 * each run's metric without its seed, so a reader could not pair the rows (tiny-lm's seed-to-seed
 * spread is many times a gain worth having). Real coordinator and command.
 */
class ResultsShowEachSeedTest {
    private static final String DIRECTION = "seeds";

    @TempDir
    Path dir;

    @Test
    void eachRowOfTheTextListingNamesTheRandomSeedItRanAt() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = coordinator.url();
            OpenDirections.seed(new CoordinatorClient(url, Identity.generate()), "seeds-seed", DIRECTION);
            Set<Long> reported = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                FreshRunner runner = FreshRunner.at(url, "cpu:seeds");
                WorkUnit unit = runner.claimEvaluation();
                runner.report(unit, Result.Status.OK, "", 2.0 + i / 10.0);
                reported.add(unit.getRandomSeed());
            }
            assertThat(reported).hasSize(3);

            String text = CliRun.at(url, dir.resolve("agent"), "results", "--direction", DIRECTION)
                    .succeeded("results").out();
            List<String> lines = text.lines().toList();
            assertThat(lines.get(0).split("\\s+")).contains("SEED");
            int column = List.of(lines.get(0).trim().split("\\s+")).indexOf("SEED");
            Set<Long> listed = new HashSet<>();
            for (String line : lines.subList(1, 4)) {
                listed.add(Long.parseLong(line.trim().split("\\s+")[column]));
            }
            assertThat(listed).isEqualTo(reported);
        }
    }
}
