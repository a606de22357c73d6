package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.Cursor;
import dev.rhizome.coordinator.service.Views;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.protocol.identity.Identity;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every paged route (each GET route of the route table that takes {@code after}) asked with a
 * table of forged cursors: each is refused 400 naming {@code after}, never served as some page.
 * A forged {@code c1|audit|-1} was served as the audit's first page; so were padded or
 * non-canonical base64 and other spellings of a position. A well-formed cursor of the route's own
 * list, at a position no page ended at, is served: the refusals are of the forgery, not of
 * cursors the test wrote.
 */
class ForgedCursorsTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final String KEY = "0123456789abcdef".repeat(4);

    @TempDir
    Path dataDir;

    /** A value each kind of part accepts, and values it must refuse. */
    private static String valid(Cursor.Field f) {
        return switch (f) {
            case POSITION, SIGNED_POSITION, COUNT -> "1";
            case NAME -> Harness.DIRECTION;
            case COMMIT -> COMMIT;
            case KEY -> KEY;
        };
    }

    private static List<String> refused(Cursor.Field f) {
        List<String> numbers = List.of("", "+1", "01", "-0", " 1", "1 ", "1.5", "1e3", "0x1", "\u0661",
                "9223372036854775808", "99999999999999999999", "-9223372036854775809", "abc", "%31");
        return switch (f) {
            case POSITION -> concat(numbers, List.of("-1", "-9223372036854775808"));
            case SIGNED_POSITION -> numbers;
            case COUNT -> concat(numbers, List.of("-1", "2147483648", "9223372036854775807"));
            case NAME -> List.of("", "-x", ".x", "a b", "a/b", "a|b", "x".repeat(101), "\u00e9t\u00e9", "a%00");
            case COMMIT -> List.of("", "ab12", COMMIT.toUpperCase(), COMMIT + "0", "g" + COMMIT.substring(1));
            case KEY -> List.of("", KEY.toUpperCase(), KEY.substring(1), KEY + "00", "z" + KEY.substring(1));
        };
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** A cursor's text as the coordinator spells it, from parts already URL-encoded (or deliberately not). */
    private static String raw(String decoded) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(decoded.getBytes(StandardCharsets.UTF_8));
    }

    private static String joined(String list, List<String> parts) {
        return "c1|" + list + (parts.isEmpty() ? "" : "|" + String.join("|", parts));
    }

    @Test
    void everyPagedRouteRefusesEveryForgedCursorNamingAfter() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            Identity proposer = Identity.generate();
            h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, Harness.SEED,
                    Harness.DIRECTION, Fixtures.commit(), h.seedCommit, h.clock.millis())).ack();
            SoftAssertions soft = new SoftAssertions();
            int routes = 0;
            int forged = 0;
            for (String path : new TreeSet<>(RouteTable.paths("GET"))) {
                if (!RouteTable.params(path).contains("after")) {
                    continue;
                }
                routes++;
                String list = path.substring(path.lastIndexOf('/') + 1);
                List<Cursor.Field> fields = Views.cursorFields(list);
                String needs = h.api.get(path).status() >= 400 ? "direction=" + Harness.DIRECTION + "&" : "";
                List<String> good = fields.stream().map(ForgedCursorsTest::valid).toList();

                String wellFormed = raw(joined(list, good));
                soft.assertThat(ask(h, path, needs, wellFormed).status()).as(path + " a well-formed cursor of its list")
                        .isEqualTo(200);

                Map<String, String> table = new LinkedHashMap<>();
                for (int at = 0; at < fields.size(); at++) {
                    for (String bad : refused(fields.get(at))) {
                        List<String> parts = new ArrayList<>(good);
                        parts.set(at, URLEncoder.encode(bad, StandardCharsets.UTF_8));
                        table.put("part " + (at + 1) + " '" + bad + "'", raw(joined(list, parts)));
                        if (!bad.isEmpty() && !bad.equals(URLEncoder.encode(bad, StandardCharsets.UTF_8))) {
                            parts.set(at, bad);  // unencoded too: another spelling, or a part that is no URL text
                            table.put("part " + (at + 1) + " unencoded '" + bad + "'", raw(joined(list, parts)));
                        }
                    }
                    List<String> percent = new ArrayList<>(good);
                    percent.set(at, "%" + Integer.toHexString(good.get(at).charAt(0)) + good.get(at).substring(1));
                    table.put("part " + (at + 1) + " percent-encoded", raw(joined(list, percent)));
                }
                table.put("one part more", raw(joined(list, concat(good, List.of("1")))));
                table.put("one part fewer", raw(joined(list, good.subList(0, good.size() - 1))));
                table.put("another list", raw(joined(list.equals(Views.AUDIT) ? Views.SEEDS : Views.AUDIT, List.of("1"))));
                table.put("another version", raw(joined(list, good).replaceFirst("c1", "c2")));
                table.put("no version", raw(joined(list, good).substring(3)));
                table.put("the list's name in capitals", raw(joined(list.toUpperCase(), good)));
                table.put("'=' padding", wellFormed + "=".repeat((4 - wellFormed.length() % 4) % 4 == 0 ? 4 : (4 - wellFormed.length() % 4) % 4));
                table.put("standard base64 alphabet", Base64.getEncoder().withoutPadding()
                        .encodeToString((joined(list, good) + "??>").getBytes(StandardCharsets.UTF_8)));
                table.put("not UTF-8", Base64.getUrlEncoder().withoutPadding().encodeToString(
                        concatBytes(joined(list, good).getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff})));
                table.put("a trailing '|'", raw(joined(list, good) + "|"));
                table.put("spaces around", " " + wellFormed + " ");
                table.put("longer than any cursor", "A".repeat(1025));
                table.put("not base64", "***");
                // stray bits in the last character: the decoder reads the same bytes, it is not the spelling written
                for (String text : List.of(wellFormed, raw(joined(list, good) + "|"), raw(joined(list, good) + "||"))) {
                    if (text.length() % 4 != 0) {
                        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                        int last = alphabet.indexOf(text.charAt(text.length() - 1));
                        table.put("stray bits (" + text.length() % 4 + ")",
                                text.substring(0, text.length() - 1) + alphabet.charAt(last | 1));
                    }
                }
                soft.assertThat(table).as(path + " tests stray bits").containsKey("stray bits (2)");
                for (Map.Entry<String, String> f : table.entrySet()) {
                    ApiClient.Response a = ask(h, path, needs, f.getValue());
                    soft.assertThat(a.status()).as(path + " after=" + f.getKey() + " -> " + a.text()).isEqualTo(400);
                    soft.assertThat(a.text()).as(path + " after=" + f.getKey()).contains("query parameter after");
                    forged++;
                }
                // and the cursor the route itself wrote still reads back
                String next = com.google.gson.JsonParser.parseString(h.api.get(path + "?" + needs + "limit=1").text())
                        .getAsJsonObject().get("next").getAsString();
                if (!next.isEmpty()) {
                    soft.assertThat(ask(h, path, needs, next).status()).as(path + " its own next").isEqualTo(200);
                }
            }
            soft.assertThat(routes).as("paged routes (docs/api.md 'Paging' names 11)").isGreaterThanOrEqualTo(11);
            soft.assertThat(forged).isGreaterThan(routes * 20);
            soft.assertAll();
        }
    }

    @Test
    void aNegativeAuditPositionIsRefusedNotServedAsTheFirstPage() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            ApiClient.Response a = h.api.get("/v1/audit?after=" + raw("c1|audit|-1"));
            assertThat(a.status()).isEqualTo(400);
            assertThat(a.text()).contains("query parameter after is not a cursor of this list (part 1 must be a whole number from 0");
            ApiClient.Response units = h.api.get("/v1/units?after=" + raw("c1|units|-5"));
            assertThat(units.status()).as("units queued ahead have negative places").isEqualTo(200);
        }
    }

    private static byte[] concatBytes(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static ApiClient.Response ask(Harness h, String path, String needs, String after) {
        return h.api.get(path + "?" + needs + "after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
    }
}
