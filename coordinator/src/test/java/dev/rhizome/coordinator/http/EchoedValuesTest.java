package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.support.RawHttp;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * What a refusal quotes of what its client sent is bounded, on every route and parameter (walked
 * from the route table, so a new one is probed too), in the path and in every header this server
 * reads: a value of thousands of characters comes back as at most {@link #MOST} of them and a note
 * of how many were left out. {@code ?state=} and its like came back at any length up to the
 * message's own bound (RefusalText), which then cut the message's middle, the hint of what to do
 * among it. Control characters are never echoed raw: the query's are refused by name, a header's
 * before its value is read.
 */
class EchoedValuesTest extends SeededCoordinatorTest {
    /** The most characters of one sent value a refusal repeats (the echo's bound, with slack for none). */
    private static final int MOST = 80;
    /** Long enough to be cut by any bound a refusal has, short enough to fit a request line (4 KiB). */
    private static final int LONG = 3_000;

    private RawHttp.Response send(String request) throws Exception {
        try (RawHttp raw = new RawHttp(h.coordinator.url())) {
            return raw.send(request).read();
        }
    }

    /** The longest run of {@code c} in {@code text}. */
    private static int longestRun(String text, char c) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            run = text.charAt(i) == c ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return longest;
    }

    private static void echoedAtMost(SoftAssertions soft, String what, RawHttp.Response r, char marker) {
        soft.assertThat(r.status()).as(what + " -> " + r.body()).isNotEqualTo(500);
        soft.assertThat(longestRun(r.body(), marker)).as(what + " echoes at most " + MOST + " of it: " + r.body())
                .isLessThanOrEqualTo(MOST);
    }

    @Test
    void everyQueryValueIsEchoedBoundedOnEveryRouteAndParameter() throws Exception {
        SoftAssertions soft = new SoftAssertions();
        int refused = 0;
        for (String path : new TreeSet<>(RouteTable.paths("GET"))) {
            if (!path.startsWith("/v1/")) {
                continue;
            }
            List<String> names = new ArrayList<>(new TreeSet<>(RouteTable.params(path)));
            for (String name : names) {
                // a word, a number past any integer, a cursor-shaped run
                for (char marker : new char[] {'z', '9', 'Q'}) {
                    String target = path + "?" + name + "=" + String.valueOf(marker).repeat(LONG);
                    RawHttp.Response r = send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    echoedAtMost(soft, "GET " + path + "?" + name + "=" + marker + "x" + LONG, r, marker);
                    refused += r.status() >= 400 ? 1 : 0;
                }
            }
            // an unknown parameter's name, and a nameless value
            echoedAtMost(soft, path + "?z...=1", send("GET " + path + "?" + "z".repeat(LONG)
                    + "=1 HTTP/1.1\r\nHost: x\r\n\r\n"), 'z');
            echoedAtMost(soft, path + "?=z...", send("GET " + path + "?=" + "z".repeat(LONG)
                    + " HTTP/1.1\r\nHost: x\r\n\r\n"), 'z');
        }
        soft.assertThat(refused).as("the walk was refused on many routes").isGreaterThan(40);
        soft.assertAll();
    }

    @Test
    void aPathAMethodAndEveryHeaderReadAreEchoedBounded() throws Exception {
        String z = "z".repeat(LONG);
        String get = "GET /v1/stats HTTP/1.1\r\nHost: x\r\n";
        String post = "POST /v1/claim HTTP/1.1\r\nHost: x\r\n";
        String[][] cases = {
            {"a path no route has", "GET /v1/" + z + " HTTP/1.1\r\nHost: x\r\n\r\n"},
            {"a path with escapes", "GET /v1/%41" + z + " HTTP/1.1\r\nHost: x\r\n\r\n"},
            {"a method HTTP does not define", "Z" + z.substring(0, 200) + " /v1/stats HTTP/1.1\r\nHost: x\r\n\r\n"},
            {"a Host that is no host", "GET /v1/stats HTTP/1.1\r\nHost: @" + z + "\r\n\r\n"},
            {"a Host that is a list", "GET /v1/stats HTTP/1.1\r\nHost: a," + z + "\r\n\r\n"},
            {"an expectation", get + "Expect: " + z + "\r\n\r\n"},
            {"a content coding", post + "Content-Type: application/json\r\nContent-Encoding: " + z
                    + "\r\nContent-Length: 2\r\n\r\n{}"},
            {"a transfer coding", post + "Content-Type: application/json\r\nTransfer-Encoding: " + z
                    + ", chunked\r\n\r\n0\r\n\r\n"},
            {"a transfer coding on a GET", get + "Transfer-Encoding: " + z + ", chunked\r\n\r\n0\r\n\r\n"},
            {"a content type", post + "Content-Type: text/" + z + "\r\nContent-Length: 2\r\n\r\n{}"},
            {"a content type's charset", post + "Content-Type: application/json; charset=" + z
                    + "\r\nContent-Length: 2\r\n\r\n{}"},
            {"a Connection option", get + "Connection: " + z + ", host\r\n\r\n"},
            {"an If-Match", post + "Content-Type: application/json\r\nIf-Match: \"" + z
                    + "\"\r\nContent-Length: 2\r\n\r\n{}"},
            {"an Accept", get + "Accept: " + z + "\r\n\r\n"},
            {"a header name with an underscore", get + "Content_" + z.substring(0, 3_000 - 10) + ": 1\r\n\r\n"},
            {"a field line past its bound", get + "X-" + z + z + ": 1\r\n\r\n"},
        };
        SoftAssertions soft = new SoftAssertions();
        for (String[] c : cases) {
            echoedAtMost(soft, c[0], send(c[1]), 'z');
        }
        soft.assertAll();
    }
}
