package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/**
 * Every combination of Transfer-Encoding lines a head may carry, judged by this server's rule (RFC
 * 9112, 6.1 and 6.3) rather than left to the codec's version: the lines are one list; a list not
 * ending in chunked, chunked twice, or a field naming no coding is 400 (the body's length is in
 * doubt); a coding this server lacks before a final chunked is 501; chunked alone, in any case,
 * with empty elements around it, is read.
 */
class TransferCodingRulesTest {
    private static HttpRequest post(String... transferEncodingLines) {
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/claim");
        head.headers().add("Host", "x").add("Content-Type", "application/json");
        for (String line : transferEncodingLines) {
            head.headers().add("Transfer-Encoding", line);
        }
        return head;
    }

    private static int status(HttpError e) {
        return e == null ? 0 : e.status().code();
    }

    @Test
    void chunkedAloneInAnyCaseIsRead() {
        for (String[] lines : new String[][] {{"chunked"}, {"ChUnKeD"}, {"chunked,"}, {", chunked"}, {"", "chunked"},
            {"chunked", ""}}) {
            assertThat(MessageRules.checkHead(post(lines))).as(String.join(" | ", lines)).isNull();
        }
        assertThat(MessageRules.checkHead(post())).as("no Transfer-Encoding at all").isNull();
    }

    @Test
    void aListWhoseLengthIsInDoubtIs400NamingWhy() {
        String[][] cases = {
            {"chunked|chunked", "more than once"}, {"chunked, chunked", "more than once"},
            {"chunked|CHUNKED", "more than once"}, {"gzip, chunked|chunked", "more than once"},
            {"chunked|gzip", "final transfer coding must be chunked"}, {"chunked, identity", "must be chunked"},
            {"identity", "must be chunked"}, {"gzip", "must be chunked"}, {"chunked;q=1", "must be chunked"},
            {"\"chunked\"", "must be chunked"}, {"xchunked", "must be chunked"},
            {"", "names no coding"}, {",", "names no coding"}, {", ,", "names no coding"}, {"|", "names no coding"}};
        for (String[] c : cases) {
            HttpError e = MessageRules.checkHead(post(c[0].split("\\|", -1)));
            assertThat(status(e)).as(c[0]).isEqualTo(400);
            assertThat(e.getMessage()).as(c[0]).contains(c[1]);
        }
    }

    @Test
    void aCodingThisServerLacksBeforeAFinalChunkedIs501() {
        for (String[] lines : new String[][] {{"gzip, chunked"}, {"gzip", "chunked"}, {"identity, chunked"}}) {
            HttpError e = MessageRules.checkHead(post(lines));
            assertThat(status(e)).as(String.join(" | ", lines)).isEqualTo(501);
            assertThat(e.getMessage()).contains("is not supported; send the body as is, or chunked alone");
        }
    }

    @Test
    void aMethodThatTakesNoBodyIsRefusedAnyTransferEncodingEvenAnEmptyOne() {
        HttpRequest get = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/stats");
        get.headers().add("Host", "x").add("Transfer-Encoding", "chunked");
        assertThat(MessageRules.checkHead(get).getMessage()).contains("GET takes no body");
        get.headers().set("Transfer-Encoding", "");
        assertThat(status(MessageRules.checkHead(get))).isEqualTo(400);
    }
}
