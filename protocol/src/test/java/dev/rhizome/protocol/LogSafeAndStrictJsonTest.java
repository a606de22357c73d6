package dev.rhizome.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import org.junit.jupiter.api.Test;

class LogSafeAndStrictJsonTest {
    @Test
    void controlCharactersAreEscapedAndLongValuesCut() {
        assertThat(LogSafe.of("a\r\nb\u0000c\u001b[31md\u0085e\u2028f\\g\tz"))
                .isEqualTo("a\\r\\nb\\u0000c\\u001b[31md\\u0085e\\u2028f\\\\g\\tz");
        String cut = LogSafe.of("x".repeat(900_000));
        assertThat(cut).startsWith("x".repeat(LogSafe.MAX_CHARS)).endsWith("...(899800 more chars)");
        assertThat(LogSafe.of("caf\u00e9 \ud83d\ude00")).isEqualTo("caf\u00e9 \ud83d\ude00");
        assertThat(LogSafe.of("lone \ud83d")).isEqualTo("lone \\ud83d");
        // The bidi controls show what follows in another order: a name spelled backwards reads as another.
        assertThat(LogSafe.of("a\u202Eb\u2066c\u2069d\u200Fe\u061Cf")).isEqualTo("a\\u202eb\\u2066c\\u2069d\\u200fe\\u061cf");
    }

    @Test
    void jsonIsOneObjectThenTheEnd() throws Exception {
        String json = "{\"title\": \"t\"}";
        assertThat(Json.parse(json + " \n", Paper.newBuilder()).getTitle()).isEqualTo("t");
        for (String bad : new String[] {json + "x", json + json, json + " {}", "[" + json + "]", "", "null",
            "{\"title\": 't'}"}) {
            assertThatThrownBy(() -> Json.parse(bad, Paper.newBuilder())).as(bad)
                    .isInstanceOf(InvalidProtocolBufferException.class);
        }
    }

    @Test
    void anArrayForAFieldThatTakesOneValueIsRefused() throws Exception {
        // protobuf's parser took a one-element array for its element: "version": [1] was version 1
        for (String bad : new String[] {"{\"version\": [1]}", "{\"type\": [\"rhizome.v1.Paper\"]}",
            "{\"payload\": []}"}) {
            assertThatThrownBy(() -> Json.parse(bad, SignedEnvelope.newBuilder())).as(bad)
                    .isInstanceOf(InvalidProtocolBufferException.class).hasMessageContaining("takes one value");
        }
        assertThatThrownBy(() -> Json.parse("{\"commits\": [\"a\"], \"title\": [\"t\"]}", Paper.newBuilder()))
                .hasMessageContaining("field $.title takes one value");
        assertThatThrownBy(() -> Json.parse("{\"commits\": [\"a\", [\"b\"]]}", Paper.newBuilder()))
                .hasMessageContaining("field $.commits[1] takes one value");
        // a repeated field takes its array, and a string for a number is proto3 JSON's own
        assertThat(Json.parse("{\"commits\": [\"a\", \"b\"]}", Paper.newBuilder()).getCommitsCount()).isEqualTo(2);
        assertThat(Json.parse("{\"version\": \"1\"}", SignedEnvelope.newBuilder()).getVersion()).isEqualTo(1);
    }

    @Test
    void aNumberOrBooleanForAStringAndALoneSurrogateAreRefusedNamingTheField() throws Exception {
        // protobuf's parser took 5 for "5": another reader of the same body sees a number
        assertThatThrownBy(() -> Json.parse("{\"title\": 5}", Paper.newBuilder()))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessage("field $.title takes a string, and was given a number (5); quote it");
        assertThatThrownBy(() -> Json.parse("{\"commits\": [\"a\", true]}", Paper.newBuilder()))
                .hasMessage("field $.commits[1] takes a string, and was given a boolean (true); quote it");
        assertThatThrownBy(() -> Json.parse("{\"signer\": 12}", SignedEnvelope.newBuilder()))
                .hasMessageContaining("field $.signer takes a string, and was given a number");
        assertThatThrownBy(() -> Json.parse("{\"title\": \"a\\ud800b\"}", Paper.newBuilder()))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageStartingWith("field $.title holds a lone surrogate (\\ud800) at character 1");
        assertThatThrownBy(() -> Json.parse("{\"title\": \"\\udc00\"}", Paper.newBuilder()))
                .hasMessageContaining("lone surrogate (\\udc00) at character 0");
        // a pair is one character; numbers given as strings are proto3 JSON and still read
        assertThat(Json.parse("{\"title\": \"\\ud83d\\ude00\"}", Paper.newBuilder()).getTitle())
                .isEqualTo(new String(Character.toChars(0x1F600)));
        assertThat(Json.parse("{\"version\": \"2\", \"network\": \"n\"}", SignedEnvelope.newBuilder()).getVersion())
                .isEqualTo(2);
    }

    @Test
    void aKeyGivenTwiceInOneObjectIsRefused() throws Exception {
        // the last one was kept silently; another reader of the same body may keep the first
        assertThatThrownBy(() -> Json.parse("{\"title\": \"a\", \"title\": \"b\"}", Paper.newBuilder()))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessage("malformed JSON: key \"title\" is given twice at $.title; give each key once");
        assertThatThrownBy(() -> Json.parse("{\"commits\": [{\"a\": 1, \"a\": 2}]}", Paper.newBuilder()))
                .hasMessageContaining("key \"a\" is given twice");
        // the same key in two different objects is fine
        assertThat(Json.parse("{\"title\": \"t\", \"body_markdown\": \"b\"}", Paper.newBuilder()).getTitle())
                .isEqualTo("t");
    }

    @Test
    void malformedJsonIsNamedInGsonsWordsWithoutItsClassNamesOrAdviceAndCut() {
        assertThatThrownBy(() -> Json.parse("{bad", Paper.newBuilder()))
                .hasMessageStartingWith("malformed JSON: ")
                .hasMessageContaining("line 1 column")
                .hasMessageNotContaining("com.google").hasMessageNotContaining("LENIENT")
                .hasMessageNotContaining("\n");
        // where Gson's only words were its advice to parse leniently, what strict JSON lacks is named
        for (String bad : new String[] {"{\"version\": NaN}", "{\"version\": 1" + "0".repeat(5_000) + "}",
            "{'version': 2}", "/* c */ {}"}) {
            assertThatThrownBy(() -> Json.parse(bad, SignedEnvelope.newBuilder())).as(bad.length() > 20 ? bad.substring(0, 20) : bad)
                    .hasMessageStartingWith("malformed JSON: something strict JSON (RFC 8259) does not have")
                    .hasMessageContaining("at line 1 column");
        }
        // nesting is refused at Gson's limit; the path it names must not echo the bomb back
        String bomb = "{\"title\":".repeat(5000) + "1" + "}".repeat(5000);
        assertThatThrownBy(() -> Json.parse(bomb, Paper.newBuilder()))
                .hasMessageContaining("Nesting limit")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(Json.MAX_REASON_CHARS + 40));
    }
}
