package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The amplification probe (docs/performance.md), not a test: what one unauthenticated client's
 * cheapest request of each class makes the coordinator spend, as ratios to a {@code /healthz} in
 * the same run. Server CPU is read from {@code rhizome_http_cpu_seconds_total} (each request's
 * worker CPU and its encoding), rows from {@code rhizome_store_rows_read_total}. Each class is asked
 * from its own loopback /24 (127.0.K.1) so that no class spends another's budget of reads; the
 * last row asks one class as fast as one connection can, to show the budget's 429s.
 * Runs only with RHIZOME_PROBE set: {@code RHIZOME_PROBE=1 mvn -pl coordinator test -Dtest=ReadAmplificationProbeTest}.
 */
class ReadAmplificationProbeTest {
    private static final int HISTORY = Integer.getInteger("probe.history", 3000);
    private static final int REPEATS = Integer.getInteger("probe.repeats", 10);
    private static final Pattern CPU = Pattern.compile("^rhizome_http_cpu_seconds_total\\{route=\"([^\"]*)\",?\\} (\\S+)$",
            Pattern.MULTILINE);
    private static final Pattern DATABASE = Pattern.compile(
            "^rhizome_http_database_seconds_total\\{route=\"([^\"]*)\",?\\} (\\S+)$", Pattern.MULTILINE);
    /** {@code -Dprobe.store=postgresql}: the history and the coordinator on RHIZOME_TEST_PG's server. */
    private static final boolean POSTGRES = "postgresql".equals(System.getProperty("probe.store"));
    private static final Pattern ROWS = Pattern.compile("^rhizome_store_rows_read_total (\\S+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    private int subnet = 10;

    @Test
    void probe() throws Exception {
        Assumptions.assumeTrue(System.getenv("RHIZOME_PROBE") != null, "RHIZOME_PROBE not set: the probe is not a test");
        BoardHistory history = new BoardHistory();
        String someCommit;
        TestPostgres pg = POSTGRES ? TestPostgres.create() : null;
        try (Store store = POSTGRES ? PostgresStore.open(pg.address(4)) : SqliteStore.open(dir)) {
            store.inTransaction(tx -> {
                history.open(tx, BoardHistory.DIRECTION);
                return null;
            });
            history.addHistory(store, HISTORY);
            someCommit = Fixtures.commit();
            String commit = someCommit;
            store.inTransaction(tx -> {
                history.experiment(tx, BoardHistory.DIRECTION, commit, history.seed.getCommit());
                for (int i = 0; i < 200; i++) {
                    history.result(tx, BoardHistory.DIRECTION, commit, 3.0 + i / 1000.0);
                }
                return null;
            });
        }
        try (pg; Harness h = Harness.on(Harness.SQLITE, dir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON,
                CoordinatorLimits.defaults(), c -> POSTGRES ? c.withStore(pg.address(4)) : c)) {
            URI base = URI.create(h.coordinator.url());
            Map<String, String> classes = new LinkedHashMap<>();
            String d = "direction=" + BoardHistory.DIRECTION;
            classes.put("healthz (baseline)", "/healthz");
            classes.put("dashboard page", "/");
            classes.put("dashboard script", "/dashboard/app.js");
            classes.put("chart script", "/dashboard/uPlot.iife.min.js");
            classes.put("metrics", "/metrics");
            classes.put("stats", "/v1/stats");
            classes.put("dashboard data", "/v1/dashboard");
            classes.put("leaderboard, all", "/v1/leaderboard?" + d);
            classes.put("leaderboard, limit=1000", "/v1/leaderboard?" + d + "&limit=1000");
            classes.put("leaderboard, limit varied", "/v1/leaderboard?" + d + "&limit=%d");
            classes.put("experiments, limit=1000", "/v1/experiments?" + d + "&limit=1000");
            classes.put("experiments, newest=1000", "/v1/experiments?" + d + "&newest=1000");
            classes.put("results, limit=1000", "/v1/results?" + d + "&limit=1000");
            classes.put("results, newest=1000", "/v1/results?" + d + "&newest=1000");
            classes.put("results, any direction, limit=1000", "/v1/results?limit=1000");
            classes.put("results of one commit (200)", "/v1/results?commit=" + someCommit + "&limit=1000");
            classes.put("experiment report (200 results)", "/v1/experiment?commit=" + someCommit);
            classes.put("trials, limit=1000", "/v1/trials?" + d + "&limit=1000");
            classes.put("confirmations", "/v1/confirmations?" + d);
            classes.put("papers, limit=1000", "/v1/papers?" + d + "&limit=1000");
            classes.put("audit, limit=1000", "/v1/audit?limit=1000");
            classes.put("volunteers, limit=1000", "/v1/volunteers?limit=1000");
            classes.put("directions, limit=1000", "/v1/directions?limit=1000");
            classes.put("units, limit=1000", "/v1/units?limit=1000");
            classes.put("adoptions, limit=1000", "/v1/adoptions?" + d + "&limit=1000");
            classes.put("nodes", "/v1/nodes");
            classes.put("unknown path", "/v1/nothing-here");
            classes.put("HEAD results, limit=1000", "HEAD /v1/results?" + d + "&limit=1000");

            Map<String, double[]> figures = new LinkedHashMap<>();
            for (Map.Entry<String, String> c : classes.entrySet()) {
                figures.put(c.getKey(), measure(base, c.getValue()));
            }
            double baseline = figures.get("healthz (baseline)")[0];
            StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                    "%n| request (history %d results, %s) | CPU / request (ms) | x healthz | database / request (ms) "
                            + "| rows / request | bytes | statuses |%n|---|---|---|---|---|---|---|%n", HISTORY + 200,
                    POSTGRES ? "PostgreSQL" : "SQLite"));
            figures.forEach((name, f) -> table.append(String.format(Locale.ROOT,
                    "| %s | %.3f | %.0f | %.3f | %.0f | %.0f | %s |%n",
                    name, f[0] * 1e3, f[0] / baseline, f[6] * 1e3, f[1], f[2], statuses(f))));
            double[] flood = flood(base, "/v1/leaderboard?" + d, 1000);
            table.append(String.format(Locale.ROOT, "%nflood: 1000 x leaderboard (all) from one address: %d answered 200, "
                    + "%d refused 429, server CPU %.2f s%n", (long) flood[0], (long) flood[1], flood[2]));
            System.out.println(table);
            System.out.println("load: " + java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim());
            assertThat(baseline).isPositive();
        }
    }

    private static String statuses(double[] f) {
        return (long) f[3] + "x200 " + (long) f[4] + "x429 " + (long) f[5] + "xother";
    }

    /** CPU seconds, rows and bytes per request of {@code target}, asked {@link #REPEATS} times after one warm-up. */
    private double[] measure(URI base, String target) throws Exception {
        String local = "127.0." + (subnet++) + ".1";
        ask(base, local, target, 0);  // warm: classes load, shared views built once
        double cpu0 = cpu(base);
        double database0 = sum(DATABASE, base);
        double rows0 = rows(base);
        double emptyRows = rows(base) - rows0;  // what a scrape itself reads
        rows0 = rows(base);
        long bytes = 0;
        double[] f = new double[7];
        for (int i = 1; i <= REPEATS; i++) {
            Answer a = ask(base, local, target, i);
            bytes += a.bytes;
            f[a.status == 200 ? 3 : a.status == 429 ? 4 : 5]++;
        }
        double cpu1 = cpu(base);
        double rows1 = rows(base);
        f[0] = (cpu1 - cpu0) / REPEATS;
        f[1] = Math.max(0, (rows1 - rows0 - 2 * emptyRows)) / REPEATS;
        f[2] = (double) bytes / REPEATS;
        f[6] = (sum(DATABASE, base) - database0) / REPEATS;
        return f;
    }

    /** Answered, refused, and server CPU seconds for {@code n} asks of one target from one address. */
    private double[] flood(URI base, String target, int n) throws Exception {
        String local = "127.0." + (subnet++) + ".1";
        double cpu0 = cpu(base);
        double[] f = new double[3];
        for (int i = 0; i < n; i++) {
            int status = ask(base, local, target, i).status;
            f[status == 200 ? 0 : 1]++;
        }
        f[2] = cpu(base) - cpu0;
        return f;
    }

    /** Server CPU so far, every route but /metrics (whose scrapes are the probe's own). */
    private static double cpu(URI base) throws IOException {
        return sum(CPU, base);
    }

    /** A per-route counter's sum so far, every route but /metrics. */
    private static double sum(Pattern counter, URI base) throws IOException {
        Matcher m = counter.matcher(ask(base, "127.0.0.1", "/metrics", 0).text());
        double sum = 0;
        while (m.find()) {
            if (!m.group(1).equals("/metrics")) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    private static double rows(URI base) throws IOException {
        Matcher m = ROWS.matcher(ask(base, "127.0.0.1", "/metrics", 0).text());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private record Answer(int status, long bytes, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One request on its own connection from {@code local}; {@code %d} in the target is replaced by {@code i}. */
    private static Answer ask(URI base, String local, String target, int i) throws IOException {
        String method = "GET";
        if (target.startsWith("HEAD ")) {
            method = "HEAD";
            target = target.substring(5);
        }
        target = target.replace("%d", Integer.toString(1 + i % 1000));
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(local, 0));
            s.connect(new InetSocketAddress(base.getHost(), base.getPort()));
            OutputStream out = s.getOutputStream();
            out.write((method + " " + target + " HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            byte[] raw = all.toByteArray();
            String head = new String(raw, 0, Math.min(raw.length, 4096), StandardCharsets.ISO_8859_1);
            int end = head.indexOf("\r\n\r\n");
            int status = Integer.parseInt(head.substring(9, 12));
            byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
            return new Answer(status, raw.length, body);
        }
    }
}
