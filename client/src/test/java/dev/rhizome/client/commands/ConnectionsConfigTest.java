package dev.rhizome.client.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.client.cli.CommandException;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.MinDataRate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config file's {@code connections} (round 30): the per-connection request budget, the
 * minimum data rate and the other connection limits an operator may need to change, which were
 * fixed in the code. What the file names replaces the default, what it leaves out keeps it (no
 * file: every default, unchanged), and a wrong value or a typo is refused naming its dotted key.
 */
class ConnectionsConfigTest {
    @TempDir
    Path dir;

    private CoordinatorLimits read(String json) throws Exception {
        Path file = dir.resolve("coordinator.json");
        Files.writeString(file, json);
        return CoordinatorFile.read(file).connectionLimits(file, CoordinatorLimits.defaults());
    }

    @Test
    void namedBoundsReplaceTheDefaultsAndTheRestKeepThem() throws Exception {
        CoordinatorLimits defaults = CoordinatorLimits.defaults();
        assertThat(read("{}")).isEqualTo(defaults);
        assertThat(defaults.maxRequestsPerConnection()).isEqualTo(10_000);
        assertThat(defaults.minDataRate()).isEqualTo(new MinDataRate(240, Duration.ofSeconds(10)));

        CoordinatorLimits set = read("{\"connections\": {\"requests_per_connection\": 500,\n"
                + " \"min_bytes_per_second\": 1000, \"max_total\": 20000, \"idle_seconds\": 30,\n"
                + " \"max_per_address\": 8, \"request_seconds\": 60, \"max_pipelined\": 4,\n"
                + " \"max_buffered_body_bytes\": 1048576, \"min_rate_window_seconds\": 5}}");
        assertThat(set.maxRequestsPerConnection()).isEqualTo(500);
        assertThat(set.minDataRate()).isEqualTo(new MinDataRate(1_000, Duration.ofSeconds(5)));
        assertThat(set.maxConnections()).isEqualTo(20_000);
        assertThat(set.maxConnectionsPerAddress()).isEqualTo(8);
        assertThat(set.requestTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(set.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(set.maxPipelined()).isEqualTo(4);
        assertThat(set.maxBufferedBodyBytes()).isEqualTo(1 << 20);
        assertThat(set.readBudgets()).as("what connections does not name is untouched").isEqualTo(defaults.readBudgets());

        assertThat(read("{\"connections\": {\"min_bytes_per_second\": 0}}").minDataRate().enforced())
                .as("0 turns the floor off").isFalse();
    }

    @Test
    void wrongValuesAndTyposAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> read("{\"connections\": {\"requests_per_connection\": 0}}"))
                .isInstanceOf(CommandException.class)
                .hasMessageContaining("invalid value '0' for connections.requests_per_connection in config file")
                .hasMessageContaining("from 1 to 2147483647");
        assertThatThrownBy(() -> read("{\"connections\": {\"min_bytes_per_second\": -1}}"))
                .hasMessageContaining("connections.min_bytes_per_second").hasMessageContaining("from 0");
        assertThatThrownBy(() -> read("{\"connections\": {\"idle_seconds\": 2.5}}"))
                .hasMessageContaining("connections.idle_seconds");
        assertThatThrownBy(() -> read("{\"connections\": {\"max_total\": \"many\"}}"))
                .hasMessageContaining("connections.max_total");
        assertThatThrownBy(() -> read("{\"connections\": {\"max_total\": 1e12}}"))
                .hasMessageContaining("connections.max_total");
        assertThatThrownBy(() -> read("{\"connections\": {\"request_per_connection\": 5}}"))
                .hasMessageContaining("connections: unknown bound 'request_per_connection'")
                .hasMessageContaining("requests_per_connection");
        assertThatThrownBy(() -> read("{\"connections\": 16}"))
                .hasMessageContaining("connections").hasMessageContaining("an object");
        assertThatThrownBy(() -> read("{\"conections\": {}}")).hasMessageContaining("unknown key 'conections'");
    }
}
