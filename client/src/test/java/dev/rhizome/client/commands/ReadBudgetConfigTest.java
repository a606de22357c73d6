package dev.rhizome.client.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.client.cli.CommandException;
import dev.rhizome.coordinator.ReadBudgets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config file's {@code read_budget}: the CPU an address and a network may spend on reads. What
 * an operator names replaces the default, what it leaves out keeps it, and a wrong value or a typo
 * is refused naming its dotted key and its line, never silently left at the default.
 */
class ReadBudgetConfigTest {
    @TempDir
    Path dir;

    private ReadBudgets read(String json) throws Exception {
        Path file = dir.resolve("coordinator.json");
        Files.writeString(file, json);
        return CoordinatorFile.read(file).readBudgets(file);
    }

    @Test
    void namedBoundsReplaceTheDefaultsAndTheRestKeepThem() throws Exception {
        assertThat(read("{}")).isEqualTo(ReadBudgets.defaults());
        ReadBudgets set = read("{\"read_budget\": {\"per_address\": {\"burst_ms\": 500},\n"
                + " \"per_network\": {\"burst_ms\": 20000, \"refill_ms_per_second\": 2000}}}");
        assertThat(set.perAddress()).isEqualTo(new ReadBudgets.Budget(500, ReadBudgets.defaults().perAddress()
                .refillMsPerSecond()));
        assertThat(set.perNetwork()).isEqualTo(new ReadBudgets.Budget(20_000, 2_000));
    }

    @Test
    void wrongValuesAndTyposAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> read("{\"read_budget\": {\"per_address\": {\"burst_ms\": 0}}}"))
                .isInstanceOf(CommandException.class)
                .hasMessageContaining("invalid value '0' for read_budget.per_address.burst_ms in config file")
                .hasMessageContaining("from 1 to 86400000");
        assertThatThrownBy(() -> read("{\"read_budget\": {\"per_network\": {\"refill_ms_per_second\": 2.5}}}"))
                .hasMessageContaining("read_budget.per_network.refill_ms_per_second");
        assertThatThrownBy(() -> read("{\"read_budget\": {\"per_network\": {\"refill_ms_per_second\": \"fast\"}}}"))
                .hasMessageContaining("read_budget.per_network.refill_ms_per_second");
        assertThatThrownBy(() -> read("{\"read_budget\": {\"per_adress\": {\"burst_ms\": 10}}}"))
                .hasMessageContaining("read_budget: unknown scope 'per_adress'").hasMessageContaining("per_address, per_network");
        assertThatThrownBy(() -> read("{\"read_budget\": {\"per_address\": {\"burst\": 10}}}"))
                .hasMessageContaining("unknown bound 'burst'").hasMessageContaining("burst_ms, refill_ms_per_second");
        assertThatThrownBy(() -> read("{\"read_budget\": {\"per_address\": 10}}"))
                .hasMessageContaining("read_budget.per_address");
        assertThatThrownBy(() -> read("{\"read_budget\": 4000}"))
                .hasMessageContaining("read_budget").hasMessageContaining("burst_ms");
        assertThatThrownBy(() -> read("{\"read_buget\": {}}")).hasMessageContaining("unknown key 'read_buget'");
    }
}
