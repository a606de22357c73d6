package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** A query read one way only: "&" alone separates, no parameter is a flag, none is given twice. */
class QueryParametersTest {
    private static final Set<String> TAKEN = Set.of("direction", "limit");

    @Test
    void aNameWithoutAValueIsRefusedNamingItNotReadAsEmpty() {
        // "?direction" was read as direction "" (the same as absent): the client's mistake unseen
        for (String query : new String[] {"direction", "limit=5&direction", "direction&limit=5"}) {
            QueryParameters q = QueryParameters.parse(query);
            assertThatThrownBy(() -> q.check(TAKEN, "x")).as(query).isInstanceOf(HttpError.class)
                    .hasMessageContaining("query parameter direction has no value").hasMessageContaining("direction=VALUE");
            assertThatThrownBy(() -> q.get("direction")).as(query).hasMessageContaining("has no value");
        }
        QueryParameters empty = QueryParameters.parse("direction=&limit=5");
        empty.check(TAKEN, "x");
        assertThat(empty.get("direction")).as("an empty value is the parameter absent").isEmpty();
        assertThat(empty.get("limit")).isEqualTo("5");
    }

    @Test
    void aNameGivenTwiceIsRefusedWhateverItsValues() {
        for (String query : new String[] {"direction=a&direction=b", "direction=a&direction=a", "direction=a&direction",
            "limit=1&direction=&direction=x"}) {
            QueryParameters q = QueryParameters.parse(query);
            assertThatThrownBy(() -> q.check(TAKEN, "x")).as(query).hasMessageContaining("query parameter direction is given 2 times");
        }
    }

    @Test
    void onlyAmpersandSeparatesAndEscapesDecodeInNamesAndValues() {
        QueryParameters q = QueryParameters.parse("direction=a%3Bb&&limit=%35&&");
        q.check(TAKEN, "x");
        assertThat(q.get("direction")).as("an escaped ';' is part of the value").isEqualTo("a;b");
        // Netty split on a raw ';' as on '&': "direction=a;limit=5" was a limit here and one direction
        // "a;limit=5" to a cache in front that splits on '&' only. Neither reading is taken.
        assertThatThrownBy(() -> QueryParameters.parse("direction=a;limit=5").check(TAKEN, "x"))
                .hasMessageContaining("parameters are separated by \"&\" only").hasMessageContaining("%3B");
        assertThat(q.get("limit")).isEqualTo("5");
        assertThat(QueryParameters.parse("direc%74ion=caf%C3%A9+x").get("direction")).isEqualTo("café x");
        assertThat(QueryParameters.parse("a=1=2").get("a")).as("the first '=' ends the name").isEqualTo("1=2");
        assertThatThrownBy(() -> QueryParameters.parse("limt=5").check(TAKEN, "/v1/x takes direction, limit"))
                .hasMessageContaining("query parameter limt is not one this route knows: /v1/x takes direction, limit");
    }

    @Test
    void aParameterWithoutANameIsRefusedSayingSo() {
        // "?=x" was "query parameter  is not one this route knows", the name shown as nothing
        assertThatThrownBy(() -> QueryParameters.parse("=x").check(TAKEN, "/v1/x takes direction, limit"))
                .hasMessageContaining("a query parameter has no name (\"=x\")");
    }

    @Test
    void everyParameterIsKeptHoweverMany() {
        // Netty's decoder stopped at its 1,024th parameter: one past it was silently not there
        String query = "x=1&".repeat(1100) + "limit=5&limit=6";
        assertThatThrownBy(() -> QueryParameters.parse(query).get("limit")).hasMessageContaining("given 2 times");
        assertThat(QueryParameters.parse("a=1&".repeat(1100) + "direction=d").get("direction")).isEqualTo("d");
    }
}
