package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The store address is checked whole before anything opens: every refusal names its part and hides the password. */
class StoreAddressTest {

    @Test
    void sqliteIsTheEmptyAddressOrItsName() throws Exception {
        assertThat(StoreAddress.parse("")).isInstanceOf(StoreAddress.Embedded.class);
        assertThat(StoreAddress.parse("sqlite")).isInstanceOf(StoreAddress.Embedded.class);
    }

    @Test
    void aFullAddressGivesEveryPart() throws Exception {
        PostgresAddress a = (PostgresAddress) StoreAddress.parse(
                "postgresql://rhiz%40ome:p%3Ass@db.example:6543/research?schema=s1&pool=3&timeout=7&read_timeout=70&migrate_timeout=700");
        assertThat(a).isEqualTo(new PostgresAddress("db.example", 6543, "research", "rhiz@ome", "p:ss", "s1", 3, 7, 70, 700));
        assertThat(a.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/research");
        assertThat(a.toString()).doesNotContain("p:ss");
    }

    @Test
    void leftOutPartsTakeTheirDefaults() throws Exception {
        PostgresAddress a = PostgresAddress.parse("postgres://[::1]/db");
        assertThat(a.port()).isEqualTo(-1);
        assertThat(a.user()).isNull();
        assertThat(a.schema()).isEqualTo("public");
        assertThat(a.pool()).isEqualTo(8);
        assertThat(a.timeoutSeconds()).isEqualTo(PostgresStore.DEFAULT_TIMEOUT_SECONDS);
        assertThat(a.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]/db");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "mysql://u:secret@h/db | unknown store kind 'mysql'",
        "postgresql:/h/db | not a store address",
        "sqlite3 | not a store address",
        "postgresql://u:secret@h/db?typo=1 | unknown parameter 'typo': the parameters are schema, pool, timeout, read_timeout, migrate_timeout",
        "postgresql://u:secret@h/db?timeout=5&timeout=6 | parameter 'timeout' is given twice",
        "postgresql://u:secret@h/db?pool | parameter 'pool' has no value",
        "postgresql://u:secret@h/db?pool=1& | an empty parameter",
        "postgresql://u:secret@h/db?pool=0 | pool must be a number of connections, 1..200, got '0'",
        "postgresql://u:secret@h/db?timeout=soon | timeout must be a number of seconds, 1..86400, got 'soon'",
        "postgresql://u:secret@h/db?schema=Bad-Name | schema must be a lower-case SQL identifier",
        "postgresql://u:secret@h:99999/db | port 99999 is out of range",
        "postgresql://u:secret@h:0/db | port 0 is out of range",
        "postgresql://u:secret@h:abc/db | port 'abc' is not a number",
        "postgresql://u:secret@h:/db | a ':' with no port after it",
        "postgresql://u:secret@h | no database name",
        "postgresql://u:secret@h/ | no database name",
        "postgresql://u:secret@h/db/more | database name 'db/more' is not one name",
        "postgresql://:secret@h/db | the user before '@' is empty",
        "postgresql:///db | no host",
        "postgresql://u:sec ret@h/db | not a URL",
        "postgresql://u:secret@h/db#x | a '#' starts no part",
        "postgresql://u:100%secret@h/db | not a URL",
    })
    void aMalformedAddressIsRefusedNamingItsPart(String address, String problem) {
        assertThatThrownBy(() -> StoreAddress.parse(address))
                .isInstanceOfSatisfying(InvalidStoreAddress.class, e -> {
                    assertThat(e.problem()).contains(problem);
                    assertThat(e.getMessage()).doesNotContain("secret").doesNotContain("ret@");
                    assertThat(e.address()).doesNotContain("secret");
                });
    }

    @Test
    void openingRefusesTheSameAddressesBeforeAnyConnection() {
        assertThatThrownBy(() -> Stores.open("postgresql://u:secret@127.0.0.1:1/db?timout=5", java.nio.file.Path.of("unused"), null))
                .isInstanceOf(InvalidStoreAddress.class)
                .hasMessageContaining("unknown parameter 'timout'")
                .hasMessageNotContaining("secret");
    }
}
