package dev.rhizome.coordinator.support;

import com.google.gson.JsonParser;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;

/**
 * A hostile pass's case loop, raw sockets against one coordinator. Each case's bytes go out on a
 * connection of their own with {@link #BEHIND} in the same write, and each is checked softly for
 * what a hostile client relies on: its status; a message naming the problem; {@code Connection:
 * close} said exactly when the stream can no longer be trusted, and then the connection closed with
 * the request behind never answered, else that request answered as its own; every refusal counted
 * once in {@code rhizome_refusals_total} under its Error code by the time its client has the
 * answer, and nothing counted for an answer that is not a refusal; and a neighbour served after it.
 */
public final class HostileCaseRunner {
    /** Sent after each case's bytes: answered "ok" only when the connection was kept and framing agreed. */
    public static final String BEHIND = "GET /healthz?behind=1 HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(20);
    private static final Pattern CODE = Pattern.compile("\"code\": *\"([A-Z_]+)\"");

    /** A request's bytes, the status it gets, words its answer holds, and whether the connection then closes. */
    public record Case(String name, String request, int status, String says, boolean closes) {
    }

    private final String url;
    private final String tag;
    private final boolean pastContinue;

    private HostileCaseRunner(String url, String tag, boolean pastContinue) {
        this.url = url;
        this.tag = tag;
        this.pastContinue = pastContinue;
    }

    /**
     * Takes the first answer as the case's: an interim 100 Continue fails its status, for passes
     * whose refusals must come in place of the 100. {@code tag} marks each case's printed answer.
     */
    public static HostileCaseRunner firstAnswer(String url, String tag) {
        return new HostileCaseRunner(url, tag, false);
    }

    /** Reads past any interim 100 Continue to each case's final answer. */
    public static HostileCaseRunner finalAnswer(String url, String tag) {
        return new HostileCaseRunner(url, tag, true);
    }

    public void run(List<Case> cases, SoftAssertions soft) throws Exception {
        run(cases, soft, (c, answer) -> {
        });
    }

    /** As {@link #run(List, SoftAssertions)}, with a pass's own checks of each answer in {@code alsoCheck}. */
    public void run(List<Case> cases, SoftAssertions soft, BiConsumer<Case, RawHttp.Response> alsoCheck)
            throws Exception {
        for (Case c : cases) {
            PrometheusText before = metrics();
            RawHttp.Response r;
            boolean closed = false;
            String behind = null;
            try (RawHttp raw = new RawHttp(url)) {
                raw.send(c.request() + BEHIND);
                r = answer(raw);
                if (c.closes()) {
                    closed = raw.closedWithin(CLOSE_WAIT);
                } else {
                    behind = raw.read().body();
                }
            }
            String answer = r.status() + " " + r.body();
            System.out.println(tag + " " + c.name() + " -> " + answer.replace("\n", " "));
            soft.assertThat(r.status()).as(c.name() + ": " + answer).isEqualTo(c.status());
            soft.assertThat(readable(r)).as(c.name()).contains(c.says());
            alsoCheck.accept(c, r);
            boolean saysClose = r.headers().toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n");
            soft.assertThat(saysClose).as(c.name() + " says Connection: close").isEqualTo(c.closes());
            if (c.closes()) {
                soft.assertThat(closed).as(c.name() + ": closed, the request behind it unanswered").isTrue();
            } else {
                soft.assertThat(behind).as(c.name() + ": the request behind it, as its own").isEqualTo("ok");
            }
            PrometheusText after = metrics();
            double refused = refusals(after) - refusals(before);
            if (c.status() >= 400) {
                Matcher code = CODE.matcher(r.body());
                soft.assertThat(code.find()).as(c.name() + ": an Error body").isTrue();
                soft.assertThat(refused).as(c.name() + ": counted once").isEqualTo(1.0);
                if (code.find(0)) {
                    soft.assertThat(refusals(after, code.group(1)) - refusals(before, code.group(1)))
                            .as(c.name() + ": counted under " + code.group(1)).isEqualTo(1.0);
                }
            } else {
                soft.assertThat(refused).as(c.name() + ": no refusal counted").isZero();
            }
            soft.assertThat(exchange(BEHIND).body()).as(c.name() + ": a neighbour is served").isEqualTo("ok");
        }
    }

    /** The coordinator's /metrics, scraped on a connection of its own. */
    private PrometheusText metrics() throws Exception {
        return PrometheusText.parse(exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").body());
    }

    private RawHttp.Response answer(RawHttp raw) throws Exception {
        RawHttp.Response r = raw.read();
        while (pastContinue && r.status() == 100) {
            r = raw.read();
        }
        return r;
    }

    private RawHttp.Response exchange(String request) throws Exception {
        try (RawHttp raw = new RawHttp(url)) {
            return raw.send(request).read();
        }
    }

    /**
     * A refusal's message as its client reads it (JSON escapes decoded), or any other answer's body;
     * a refusal with no Error body reads as such, failing its case's checks rather than ending the pass.
     */
    private static String readable(RawHttp.Response r) {
        if (r.status() < 400) {
            return r.body();
        }
        try {
            return JsonParser.parseString(r.body()).getAsJsonObject().get("message").getAsString();
        } catch (RuntimeException e) {
            return "(no Error body) " + r.body();
        }
    }

    private static double refusals(PrometheusText scrape) {
        return scrape.samples("rhizome_refusals_total").stream().mapToDouble(PrometheusText.Sample::value).sum();
    }

    private static double refusals(PrometheusText scrape, String reason) {
        return scrape.samples("rhizome_refusals_total").stream().filter(s -> reason.equals(s.labels().get("reason")))
                .mapToDouble(PrometheusText.Sample::value).sum();
    }
}
