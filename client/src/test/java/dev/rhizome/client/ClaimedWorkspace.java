package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.proto.v1.Seed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A workspace as `claim --workspace` leaves it, without the checkout (filling one needs a node
 * serving the commit): a real claim of {@code direction} by {@code agent}'s data directory and its
 * record in {@code ws}.
 */
record ClaimedWorkspace(String url, Path agent, Path ws, String unit) {
    static ClaimedWorkspace claim(String url, Path agent, Path ws, String direction) throws Exception {
        CliRun claim = CliRun.at(url, agent, "claim", "--direction", direction, "--json");
        assertThat(claim.code()).as(claim.out() + claim.err()).isZero();
        String unit = claim.json().getAsJsonObject("unit").get("id").getAsString();
        Files.createDirectories(ws.resolve(".git"));
        new WorkspaceClaim(unit, agent, url).write(ws);
        return new ClaimedWorkspace(url, agent, ws, unit);
    }

    /**
     * What submit records once its commit is registered (a real submit needs a node serving it):
     * an experiment of {@code direction} registered by another key, its commit noted in the claim.
     */
    String submitted(Seed seed, String direction, String description) throws Exception {
        String commit = OpenDirections.register(new CoordinatorClient(url, Identity.generate()), seed, direction,
                description);
        ClaimFiles.remove(agent, ClaimFiles.load(agent, unit), List.of(commit));
        return commit;
    }
}
