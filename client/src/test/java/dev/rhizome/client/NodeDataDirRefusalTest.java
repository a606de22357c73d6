package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * `rhizome node` takes its data directory's lock before its sandbox's trial job, which makes the
 * directory; a data directory every job would see (the node's key in it) is refused only once the
 * sandbox is known, and that refusal must still leave nothing behind.
 */
class NodeDataDirRefusalTest {
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)  // a node that started instead would run until stopped
    void aDataDirectoryEveryJobWouldSeeIsRefusedAndNotLeftBehind() {
        Path underUsr = Path.of("/usr/local/rhizome-refused-" + ProcessHandle.current().pid());
        JsonObject refusal = CliRun.of("node", "--data-dir", underUsr.toString(), "--coordinator",
                "http://127.0.0.1:1", "--json").failure(ExitCodes.USAGE, "usage", "every job sees");
        assertThat(refusal.get("option").getAsString()).isEqualTo("--data-dir");
        assertThat(underUsr).doesNotExist();
    }
}
