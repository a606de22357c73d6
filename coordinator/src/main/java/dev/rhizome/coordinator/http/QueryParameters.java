package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.core.RecordBounds;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.LogSafe;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A request's query, read one way only: parameters are separated by "&" alone, names and values
 * are percent-decoded ("+" is a space), and empty pieces ({@code a=1&&b=2}) are nothing. Every
 * name is kept, however many: Netty's decoder silently dropped the parameters past its 1,024th.
 *
 * <p>What a route that reads its query refuses ({@link #check}), before its handler runs, so that
 * no handler can skip a parameter it happens not to read: a name it does not take, a name given
 * twice (which of the two a cache or proxy in front kept is its own choice), and a name without
 * "=" ({@code ?direction}): no parameter here is a flag, and reading it as empty, the same as
 * absent, hid the client's mistake; and a raw ";". Netty's decoder split on ";" as on "&", so
 * {@code direction=a;limit=5} was direction "a" and a limit here, where a cache in front that
 * splits on "&" only (as browsers' URLSearchParams do) keyed it as one direction "a;limit=5":
 * the same target, two sets of parameters. An empty value ({@code ?direction=}) is the parameter absent,
 * as before (docs/api.md: "absent or empty").
 */
final class QueryParameters {
    static final QueryParameters NONE = new QueryParameters(Map.of(), Set.of(), false);

    private final Map<String, List<String>> values;
    private final Set<String> valueless;
    /** The raw query holds a ";" (not "%3B"), which once separated parameters here and still may elsewhere. */
    private final boolean semicolon;

    private QueryParameters(Map<String, List<String>> values, Set<String> valueless, boolean semicolon) {
        this.values = values;
        this.valueless = valueless;
        this.semicolon = semicolon;
    }

    /** Parameters given as a map (a test's request), each with a value. */
    static QueryParameters of(Map<String, List<String>> values) {
        return new QueryParameters(Map.copyOf(values), Set.of(), false);
    }

    /**
     * @param query the raw query after "?", escapes well formed and UTF-8 ({@link RequestTarget}
     *              checked them), or null when the target has none
     */
    static QueryParameters parse(String query) {
        if (query == null || query.isEmpty()) {
            return NONE;
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        Set<String> valueless = new LinkedHashSet<>();
        for (String piece : query.split("&", -1)) {
            if (piece.isEmpty()) {
                continue;
            }
            int eq = piece.indexOf('=');
            String name = decode(eq < 0 ? piece : piece.substring(0, eq));
            values.computeIfAbsent(name, n -> new ArrayList<>()).add(eq < 0 ? "" : decode(piece.substring(eq + 1)));
            if (eq < 0) {
                valueless.add(name);
            }
        }
        return new QueryParameters(values, valueless, query.indexOf(';') >= 0);
    }

    Set<String> names() {
        return values.keySet();
    }

    /**
     * Refuses what a route taking exactly {@code taken} cannot read one way: a name it does not
     * take, a name given twice, a name without a value. {@code describe} says what it takes.
     */
    void check(Set<String> taken, String describe) {
        if (semicolon) {
            // Neither reading is safe: a cache or proxy that splits on ";" (as this server did, and
            // docs/api.md said) and one that does not see different parameters in the same target.
            throw bad("the query holds a \";\": parameters are separated by \"&\" only; percent-encode a \";\" "
                    + "inside a value as %3B");
        }
        for (Map.Entry<String, List<String>> e : values.entrySet()) {
            String name = e.getKey();
            String shown = LogSafe.of(name, 60);
            if (name.isEmpty()) {
                throw bad("a query parameter has no name (\"=" + LogSafe.of(e.getValue().get(0), 60)
                        + "\"): give NAME=VALUE; " + describe);
            }
            if (!taken.contains(name)) {
                throw bad("query parameter " + shown + " is not one this route knows: " + describe
                        + " (names are case-sensitive)");
            }
            refuseAmbiguous(name, shown, e.getValue());
        }
    }

    /**
     * A query parameter, or "" when absent or empty. One given twice or without a value is refused
     * here too, for a handler whose route did not {@link #check} its query. A value must be
     * printable text, as a record's strings are ({@link RecordBounds#printable}), else 400 naming it.
     */
    String get(String name) {
        List<String> given = values.get(name);
        if (given == null) {
            return "";
        }
        refuseAmbiguous(name, name, given);
        String value = given.get(0);
        // Decoded from escapes, a value may hold any character: "%00" reached PostgreSQL, which
        // refuses a NUL in text, as a 500; "%1B" came back in the "unknown direction" answer.
        RecordBounds.printable("query parameter " + name, value);
        return value;
    }

    private void refuseAmbiguous(String name, String shown, List<String> given) {
        if (given.size() > 1) {
            throw bad("query parameter " + shown + " is given " + given.size() + " times; give it once");
        }
        if (valueless.contains(name)) {
            throw bad("query parameter " + shown + " has no value (no \"=\"): give " + shown + "=VALUE, or leave it out");
        }
    }

    /** Percent-escapes (already checked to be well formed UTF-8) and "+" as a space. */
    private static String decode(String text) {
        if (text.indexOf('%') < 0 && text.indexOf('+') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length()) {
                bytes.write(Integer.parseInt(text, i + 1, i + 3, 16));
                i += 2;
            } else {
                bytes.write(c == '+' ? ' ' : c);  // the target is visible US-ASCII (RequestTarget)
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static HttpError bad(String message) {
        return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, message);
    }
}
