package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome claim` was silent while it worked: 17 s at load 47 on the README's network, and up to a
 * minute with `--wait`, the coordinator holding the claim until work opens (round 28's newcomer
 * pass). A step that runs past a few seconds is now named on standard error, as `submit`'s are.
 */
class ClaimSaysWhatItWaitsForTest {
    @TempDir
    Path dir;

    @Test
    void aClaimTheCoordinatorHoldsSaysWhatItWaitsFor() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = c.url();
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            OpenDirections.seed(operator, "tiny", "d");
            // every agent exploration the direction allows is leased: the next claim finds no work
            for (int i = 0; i < 4; i++) {
                CoordinatorClient agent = new CoordinatorClient(url, Identity.generate());
                assertThat(agent.claim(ClaimRequest.newBuilder().setNode(agent.identity().publicId().toByteString())
                        .setHardwareClass("any").addKinds(WorkUnit.Kind.EXPLORE).setDirection("d")
                        .setTimeMs(System.currentTimeMillis()).build()).hasUnit()).isTrue();
            }

            CliRun held = CliRun.at(url, dir.resolve("agent"), "claim", "--direction", "d", "--wait", "6", "--json");

            assertThat(held.code()).as(held.out() + held.err()).isEqualTo(ExitCodes.NO_WORK);
            assertThat(held.err()).containsPattern("rhizome: asking the coordinator for a unit \\(it holds the claim up to 6 s "
                    + "until work opens\\) \\(\\d+ s so far\\)");
            assertThat(held.json().get("error").getAsString()).isEqualTo("no_work");
        }
    }
}
