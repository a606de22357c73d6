package dev.rhizome.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.job.BwrapLauncher;
import dev.rhizome.node.job.GpuPassthrough;
import dev.rhizome.node.job.HostView;
import dev.rhizome.node.job.NodeLimits;
import dev.rhizome.node.job.SandboxLimits;
import dev.rhizome.node.job.SandboxPlan;
import dev.rhizome.node.job.ShownDataDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node keeps its key, logs and repository in its data directory; every job sees the system's
 * directories read-only, so a data directory there (a `--data-dir` under /usr/local) was theirs to
 * read, the key included for a job of the node's own uid. The node refuses to start so, by any path.
 */
class DataDirShownToJobsTest {
    @TempDir
    Path dir;

    private static BwrapLauncher sandbox() {
        SandboxPlan plan = new SandboxPlan(Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/prlimit"), null,
                OptionalInt.empty(), new SandboxLimits(1L << 30, 64, 16L << 20), SandboxPlan.MemoryLimit.ADDRESS_SPACE,
                GpuPassthrough.NONE);
        return new BwrapLauncher(plan, Optional.empty(), HostView.real(), NodeLimits.UNLIMITED);
    }

    @Test
    void aNodeWhoseDataDirectoryEveryJobSeesRefusesToStartAndWritesNothing() throws Exception {
        Path underUsr = Path.of("/usr/local/rhizome-test-" + ProcessHandle.current().pid());
        assertThatThrownBy(() -> NodeDaemon.start(NodeConfig.defaults(underUsr, "http://127.0.0.1:1"), sandbox()))
                .isInstanceOf(NodeDaemon.DataDirRefused.class)
                .hasMessageContaining("the data directory " + underUsr + " is under /usr, which every job sees");
        assertThat(underUsr).doesNotExist();

        // By a link: what a job's lookups follow is where the node's files really are.
        Path link = Files.createSymbolicLink(dir.resolve("data"), Path.of("/usr/share"));
        assertThat(sandbox().shownToEveryJob(link.resolve("rhizome"))).map(ShownDataDir::shown).hasValue(Path.of("/usr"));
        assertThat(sandbox().shownToEveryJob(dir.resolve("elsewhere"))).isEmpty();
    }
}
