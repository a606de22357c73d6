package dev.rhizome.node.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.Knob;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExplorerTest {
    @TempDir
    Path dir;

    private static final Manifest MANIFEST = Manifest.newBuilder()
            .addKnobs(Knob.newBuilder().setName("learning_rate").setFile("config.properties").setMin(1e-4).setMax(0.1)
                    .setLogScale(true))
            .addKnobs(Knob.newBuilder().setName("hidden").setFile("config.properties").setMin(4).setMax(64).setInteger(true))
            .addEditableFiles("config.properties")
            .build();

    @Test
    void proposalsAreCommitsOnTheFrontierThatChangeOnlyTheDirectionsKnobs() throws Exception {
        try (NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"))) {
            String frontier = repo.commitFiles(null, Map.of(
                    "config.properties", "# knobs\nlearning_rate=0.001\nhidden=16\n".getBytes(StandardCharsets.UTF_8),
                    "Train.java", "class Train {}".getBytes(StandardCharsets.UTF_8)),
                    "seed", new PersonIdent("t", "t@example"));
            WorkUnit unit = WorkUnit.newBuilder().setId("u").setKind(WorkUnit.Kind.EXPLORE).setDirection("lr")
                    .setCommit(frontier).setManifest(MANIFEST).addKnobs("learning_rate").build();

            List<Explorer.Proposal> proposals = new Explorer(repo, new PersonIdent("x", "x@example"), new Random(7), 3)
                    .propose(unit);

            assertThat(proposals).hasSize(3);
            assertThat(proposals).extracting(Explorer.Proposal::commit).doesNotHaveDuplicates();
            for (Explorer.Proposal p : proposals) {
                assertThat(p.parent()).isEqualTo(frontier);
                assertThat(repo.parentOf(p.commit())).contains(frontier);
                assertThat(repo.changedPaths(frontier, p.commit())).containsExactly("config.properties");
                String config = new String(repo.readFile(p.commit(), "config.properties").orElseThrow(), StandardCharsets.UTF_8);
                assertThat(config).startsWith("# knobs\n").contains("hidden=16\n").doesNotContain("learning_rate=0.001\n");
                assertThat(p.description()).startsWith("learning_rate 0.001 -> ");
            }
        }
    }
}
