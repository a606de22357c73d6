package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents on one direction, each with its own data directory (its own key). The second one,
 * seeing the first one's unit, tried `submit --unit <that unit>` and was told `unknown_unit`
 * ("claim it first"): it never learned the unit is another key's lease, nor what it can do.
 */
class TwoAgentsOneDirectionTest {
    @TempDir
    Path dir;

    @Test
    void anotherKeysUnitIsSaidToBeHeldByItAndNothingOfItsLeaseIsTouched() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            Path first = dir.resolve("first");
            Path second = dir.resolve("second");
            CliRun claim = CliRun.at(c.url(), first, "claim", "--direction", "d", "--json");
            assertThat(claim.code()).as(claim.err()).isZero();
            String unitId = claim.json().getAsJsonObject("unit").get("id").getAsString();
            String firstKey = CliRun.of("id", "--data-dir", first.toString(), "--json").json().get("id").getAsString();
            String secondKey = CliRun.of("id", "--data-dir", second.toString(), "--json").json().get("id").getAsString();

            for (String command : List.of("submit", "renew", "unclaim")) {
                List<String> args = new ArrayList<>(List.of(command, "--unit", unitId, "--json"));
                if (command.equals("submit")) {
                    args.addAll(List.of("--workspace", Files.createDirectories(dir.resolve("ws-copy")).toString()));
                }
                JsonObject held = CliRun.at(c.url(), second, args.toArray(String[]::new))
                        .failure(ExitCodes.REFUSED, "held_by_another_key", "held by another key (" + firstKey);
                assertThat(held.get("message").getAsString()).as(command).contains("not by yours (" + secondKey + ")");
                String hint = held.get("hint").getAsString();
                assertThat(hint).as(command).contains("another agent's claim of direction d");
                // every command it prints runs as printed, with this agent's data dir and coordinator
                List<String> log = CliRun.shellWords(CliRun.firstCommand(hint));
                assertThat(log).as(hint).containsSequence("--data-dir", second.toString());
                CliRun shown = CliRun.of(log.toArray(String[]::new));  // firstCommand drops the `rhizome`
                assertThat(shown.code()).as(shown.out() + shown.err()).isZero();
            }

            // the first agent's lease is as it was: it renews it, and the second claims its own unit
            // with the claim command the hint printed
            CliRun renewed = CliRun.at(c.url(), first, "renew", "--unit", unitId, "--json");
            assertThat(renewed.code()).as(renewed.out() + renewed.err()).isZero();
            JsonObject held = CliRun.at(c.url(), second, "submit", "--unit", unitId, "--workspace",
                    dir.resolve("ws-copy").toString(), "--json").failure(ExitCodes.REFUSED, "held_by_another_key");
            String hint = held.get("hint").getAsString();
            String claimCommand = hint.substring(hint.indexOf("`rhizome claim ") + 1);
            claimCommand = claimCommand.substring(0, claimCommand.indexOf('`'))
                    .replaceAll(" --workspace ('[^']*'|\\S+)", "");  // no peer serves the seed here to check it out
            List<String> words = CliRun.shellWords(claimCommand);
            List<String> withJson = new ArrayList<>(words.subList(1, words.size()));
            withJson.add("--json");
            CliRun own = CliRun.of(withJson.toArray(String[]::new));
            assertThat(own.code()).as(own.out() + own.err()).isZero();
            assertThat(own.json().getAsJsonObject("unit").get("id").getAsString()).isNotEqualTo(unitId);
        }
    }

    @Test
    void aUnitNobodyHoldsIsStillUnknownHere() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CliRun.openDirection(c.url(), dir.resolve("op"), dir.resolve("node"), "d");
            CliRun.at(c.url(), dir.resolve("agent"), "submit", "--unit", "u-no-such-unit", "--workspace",
                    Files.createDirectories(dir.resolve("ws")).toString(), "--json").failure(ExitCodes.USAGE, "unknown_unit");
        }
    }
}
