package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepositoryTest.AUTHOR;
import static dev.rhizome.node.git.NodeRepositoryTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspacesTest {
    @TempDir
    Path tmp;

    @Test
    void agentEditsAndCommitsInAWorkspaceAndTheNodeImportsTheCommit() throws Exception {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("node.git"))) {
            String seed = repo.commitFiles(null, Map.of("train.py", text("lr = 0.1\n")), "seed", AUTHOR);
            Path workspace = tmp.resolve("ws");
            Workspaces.create(repo, seed, workspace, "explore/lr");

            assertThat(workspace.resolve("train.py")).hasContent("lr = 0.1\n");
            RevCommit agentCommit;
            try (Git git = Git.open(workspace.toFile())) {
                assertThat(git.getRepository().getBranch()).isEqualTo("explore/lr");
                assertThat(git.status().call().isClean()).isTrue();
                Files.writeString(workspace.resolve("train.py"), "lr = 0.3\n");
                Path script = Files.writeString(workspace.resolve("run.sh"), "#!/bin/sh\njava Train.java\n");
                assertThat(script.toFile().setExecutable(true)).isTrue();
                git.add().addFilepattern(".").call();
                agentCommit = git.commit().setMessage("raise lr to 0.3").setAuthor(AUTHOR).setCommitter(AUTHOR).call();
            }

            assertThat(repo.importFrom(workspace, agentCommit.name())).isEqualTo(agentCommit.name());
            assertThat(repo.commits()).containsExactlyInAnyOrder(seed, agentCommit.name());
            assertThat(repo.parentOf(agentCommit.name())).contains(seed);
            assertThat(repo.changedPaths(seed, agentCommit.name())).containsExactly("run.sh", "train.py");
            // Thin against what the node held: only the agent's commit travelled.
            assertThat(repo.bundle(agentCommit.name(), List.of(seed)).prerequisites()).containsExactly(seed);

            Path checkout = tmp.resolve("checkout");
            repo.checkout(agentCommit.name(), checkout);
            assertThat(checkout.resolve("train.py")).hasContent("lr = 0.3\n");
            assertThat(Files.isExecutable(checkout.resolve("run.sh"))).isTrue();
            assertThat(Files.isExecutable(checkout.resolve("train.py"))).isFalse();
        }
    }

    @Test
    void refusesUnknownCommitsAndBusyDirectories() throws Exception {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("node.git"))) {
            String seed = repo.commitFiles(null, Map.of("a", text("1")), "seed", AUTHOR);
            assertThatThrownBy(() -> Workspaces.create(repo, "2".repeat(40), tmp.resolve("ws"), "main"))
                    .hasMessageContaining("not held");
            Files.createDirectories(tmp.resolve("busy"));
            Files.writeString(tmp.resolve("busy/file"), "x");
            assertThatThrownBy(() -> Workspaces.create(repo, seed, tmp.resolve("busy"), "main"))
                    .hasMessageContaining("not empty");
            Workspaces.create(repo, seed, tmp.resolve("ws"), "main");
            assertThatThrownBy(() -> repo.importFrom(tmp.resolve("ws"), "3".repeat(40)))
                    .hasMessageContaining("has no commit");
        }
    }

    @Test
    void whatAKilledCreateLeftIsReplacedAndTheWorkspaceAppearsOnlyWhole() throws Exception {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("node.git"))) {
            String seed = repo.commitFiles(null, Map.of("train.py", text("lr = 0.1\n")), "seed", AUTHOR);
            Path workspace = tmp.resolve("ws");
            // what a claim killed in the middle of its checkout leaves: a half-made repository beside it
            Path partial = Workspaces.partialOf(workspace);
            Files.createDirectories(partial.resolve(".git"));
            Files.writeString(partial.resolve(".git/index.lock"), "");
            Files.writeString(partial.resolve("half-written.py"), "lr =");
            assertThat(workspace).doesNotExist();

            Workspaces.create(repo, seed, workspace, "explore/lr");

            assertThat(partial).doesNotExist();
            assertThat(workspace.resolve("train.py")).hasContent("lr = 0.1\n");
            assertThat(workspace.resolve("half-written.py")).doesNotExist();
            try (Git git = Git.open(workspace.toFile())) {
                assertThat(git.getRepository().getBranch()).isEqualTo("explore/lr");
                assertThat(git.status().call().isClean()).isTrue();
            }
        }
    }

    @Test
    void anEmptyDirectoryMadeBeforehandIsFilledInPlace() throws Exception {
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("node.git"))) {
            String seed = repo.commitFiles(null, Map.of("a", text("1")), "seed", AUTHOR);
            Path made = Files.createDirectories(tmp.resolve("made"));
            Workspaces.create(repo, seed, made, "main");
            assertThat(made.resolve("a")).hasContent("1");
            assertThat(Workspaces.partialOf(made)).doesNotExist();
        }
    }
}
