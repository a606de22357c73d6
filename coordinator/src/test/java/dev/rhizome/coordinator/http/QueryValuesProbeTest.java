package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.RawHttp;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every query parameter of every GET /v1 route (walked from the route table, so a new route or
 * parameter is probed too) given hostile values: repeated, wrongly escaped, overlong UTF-8, lone
 * surrogates, numbers in other spellings, a stray "+" or ";", 8 KiB. Each is refused naming what
 * is wrong, or served as docs/api.md says; none is a 500, and none silently answers another page.
 */
class QueryValuesProbeTest extends SeededCoordinatorTest {
    /** Values no parameter of any route takes as given (each is malformed or names nothing stored). */
    private static final String[] NEVER_SERVED = {"1e3", "0x10", "-1", "1000000000000000000000000000000", "0", "%2B5",
        "5%20", "+lr-sweep", "lr-sweep+", "lr-sweep%20", "%EF%BB%BFlr-sweep", "%D9%A5", "5.0", "%0A"};
    /** Words and a hardware class match what they match: one matching nothing is an empty answer. */
    private static final java.util.Set<String> FREE_TEXT = java.util.Set.of("search", "hardware_class");
    /** Refused by the target's or the query's reader before any route reads a value. */
    private static final String[] UNREADABLE = {"%", "%zz", "%5", "%00", "%1B", "%7F", "%C2%85", "%E2%80%AE",
        "%C0%AF", "%E0%80%AF", "%ED%A0%80", "%ED%BF%BF", "%F4%90%80%80", "%FF", "a;b"};

    private RawHttp.Response get(String target) throws Exception {
        return exchange("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }

    private static List<String> routes() {
        List<String> routes = new ArrayList<>();
        for (String path : new TreeSet<>(RouteTable.paths("GET"))) {
            if (path.startsWith("/v1/")) {
                routes.add(path);
            }
        }
        assertThat(routes).as("the walk reaches the list routes").contains("/v1/results", "/v1/papers", "/v1/adoptions");
        return routes;
    }

    @Test
    void aValueNoParameterTakesIsRefusedNamingTheParameterNeverServedAsAnotherPage() throws Exception {
        int probed = 0;
        for (String path : routes()) {
            for (String name : new TreeSet<>(RouteTable.params(path))) {
                for (String value : FREE_TEXT.contains(name) ? new String[0] : NEVER_SERVED) {
                    String target = path + "?" + name + "=" + value;
                    RawHttp.Response r = get(target);
                    // "direction=lr-sweep+" (a trailing space) or "direction=1e3" was an empty page on
                    // results, experiments, papers, adoptions and confirmations: "nothing yet", for a
                    // direction that does not exist, where the leaderboard and trials said 404
                    assertThat(r.status()).as(target + " -> " + r.body()).isIn(400, 404);
                    assertThat(r.body()).as(target).containsAnyOf(name, "unknown direction", "unknown commit");
                    probed++;
                }
                RawHttp.Response twice = get(path + "?" + name + "=1&" + name + "=2");
                assertThat(twice.status()).as(path + " " + name + " twice").isEqualTo(400);
                assertThat(twice.body()).contains("query parameter " + name + " is given 2 times");
            }
        }
        assertThat(probed).isGreaterThan(200);
    }

    @Test
    void escapesThatDoNotDecodeToPrintableTextAre400OnEveryRouteAndParameter() throws Exception {
        for (String path : routes()) {
            List<String> names = new ArrayList<>(new TreeSet<>(RouteTable.params(path)));
            names.add("bogus");
            for (String name : names) {
                for (String value : UNREADABLE) {
                    String target = path + "?" + name + "=" + value;
                    RawHttp.Response r = get(target);
                    assertThat(r.status()).as(target + " -> " + r.body()).isEqualTo(400);
                    assertThat(r.body()).as(target).containsAnyOf("percent-escape", "query parameter " + name, "the query holds a");
                }
            }
        }
    }

    @Test
    void anUnknownNameAnEmptyValueAndALongQueryAreAnsweredAsDocumented() throws Exception {
        for (String path : routes()) {
            RawHttp.Response unknown = get(path + "?Limit=5");
            assertThat(unknown.status()).as(path).isEqualTo(400);
            assertThat(unknown.body()).as(path).contains("query parameter Limit is not one this route knows");
            for (String name : RouteTable.params(path)) {
                // docs/api.md: an empty value is the parameter absent
                assertThat(get(path + "?" + name + "=").status()).as(path + " " + name + "=")
                        .isEqualTo(get(path).status());
            }
            RawHttp.Response huge = get(path + "?" + "a".repeat(8192) + "=1");
            assertThat(huge.status()).as(path + " 8 KiB").isEqualTo(414);
            assertThat(huge.body()).contains("shorten the request target");
        }
        // the named direction still serves its page, whichever list asks
        for (String path : new String[] {"/v1/results", "/v1/experiments", "/v1/papers", "/v1/adoptions",
            "/v1/confirmations", "/v1/trials", "/v1/leaderboard"}) {
            assertThat(get(path + "?direction=lr%2Dsweep").status()).as(path).isEqualTo(200);
        }
        assertThat(get("/v1/results?direction=lr-sweep&newest=3").status()).isEqualTo(200);
        assertThat(get("/v1/experiments?direction=lr-sweep&newest=3").status()).isEqualTo(200);
    }
}
