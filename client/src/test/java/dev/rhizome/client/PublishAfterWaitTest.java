package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome publish`, through the real command and coordinator: a paper says what happened, known
 * only once the experiment is decided, but a paper could be published only with `submit --paper`,
 * before that; afterwards `submit --paper` answered already_submitted and no command published one.
 */
class PublishAfterWaitTest {
    private static final String PAPER = "# Higher learning rate helps\n\nTried lr 3e-3: val_bpb fell by 0.02.\n";

    @TempDir
    Path dir;

    @Test
    void aPaperIsPublishedAfterTheSubmitAboutTheWorkspacesCommitOnceAndReadBack() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = coordinator.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "tiny", "lr", "other");
            ClaimedWorkspace claimed = ClaimedWorkspace.claim(url, agent, dir.resolve("ws"), "lr");
            Path ws = claimed.ws();
            String unit = claimed.unit();
            Path paper = dir.resolve("finding.md");
            Files.writeString(paper, PAPER);

            // before the submit there is no experiment for the paper to be about
            JsonObject early = CliRun.child(ws, "publish", "--paper", paper.toString(), "--json")
                    .failure(ExitCodes.USAGE, "usage");
            assertThat(early.get("option").getAsString()).isEqualTo("--commit");
            assertThat(early.get("message").getAsString()).contains("not submitted yet").contains(unit);

            String commit = claimed.submitted(seed, "lr", "raise the learning rate");

            // the paper written after `wait`: submit refuses it, and says which command takes it
            JsonObject again = CliRun.child(ws, "submit", "--paper", paper.toString(), "--json")
                    .failure(ExitCodes.USAGE, "already_submitted");
            assertThat(again.get("hint").getAsString()).contains("rhizome publish --paper").contains("--commit " + commit);

            CliRun published = CliRun.child(ws, "publish", "--paper", paper.toString(), "--json");
            assertThat(published.code()).as(published.out() + published.err()).isZero();
            assertThat(published.err()).contains("--commit " + commit + " (submitted with this workspace's claim");
            JsonObject p = published.json();
            assertThat(p.keySet()).containsExactlyInAnyOrder("paper_id", "direction", "commits", "title", "undecided");
            assertThat(p.get("direction").getAsString()).isEqualTo("lr");
            assertThat(p.getAsJsonArray("commits")).hasSize(1);
            assertThat(p.getAsJsonArray("commits").get(0).getAsString()).isEqualTo(commit);
            assertThat(p.get("title").getAsString()).isEqualTo("Higher learning rate helps");
            String id = p.get("paper_id").getAsString();

            // run again (an agent that lost the answer): the same paper, not a second copy
            CliRun rerun = CliRun.at(url, agent, "publish", "--paper", paper.toString(), "--commit",
                    commit.substring(0, 8), "--json");
            assertThat(rerun.code()).as(rerun.out() + rerun.err()).isZero();
            assertThat(rerun.json().get("paper_id").getAsString()).isEqualTo(id);

            JsonObject listed = CliRun.at(url, agent, "papers", "--commit", commit.substring(0, 8), "--json")
                    .succeeded().json();
            assertThat(listed.getAsJsonArray("papers")).hasSize(1);
            JsonObject shown = listed.getAsJsonArray("papers").get(0).getAsJsonObject();
            assertThat(shown.get("id").getAsString()).isEqualTo(id);
            assertThat(shown.getAsJsonObject("body").get("text").getAsString()).contains("val_bpb fell by 0.02");

            // a commit that is no registered experiment is refused, naming it; nothing is published
            String unknown = OpenDirections.commit();
            JsonObject refused = CliRun.at(url, agent, "publish", "--paper", paper.toString(), "--commit", unknown,
                    "--json").failure(ExitCodes.USAGE, "unknown_commit");
            assertThat(refused.get("option").getAsString()).isEqualTo("--commit");
            assertThat(refused.get("message").getAsString()).contains(unknown);
            // the base commit is registered, but is no experiment
            CliRun.at(url, agent, "publish", "--paper", paper.toString(), "--commit", seed.getCommit(), "--json")
                    .failure(ExitCodes.USAGE, "unknown_commit");
            // an experiment of another direction than --direction is refused, naming the one it is of
            JsonObject elsewhere = CliRun.at(url, agent, "publish", "--paper", paper.toString(), "--commit", commit,
                    "--direction", "other", "--json").failure(ExitCodes.USAGE, "wrong_direction");
            assertThat(elsewhere.get("message").getAsString()).contains("direction lr");
            // an empty paper is refused before anything is asked
            Path empty = Files.writeString(dir.resolve("empty.md"), " \n");
            assertThat(CliRun.at(url, agent, "publish", "--paper", empty.toString(), "--commit", commit, "--json")
                    .failure(ExitCodes.USAGE, "bad_paper").get("option").getAsString()).isEqualTo("--paper");
            assertThat(CliRun.at(url, agent, "papers", "--direction", "lr", "--json").succeeded().json()
                    .getAsJsonArray("papers")).hasSize(1);

            // from standard input, with a title of its own: a second paper about the same commit
            InputStream saved = System.in;
            CliRun piped;
            try {
                System.setIn(new ByteArrayInputStream("What to try next: lr 1e-2.\n".getBytes(StandardCharsets.UTF_8)));
                piped = CliRun.at(url, agent, "publish", "--paper", "-", "--commit", commit, "--title", "Next step",
                        "--cites", id, "--json");
            } finally {
                System.setIn(saved);
            }
            assertThat(piped.code()).as(piped.out() + piped.err()).isZero();
            assertThat(piped.json().get("title").getAsString()).isEqualTo("Next step");
            assertThat(piped.json().get("paper_id").getAsString()).isNotEqualTo(id);
            assertThat(CliRun.at(url, agent, "papers", "--commit", commit, "--json").succeeded().json()
                    .getAsJsonArray("papers")).hasSize(2);
        }
    }
}
