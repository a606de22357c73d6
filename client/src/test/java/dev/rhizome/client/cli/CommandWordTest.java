package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which argument lists start a service: the rule the launcher and Main share (LauncherTest runs the script against it). */
class CommandWordTest {
    private static boolean service(String... args) {
        return CommandWord.isService(List.of(args));
    }

    @Test
    void theServicesAreLongRunningWhereverTheirOptionsStand() {
        assertThat(service("node")).isTrue();
        assertThat(service("node", "--data-dir", "/srv/rhizome", "--cpu-jobs", "2")).isTrue();
        assertThat(service("coordinator", "--port", "8080")).isTrue();
        assertThat(service("demo")).isTrue();
        assertThat(service("bench", "claims")).isTrue();
    }

    @Test
    void aServicesQuickSubcommandIsNotOneEvenAfterOptions() {
        // Main looked at args[0] alone: `node status` was a service to it, a quick command to the launcher
        assertThat(service("node", "status")).isFalse();
        assertThat(service("node", "--data-dir", "/srv/rhizome", "status", "--json")).isFalse();
        assertThat(service("node", "doctor")).isFalse();
        assertThat(service("coordinator", "backup", "--to", "/tmp/b")).isFalse();
    }

    @Test
    void helpAndVersionAndAgentCommandsAreQuick() {
        assertThat(service()).isFalse();
        assertThat(service("--help", "node")).isFalse();
        assertThat(service("node", "--help")).isFalse();
        assertThat(service("coordinator", "-V")).isFalse();
        assertThat(service("claim", "--json")).isFalse();
        // an agent command's argument that happens to be a service's name is not the command
        assertThat(service("log", "node")).isFalse();
        assertThat(service("--json", "submit")).isFalse();
    }
}
