package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResearchTreeTest {
    @Test
    void aNodesProposerIsGivenWholeAsProposerIdBesideItsShortForm() {
        // `tree --json` gave only the first 12 hex digits: `ban --key` refused them, and nothing matched them
        Identity proposer = Identity.generate();
        String base = "a".repeat(40);
        String commit = "b".repeat(40);
        Experiment e = Experiment.newBuilder().setCommit(commit).setParent(base).setDirection("d")
                .setProposer(proposer.publicId().toByteString()).setDescription("x").build();
        JsonObject json = new ResearchTree("d", base, base, List.of(e), Leaderboard.getDefaultInstance(), List.of(), 0.001)
                .json();
        JsonObject node = json.getAsJsonArray("nodes").asList().stream().map(n -> n.getAsJsonObject())
                .filter(n -> n.get("commit").getAsString().equals(commit)).findFirst().orElseThrow();
        assertThat(node.get("proposer_id").getAsString()).isEqualTo(proposer.publicId().toString());
        assertThat(node.get("proposer").getAsString()).isEqualTo(proposer.publicId().shortForm());
    }
}
