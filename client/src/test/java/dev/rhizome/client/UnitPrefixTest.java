package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A unit id is a UUID, and `submit`, `renew` and `unclaim` outside the claimed workspace wanted it
 * whole: `--unit` now takes a unique start of it, as `--commit` does, and a command given no unit
 * lists the claims its data directory holds (user24, by hand on loopback: "pass --unit <id>" sent
 * the user scrolling back for an id printed minutes before).
 */
class UnitPrefixTest {
    @TempDir
    Path dir;

    @Test
    void aUniqueStartOfTheIdNamesTheUnitAndAMissingUnitListsTheHeldClaims() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            OpenDirections.seed(new CoordinatorClient(c.url(), Identity.generate()), "tiny", "d");
            Path agent = dir.resolve("agent");
            String first = unit(CliRun.at(c.url(), agent, "claim", "--direction", "d", "--json"));
            String second = unit(CliRun.at(c.url(), agent, "claim", "--direction", "d", "--json"));

            // no workspace here and no --unit: the message names both claims, so the user can pick one
            JsonObject missing = CliRun.at(c.url(), agent, "submit", "--json").failure(ExitCodes.USAGE, "usage", first);
            assertThat(missing.get("message").getAsString()).contains(second).contains("holds 2 claims")
                    .contains("direction d");
            assertThat(missing.get("hint").getAsString()).contains("--unit");

            CliRun unclaim = CliRun.at(c.url(), agent, "unclaim", "--unit", first.substring(0, 8), "--json");
            JsonObject gaveBack = unclaim.json();
            assertThat(unclaim.code()).as(unclaim.err()).isZero();
            assertThat(gaveBack.get("unit").getAsString()).isEqualTo(first);
            assertThat(gaveBack.get("given_back").getAsBoolean()).isTrue();
            assertThat(unclaim.err()).as("it says which unit the prefix named").contains("--unit " + first);

            // the given-back unit still resolves by prefix (a second unclaim is told what happened)
            CliRun.at(c.url(), agent, "renew", "--unit", first.substring(0, 8), "--json")
                    .failure(ExitCodes.USAGE, "given_back", first);
            JsonObject oneLeft = CliRun.at(c.url(), agent, "renew", "--json").failure(ExitCodes.USAGE, "usage", second);
            assertThat(oneLeft.get("message").getAsString()).contains("holds 1 claim:").doesNotContain(first);
            // a start matching nothing is still unknown, listing what is held
            CliRun.at(c.url(), agent, "renew", "--unit", "zzzz", "--json").failure(ExitCodes.USAGE, "unknown_unit", second);
        }
    }

    @Test
    void aStartSharedByTwoClaimsIsAmbiguousAndNamesThem() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent");
            // ids the coordinator would not draw alike; the claims are the files `claim` writes
            ClaimFiles.save(agent, WorkUnit.newBuilder().setId("abcd1111-x").setDirection("d").build());
            ClaimFiles.save(agent, WorkUnit.newBuilder().setId("abcd2222-y").setDirection("d").build());
            JsonObject ambiguous = CliRun.at(c.url(), agent, "unclaim", "--unit", "abcd", "--json")
                    .failure(ExitCodes.USAGE, "ambiguous_unit", "abcd1111-x");
            assertThat(ambiguous.get("message").getAsString()).contains("abcd2222-y");
            assertThat(ambiguous.get("option").getAsString()).isEqualTo("--unit");
            assertThat(ClaimFiles.load(agent, "abcd1111-x").getId()).as("nothing was given back").isEqualTo("abcd1111-x");
        }
    }

    private static String unit(CliRun claim) {
        assertThat(claim.code()).as(claim.out() + claim.err()).isZero();
        return claim.json().getAsJsonObject("unit").get("id").getAsString();
    }
}
