package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.coordinator.support.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text a request's target brings (its query's values, a cursor's parts, the raw target
 * itself) is held to the rule of a record's strings: printable, or a 400 naming where it is. A
 * query value of "%00" reached PostgreSQL, which refuses a NUL in any text, as a 500 on every list
 * route that takes a name; a raw ESC or C1 control came back in the 404's message; raw UTF-8 in a
 * target was read as Latin-1 and matched nothing.
 */
class QueryTextTest {
    /** Decoded: NUL, ESC (a terminal's escape sequences), a bidirectional override, CSI as one C1 byte. */
    private static final String[] UNPRINTABLE = {"a%00b", "%1B%5B2J", "x%E2%80%AEy", "%C2%9B"};

    @TempDir
    Path dataDir;

    @Test
    void everyQueryValueIsPrintableOrA400NamingItOnSqlite() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            everyQueryValueIsPrintableOrA400NamingIt(h);
        }
    }

    @Test
    void everyQueryValueIsPrintableOrA400NamingItOnPostgres() throws Exception {
        try (TestPostgres pg = TestPostgres.create();
                Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON)) {
            h.restart(ApiClient.Format.JSON, c -> c.withStore(pg.address(2)));
            h.withSeedAndDirection();
            everyQueryValueIsPrintableOrA400NamingIt(h);
        }
    }

    private static void everyQueryValueIsPrintableOrA400NamingIt(Harness h) throws Exception {
        int walked = 0;
        for (String path : RouteTable.paths("GET")) {
            for (String param : RouteTable.params(path)) {
                for (String value : UNPRINTABLE) {
                    String target = path + "?" + param + "=" + value;
                    ApiClient.Response r = h.api.get(target);
                    assertThat(r.status()).as(target + ": " + r.text()).isEqualTo(400);
                    assertThat(r.error().getMessage()).as(target).contains("query parameter " + param)
                            .contains("control character");
                    walked++;
                }
            }
        }
        assertThat(walked).as("routes with query parameters were walked").isGreaterThan(40);
        // A cursor is text too: a forged one whose name part holds a NUL was a 500 on PostgreSQL.
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(
                "c1|adoptions|1|2|lr-sweep%00|x".getBytes(StandardCharsets.UTF_8));
        ApiClient.Response cursor = h.api.get("/v1/adoptions?after=" + forged);
        assertThat(cursor.status()).as(cursor.text()).isEqualTo(400);
        assertThat(cursor.error().getMessage()).contains("query parameter after is not a cursor of this list");
        // Printable names still look up as before: tabs, line feeds and any other script are text
        // (no such direction is open, which is a 404 naming it, as decoded).
        ApiClient.Response named = h.api.get("/v1/experiments?direction=caf%C3%A9%09x");
        assertThat(named.status()).as(named.text()).isEqualTo(404);
        assertThat(named.error().getMessage()).contains("unknown direction caf\u00e9");
        assertThat(h.api.get("/v1/trials?direction=" + Harness.DIRECTION).status()).isEqualTo(200);
        // A commit that is no commit id is malformed (400) on every route that takes one, not "unknown" (404)
        for (String route : new String[] {"/v1/trials", "/v1/results", "/v1/experiment", "/v1/peers"}) {
            ApiClient.Response r = h.api.get(route + "?commit=abc123");
            assertThat(r.status()).as(route + ": " + r.text()).isEqualTo(400);
            assertThat(r.error().getMessage()).as(route).contains("40-hex-digit");
        }
    }

    @Test
    void aTargetIsVisibleAsciiOrA400SayingToPercentEncode() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            String[] targets = {
                "/v1/\u001b[31mstats",                      // a raw ESC came back in "no route ..."
                "/v1/experiments?direction=caf\u00c3\u00a9", // raw UTF-8 "café", read as Latin-1 "cafÃ©"
                "/v1/experiments?direction=\u009b31m",       // a raw C1 CSI
                "/v1/stats\u007f",
                "/v1/stats#fragment",                        // a fragment is never sent
            };
            for (String target : targets) {
                try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                    RawHttp.Response r = raw.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
                    assertThat(r.status()).as(target + ": " + r.body()).isEqualTo(400);
                    assertThat(r.body()).as(target).contains("request target has").contains("percent-encode")
                            .doesNotContain("\\u001b").doesNotContain("\\u009b");
                }
            }
            // the same, percent-encoded, is read as meant: a name looked up (no such direction is open)
            try (RawHttp raw = new RawHttp(h.coordinator.url())) {
                RawHttp.Response r = raw.send("GET /v1/experiments?direction=caf%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n").read();
                assertThat(r.status()).as(r.body()).isEqualTo(404);
                assertThat(r.body()).contains("unknown direction caf");
            }
        }
    }
}
