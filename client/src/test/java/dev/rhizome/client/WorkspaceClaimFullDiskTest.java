package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.protocol.files.SmallDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The claim `rhizome claim --workspace` records in the workspace, which a later `submit` or
 * `renew` run there (perhaps after a crash) reads: whole or the old one, never cut short.
 */
class WorkspaceClaimFullDiskTest {
    @Test
    void aClaimTheFullDiskRefusesLeavesTheOldOneWhole() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(4)) {
            Path workspace = disk.root().resolve("ws");
            Files.createDirectories(workspace.resolve(".git"));
            WorkspaceClaim first = new WorkspaceClaim("u-1", disk.root().resolve("agent"), "http://127.0.0.1:1");
            first.write(workspace);
            disk.fill();
            WorkspaceClaim second = new WorkspaceClaim("u-2", disk.root().resolve("a".repeat(200)).resolve("b".repeat(200))
                    .resolve("c".repeat(200)).resolve("d".repeat(200)), "http://127.0.0.1:2/" + "p".repeat(4096));
            assertThatThrownBy(() -> second.write(workspace)).isInstanceOf(IOException.class);
            assertThat(WorkspaceClaim.read(workspace)).contains(first);
            try (var files = Files.list(workspace.resolve(".git"))) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("rhizome-claim");
            }
        }
    }
}
