package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A chunked body's framing judged byte by byte: each size line by its first bytes, not at its end. */
class ChunkedBodyTest {
    private static final int LIMIT = 1 << 20;

    private static ChunkedBody fed(String... pieces) {
        ChunkedBody body = new ChunkedBody(LIMIT);
        for (String piece : pieces) {
            ByteBuf bytes = Unpooled.copiedBuffer(piece, StandardCharsets.ISO_8859_1);
            body.read(bytes, 0, bytes.writerIndex());
        }
        return body;
    }

    @Test
    void anHonestBodyWithExtensionsAndSplitLinesReadsToItsLastChunk() {
        ChunkedBody body = fed("5\r\nhel", "lo\r\n1", "0 ; name=\"v\"\r\n", "0123456789abcdef\r\n", "0\r\n");
        assertThat(body.verdict()).as("the trailer section is still to come").isEqualTo(ChunkedBody.Verdict.READING);
        body = fed("5\r\nhel", "lo\r\n1", "0 ; name=\"v\"\r\n", "0123456789abcdef\r\n", "0\r\n", "\r", "\n");
        assertThat(body.verdict()).isEqualTo(ChunkedBody.Verdict.ENDED);
        assertThat(fed("000A\r\n0123456789\r\n").verdict()).isEqualTo(ChunkedBody.Verdict.READING);
    }

    @Test
    void aSizePastTheLimitIsTooLargeAtTheDigitThatMakesItSo() {
        // "7fffffff" was taken whole and refused once 1 MiB of its data came, or at the request timeout
        ChunkedBody body = fed("7fffff");  // the sixth digit of 7fffffff
        assertThat(body.verdict()).isEqualTo(ChunkedBody.Verdict.TOO_LARGE);
        assertThat(body.problem()).contains("more than the 1048576 bytes");
        assertThat(fed("100000").verdict()).as("exactly the limit").isEqualTo(ChunkedBody.Verdict.READING);
        assertThat(fed("100001").verdict()).isEqualTo(ChunkedBody.Verdict.TOO_LARGE);
        assertThat(fed("ffffffffffffffffffffffff").verdict()).as("no overflow back under it")
                .isEqualTo(ChunkedBody.Verdict.TOO_LARGE);
        // the sizes add up: two chunks of 600 KiB declare more than the body may hold
        String data = "x".repeat(600 * 1024);
        assertThat(fed("96000\r\n", data, "\r\n96000").verdict()).isEqualTo(ChunkedBody.Verdict.TOO_LARGE);
    }

    @Test
    void aByteThatCannotBeInASizeLineIsMalformedWhereItStands() {
        String[][] cases = {{"zz", "\"z\" in a chunk size"}, {";x\r\n", "no size"}, {"\r\n", "no size"},
            {"5\n", "byte 0x0a in a chunk size"}, {"5 x", "\"x\" after a chunk size"}, {"-5", "\"-\" in a chunk size"},
            {"5\rx", "not LF"}, {"5;a\u0000", "byte 0x00 in a chunk extension"},
            {"2\r\nabc", "\"c\", not CRLF"}};
        for (String[] c : cases) {
            ChunkedBody body = fed(c[0]);
            assertThat(body.verdict()).as(c[0]).isEqualTo(ChunkedBody.Verdict.MALFORMED);
            assertThat(body.problem()).as(c[0]).contains(c[1]);
        }
    }

    @Test
    void itReadsNoFurtherThanTheTrailerSectionsEnd() {
        ChunkedBody body = new ChunkedBody(LIMIT);
        ByteBuf bytes = Unpooled.copiedBuffer("1\r\na\r\n0\r\nX-Checksum: 1\r\nX-Other: \u00e9\r\n\r\nGET / HTTP/1.1",
                StandardCharsets.ISO_8859_1);
        assertThat(body.read(bytes, 0, bytes.writerIndex()))
                .isEqualTo("1\r\na\r\n0\r\nX-Checksum: 1\r\nX-Other: \u00e9\r\n\r\n".length());
        assertThat(body.verdict()).as("other trailer fields are read past").isEqualTo(ChunkedBody.Verdict.ENDED);
    }

    @Test
    void aTrailerFieldThatFramesRoutesOrDescribesTheRequestIsMalformed() {
        // Netty dropped these without a word; a reader that merges trailers into the head reads another request
        for (String field : new String[] {"Content-Length: 5", "transfer-encoding: chunked", "TRAILER: x", "Host: evil",
            "Content-Type: application/x-protobuf", "Content-Encoding: gzip", "X-Forwarded-For: 10.0.0.1"}) {
            ChunkedBody body = fed("2\r\n{}\r\n0\r\n", field + "\r\n");
            assertThat(body.verdict()).as(field).isEqualTo(ChunkedBody.Verdict.MALFORMED);
            assertThat(body.problem()).as(field).contains("trailer field " + field.substring(0, field.indexOf(':')))
                    .contains("goes in its header section");
        }
        String[][] cases = {{"0\r\nX-A: 1\r\n b\r\n", "obsolete line folding"}, {"0\r\nX-A : 1\r\n", "whitespace"},
            {"0\r\nX-A: 1\n", "bare LF"}, {"0\r\nno-colon\r\n", "has no \":\""}, {"0\r\n\rx", "not LF"},
            {"0\r\nX-A: a\u0000", "control character (U+0000, NUL) in the value of trailer field X-A"},
            {"0\r\nX-\u001bA: 1", "(U+001B) in the name of trailer field X-: "},
            {"0\r\n\u007fX: 1", "(U+007F) in the name of a trailer field, at its first byte"}};
        for (String[] c : cases) {
            ChunkedBody body = fed(c[0]);
            assertThat(body.verdict()).as(c[0]).isEqualTo(ChunkedBody.Verdict.MALFORMED);
            assertThat(body.problem()).as(c[0]).contains(c[1]);
        }
    }

    @Test
    void aTrailerSectionIsBoundedAsAHeadIs() {
        StringBuilder hundred = new StringBuilder();
        for (int i = 0; i < MessageRules.MAX_FIELD_LINES; i++) {
            hundred.append("X-T").append(i).append(": 1\r\n");
        }
        assertThat(fed("0\r\n", hundred.toString(), "\r\n").verdict()).as("100 trailer lines").isEqualTo(ChunkedBody.Verdict.ENDED);
        ChunkedBody many = fed("0\r\n", hundred.toString(), "X-More: 1\r\n");
        assertThat(many.verdict()).isEqualTo(ChunkedBody.Verdict.TRAILER_TOO_LARGE);
        assertThat(many.problem()).contains("more than 100 field lines");

        String name = "X-Sum: ";
        String exact = name + "s".repeat(MessageRules.MAX_FIELD_LINE_BYTES - name.length());
        assertThat(fed("0\r\n", exact + "\r\n\r\n").verdict()).as("a line of 4,096 bytes").isEqualTo(ChunkedBody.Verdict.ENDED);
        ChunkedBody longLine = fed("0\r\n", exact + "s");
        assertThat(longLine.verdict()).as("judged before the line ends").isEqualTo(ChunkedBody.Verdict.TRAILER_TOO_LARGE);
        assertThat(longLine.problem()).contains("(X-Sum) is longer than 4096 bytes");

        String line = "X-Big: " + "b".repeat(3_000) + "\r\n";
        ChunkedBody large = fed("0\r\n", line, line, line);
        assertThat(large.verdict()).isEqualTo(ChunkedBody.Verdict.TRAILER_TOO_LARGE);
        assertThat(large.problem()).contains("larger than 8192 bytes in all");
    }
}
