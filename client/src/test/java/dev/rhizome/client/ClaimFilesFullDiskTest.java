package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.files.SmallDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A claim kept by `rhizome claim` is whole or absent, never cut by a full disk. */
class ClaimFilesFullDiskTest {
    @Test
    void aClaimTheFullDiskRefusesLeavesTheOldOneWhole() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(4)) {
            Path data = disk.root().resolve("agent");
            WorkUnit unit = WorkUnit.newBuilder().setId("u-1").setCommit("c".repeat(40)).setLeaseDeadlineMs(1).build();
            ClaimFiles.save(data, unit);
            disk.fill();
            WorkUnit renewed = unit.toBuilder().setLeaseDeadlineMs(2).setDirection("x".repeat(4096)).build();
            assertThatThrownBy(() -> ClaimFiles.save(data, renewed)).isInstanceOf(IOException.class);
            assertThat(ClaimFiles.load(data, "u-1")).isEqualTo(unit);
            try (var files = Files.list(data.resolve("claims"))) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("u-1.pb");
            }
        }
    }
}
