package dev.rhizome.coordinator.http;


import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.Cursor;
import dev.rhizome.coordinator.service.Views;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.protocol.Printable;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Every GET route of the coordinator's own route table (the API reads, the dashboard and its
 * assets, /healthz, /metrics), on one coordinator holding a seed, a direction and an experiment,
 * asked with hostile query strings: repeated keys, empty values and names, broken escapes, raw
 * control bytes, numbers past any bound, words where numbers go, cursors that are no cursor, a
 * 10 KB value, unicode, "+" against "%20". None is a 5xx; a 4xx says what is wrong, naming the
 * parameter at fault; an unknown name is refused by name on a route that reads its query and
 * ignored by a page (docs/api.md); and the coordinator logs no stack trace for any of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryFuzzTest {
    /** Values given to each parameter: each well-formed as a query, most meaningless to the route. */
    private static final String[] VALUES = {"", "0", "-1", "-9223372036854775809", "9223372036854775807",
        "2147483648", "99999999999999999999999999999999", "1.5", "1e3", "0x10", "NaN", "Infinity", "abc", "%2D1",
        "+1", "%201", "notacursor", "AAAAAAAAAAAAAAAA", "eyJ1bml0IjoieCJ9", "..%2F..%2Fetc", "%7B%7D", "1:2:3",
        "%E2%9C%93", "%F0%9F%98%80", "%EF%BF%BF", "%00", "%1B", "%7F", "%C2%85", "lr+sweep", "lr%20sweep",
        "lr-sweep", "COMMIT", "a".repeat(300),
        // visible US-ASCII that RFC 3986 would have escaped: a target may hold them (docs/api.md), a value is text
        "\"", "<b>", "\\", "{}", "|", "^", "`", "'"};
    /** Whole query strings, after "?": none carries a parameter a route takes. */
    private static final String[] QUERIES = {"", "&&&", "&", "=", "=x", "&=&", "==", "%3D", "zzz=1", "Zzz=1&zzz=2",
        "zzz", "%E2%9C%93=1"};
    /** Queries the target reader refuses on any route, page or API read: not a target it can read. */
    private static final String[] UNREADABLE = {"%", "%zz", "%0", "%C3", "x=%", "x=%zz", "x=%5", "x=%ED%A0%80",
        "%=1", "x=%FF"};
    /** Raw bytes in the query that a target may not hold: each must be percent-encoded. */
    private static final byte[][] RAW = {{0}, {1}, {9}, {0x1b}, {0x7f}, {(byte) 0xc3, (byte) 0xa9}, {(byte) 0x85}};
    /** A 4xx for the target as a whole names one of these, whatever the route. */
    private static final String[] TARGET_PROBLEMS = {"percent-escape", "request target", "request line", "the query holds a"};

    @TempDir
    static Path dataDir;

    private Harness h;
    private String commit;
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Logger coordinatorLog = (Logger) LoggerFactory.getLogger("dev.rhizome.coordinator");
    private final Level levelBefore = coordinatorLog.getLevel();
    private int asked;
    /** Connections opened: one per request was 20-30 s of connects and closes for the walk. */
    private int opened;
    /** The connection kept alive between requests, until an answer says it closes. */
    private RawHttp connection;
    /** Every problem found, reported together: one run shows each class of defect. */
    private SoftAssertions soft;

    /** The store the coordinator runs on: a hostile value must reach PostgreSQL too ("%00" once was a 500 there). */
    String store() {
        return Harness.SQLITE;
    }

    @BeforeAll
    void startCoordinator() throws Exception {
        h = Harness.on(store(), dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON, CoordinatorLimits.defaults())
                .withSeedAndDirection();
        Identity proposer = Identity.generate();
        commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, Harness.SEED, Harness.DIRECTION,
                commit, h.seedCommit, h.clock.millis())).ack();
        lines.start();
        root.addAppender(lines);
        // every level: a refusal's line is WARN only within a budget shared by the whole JVM, DEBUG past it
        coordinatorLog.setLevel(Level.DEBUG);
    }

    @BeforeEach
    void freshFindings() {
        soft = new SoftAssertions();
    }

    @AfterAll
    void stopCoordinator() throws Exception {
        if (connection != null) {
            connection.close();
        }
        root.detachAppender(lines);
        coordinatorLog.setLevel(levelBefore);
        lines.stop();
        if (h != null) {  // none where PostgreSQL is not named and the class is skipped
            h.close();
        }
    }

    @Test
    void everyGetRouteAnswersEveryHostileQueryWithoutA5xxAndNamesWhatIsWrong() throws Exception {
        Set<String> paths = RouteTable.paths("GET");
        soft.assertThat(paths).as("the walk reaches pages and API reads alike")
                .contains("/", "/metrics", "/healthz", "/dashboard/app.js", "/v1/results", "/v1/experiment", "/v1/units");
        for (String path : new TreeSet<>(paths)) {
            Answer bare = ask(path, "");
            boolean readsQuery = path.startsWith("/v1/");
            Set<String> params = new TreeSet<>(RouteTable.params(path));
            List<String> required = new ArrayList<>();
            if (bare.status >= 400) {
                // a required parameter left out is named (/v1/experiment without commit)
                soft.assertThat(bare.status).as(path).isLessThan(500);
                soft.assertThat(params).as(path + " refuses a bare GET: " + bare.body).isNotEmpty();
                soft.assertThat(bare.body).as(path + " bare").containsAnyOf(params.toArray(String[]::new));
                params.stream().filter(bare.body::contains).forEach(required::add);
            }
            for (String query : QUERIES) {
                Answer a = ask(path, query);
                if (!readsQuery || query.isEmpty() || query.equals("&&&") || query.equals("&")) {
                    // a page ignores its query; empty pieces are nothing on any route
                    soft.assertThat(a.status).as(path + "?" + query + " -> " + a.body).isEqualTo(bare.status);
                } else {
                    soft.assertThat(a.status).as(path + "?" + query + " -> " + a.body).isEqualTo(400);
                    soft.assertThat(a.body).as(path + "?" + query).containsAnyOf("zzz", "Zzz", "\u2713", "no name",
                            "has no value", "not one this route knows");
                }
            }
            for (String query : UNREADABLE) {
                Answer a = ask(path, query);
                soft.assertThat(a.status).as(path + "?" + query + " -> " + a.body).isEqualTo(400);
                soft.assertThat(a.body).as(path + "?" + query).containsAnyOf(TARGET_PROBLEMS);
            }
            for (byte[] raw : RAW) {
                Answer a = ask(path, "x=a".getBytes(StandardCharsets.US_ASCII), raw);
                String shown = java.util.HexFormat.of().formatHex(raw);
                soft.assertThat(a.status).as(path + " raw " + shown + " -> " + a.body).isEqualTo(400);
                soft.assertThat(a.body).as(path + " raw " + shown).containsAnyOf(TARGET_PROBLEMS);
            }
            // HEAD is GET without the body: the same answer to the same hostile query
            for (String query : new String[] {"zzz=1", "=x", "x=%zz", "x=%00"}) {
                soft.assertThat(ask("HEAD", path, query).status).as("HEAD " + path + "?" + query)
                        .isEqualTo(ask(path, query).status);
            }
            Answer huge = ask(path, (readsQuery && !params.isEmpty() ? params.iterator().next() : "x") + "=" + "v".repeat(10_240));
            soft.assertThat(huge.status).as(path + " 10 KB value").isEqualTo(414);
            soft.assertThat(huge.body).contains("shorten the request target");
            for (String name : params) {
                for (String value : VALUES) {
                    String query = name + "=" + value.replace("COMMIT", commit);
                    Answer a = ask(path, query);
                    if (a.status == 404) {
                        soft.assertThat(a.body).as(path + "?" + query).containsAnyOf("unknown direction", "unknown commit", "unknown unit");
                    } else if (a.status >= 400) {
                        // the value at fault is named as the user typed it ("commits[0]" named an
                        // array the URL never held), or the required parameter still missing
                        List<String> blamed = new ArrayList<>(List.of("query parameter " + name));
                        required.forEach(r -> blamed.add("query parameter " + r));
                        soft.assertThat(a.body).as(path + "?" + query).containsAnyOf(blamed.toArray(String[]::new));
                    }
                }
                Answer twice = ask(path, name + "=1&" + name + "=1");
                soft.assertThat(twice.status).as(path + " " + name + " twice").isEqualTo(400);
                soft.assertThat(twice.body).contains("query parameter " + name + " is given 2 times");
                Answer emptyTwice = ask(path, name + "=&" + name + "=");
                soft.assertThat(emptyTwice.status).as(path + " " + name + " twice empty").isEqualTo(400);
                Answer valueless = ask(path, name);
                soft.assertThat(valueless.status).as(path + " " + name + " valueless").isEqualTo(400);
                soft.assertThat(valueless.body).contains("query parameter " + name + " has no value");
                // "+" is a space, as "%20" is: the two spellings are one query
                Answer plus = ask(path, name + "=lr+sweep");
                Answer space = ask(path, name + "=lr%20sweep");
                soft.assertThat(plus.status).as(path + " " + name + " + against %20").isEqualTo(space.status);
                soft.assertThat(plus.body).isEqualTo(space.body);
            }
        }
        soft.assertThat(asked).as("requests made").isGreaterThan(1000);
        soft.assertThat(opened).as("connections opened: requests answered keep theirs").isLessThan(asked / 2);
        assertQuiet();
        soft.assertAll();
    }

    /**
     * A cursor forged for the route's own list, well formed down to its parts, with numbers past
     * any bound, negative, not numbers, empty or long: a 400 naming {@code after}, or a page.
     */
    @Test
    void forgedCursorsOfEachListAreRefusedNamingAfterOrServed() throws Exception {
        String[] hostile = {"-1", "-9223372036854775808", "9223372036854775807", "99999999999999999999", "+5",
            "\u0665", "abc", "", "x".repeat(300), "\u2713", "1.5", "\u0000", "%zz", "|"};
        int forged = 0;
        for (String path : new TreeSet<>(RouteTable.paths("GET"))) {
            if (!RouteTable.params(path).contains("after")) {
                continue;
            }
            String list = path.substring(path.lastIndexOf('/') + 1);
            int arity = Views.cursorParts(list);
            // what the list needs besides the cursor, so that the cursor is read
            String needs = ask(path, "").status >= 400 ? "direction=" + Harness.DIRECTION + "&" : "";
            soft.assertThat(ask(path, needs.isEmpty() ? "" : needs.substring(0, needs.length() - 1)).status)
                    .as(path + " served with " + needs).isEqualTo(200);
            for (int at = 0; at < arity; at++) {
                for (String part : hostile) {
                    Object[] parts = new Object[arity];
                    java.util.Arrays.fill(parts, "0");
                    parts[at] = part;
                    String cursor = Cursor.of(list, parts).encode();
                    Answer a = ask(path, needs + "after=" + cursor);
                    if (a.status >= 400) {
                        soft.assertThat(a.status).as(path + " part " + at + "=" + part + " -> " + a.body).isEqualTo(400);
                        soft.assertThat(a.body).as(path + " part " + at + "=" + part).contains("query parameter after");
                    }
                    forged++;
                }
            }
            for (String wrong : new String[] {Cursor.of(list).encode(), Cursor.of("other", "1").encode(),
                Cursor.of(list, new Object[arity + 1]).encode(), "Yz", "YzF8"}) {
                Answer a = ask(path, needs + "after=" + wrong);
                soft.assertThat(a.status).as(path + " after=" + wrong + " -> " + a.body).isEqualTo(400);
                soft.assertThat(a.body).as(path + " after=" + wrong).contains("query parameter after");
            }
        }
        soft.assertThat(forged).isGreaterThan(100);
        assertQuiet();
        soft.assertAll();
    }

    /**
     * No line the coordinator logged carries a stack trace or is an error (each was a request
     * refused, not a fault), and none carries a character that came in a query and may not reach a
     * reader as it is ({@link Printable}: a raw control, a noncharacter such as U+FFFF, which left
     * the test's own report unreadable XML).
     */
    private void assertQuiet() {
        List<String> said;
        synchronized (lines) {
            said = lines.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR)
                            || e.getLevel().isGreaterOrEqual(Level.WARN) && e.getThrowableProxy() != null
                            || Printable.firstUnsafe(e.getFormattedMessage()) >= 0)
                    .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()
                            + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getClassName()))
                    .toList();
            soft.assertThat(lines.list).as("the capture hears the coordinator's refusals")
                    .anyMatch(e -> e.getFormattedMessage().contains("refused with 400"));
        }
        soft.assertThat(said).as("what the coordinator logged with a stack trace, as an error or with a raw control")
                .isEmpty();
    }

    /** What a GET of the path with this query (raw, after "?"; none when empty) was answered. */
    private Answer ask(String path, String query) throws Exception {
        return ask("GET", path, query);
    }

    private Answer ask(String method, String path, String query) throws Exception {
        return ask(method, path, query.getBytes(StandardCharsets.ISO_8859_1), new byte[0]);
    }

    private Answer ask(String path, byte[] query, byte[] tail) throws Exception {
        return ask("GET", path, query, tail);
    }

    private Answer ask(String method, String path, byte[] query, byte[] tail) throws Exception {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes((method + " " + path).getBytes(StandardCharsets.US_ASCII));
        if (query.length + tail.length > 0) {
            request.write('?');
            request.writeBytes(query);
            request.writeBytes(tail);
        }
        request.writeBytes(" HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        asked++;
        if (connection == null) {
            connection = new RawHttp(h.coordinator.url());
            opened++;
        }
        connection.send(request.toByteArray());
        RawHttp.Response r = method.equals("HEAD") ? connection.readHeadOnly() : connection.read();
        if (r.headers().toLowerCase(java.util.Locale.ROOT).contains("\r\nconnection: close\r\n")) {
            // a target it cannot read ends the connection (said so); an accepted request keeps it
            soft.assertThat(r.status()).as(method + " " + path + " answered and closed").isGreaterThanOrEqualTo(400);
            connection.close();
            connection = null;
        }
        soft.assertThat(r.status()).as(method + " " + path + "?" + new String(query, StandardCharsets.ISO_8859_1) + " -> " + r.body())
                .isLessThan(500);
        // a page's body is long and says nothing of the query: enough of it to tell the answer
        return new Answer(r.status(), r.body().length() > 400 ? r.body().substring(0, 400) : r.body());
    }

    private record Answer(int status, String body) {
    }
}
