package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceClaimTest {
    @TempDir
    Path dir;

    private Path workspace() throws Exception {
        Path ws = dir.resolve("ws");
        Files.createDirectories(ws.resolve(".git"));
        return ws;
    }

    @Test
    void aRecordedClaimNamesTheUnitTheDataDirectoryAndTheCoordinator() throws Exception {
        Path ws = workspace();
        new WorkspaceClaim("unit-1", dir.resolve("agent"), "http://127.0.0.1:7811").write(ws);

        DataDirOption dataDir = new DataDirOption();
        CoordinatorOption coordinator = new CoordinatorOption();
        assertThat(WorkspaceClaim.applyTo(ws, null, dataDir, coordinator)).isEqualTo("unit-1");
        if (System.getenv("RHIZOME_DATA_DIR") == null || System.getenv("RHIZOME_DATA_DIR").isBlank()) {
            assertThat(dataDir.path()).isEqualTo(dir.resolve("agent").toAbsolutePath());
        }
        if (System.getenv("RHIZOME_COORDINATOR") == null || System.getenv("RHIZOME_COORDINATOR").isBlank()) {
            assertThat(coordinator.url()).isEqualTo("http://127.0.0.1:7811");
        }
    }

    @Test
    void optionsGivenOnTheCommandLineWinOverTheWorkspacesRecord() throws Exception {
        Path ws = workspace();
        new WorkspaceClaim("unit-1", dir.resolve("agent"), "http://127.0.0.1:7811").write(ws);

        DataDirOption dataDir = new DataDirOption();
        dataDir.dataDir = dir.resolve("other");
        CoordinatorOption coordinator = new CoordinatorOption();
        coordinator.url = "http://127.0.0.1:9999";
        assertThat(WorkspaceClaim.applyTo(ws, "unit-2", dataDir, coordinator)).isEqualTo("unit-2");
        assertThat(dataDir.path()).isEqualTo(dir.resolve("other").toAbsolutePath());
        assertThat(coordinator.url()).isEqualTo("http://127.0.0.1:9999");
    }

    @Test
    void withoutARecordAMissingUnitIsAUsageErrorThatSaysHowToNameOne() throws Exception {
        Path ws = workspace();
        assertThatThrownBy(() -> WorkspaceClaim.applyTo(ws, null, new DataDirOption(), new CoordinatorOption()))
                .isInstanceOfSatisfying(CommandException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE))
                .hasMessageContaining("--unit is missing")
                .hasMessageContaining("not a workspace made by `rhizome claim --workspace`");
    }

    @Test
    void aTruncatedRecordIsIgnoredRatherThanHalfUsed() throws Exception {
        Path ws = workspace();
        Files.writeString(ws.resolve(".git").resolve("rhizome-claim"), "unit=unit-1\n");
        assertThat(WorkspaceClaim.read(ws)).isEmpty();
        assertThat(WorkspaceClaim.read(dir.resolve("nowhere"))).isEmpty();
    }
}
