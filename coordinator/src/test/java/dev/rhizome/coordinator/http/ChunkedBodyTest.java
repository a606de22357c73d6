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
        assertThat(body.verdict()).isEqualTo(ChunkedBody.Verdict.LAST_CHUNK);
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
    void itReadsNoFurtherThanTheLastChunksSizeLine() {
        ChunkedBody body = new ChunkedBody(LIMIT);
        ByteBuf bytes = Unpooled.copiedBuffer("1\r\na\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1", StandardCharsets.ISO_8859_1);
        assertThat(body.read(bytes, 0, bytes.writerIndex())).isEqualTo("1\r\na\r\n0\r\n".length());
        assertThat(body.verdict()).isEqualTo(ChunkedBody.Verdict.LAST_CHUNK);
    }
}
