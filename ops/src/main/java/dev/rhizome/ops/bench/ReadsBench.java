package dev.rhizome.ops.bench;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.ReadBudgets;
import dev.rhizome.coordinator.core.Similarity;
import dev.rhizome.coordinator.service.KeptTokens;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stores;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The costliest reads, each as a ratio to {@code GET /healthz} measured in the same run: a page of
 * 1,000 trials and one of 1,000 results over HTTP from a coordinator on a history of
 * {@code results} experiments with one result each (on SQLite in the data directory, or on the
 * store named), and the similar-work search a claim with a hypothesis runs in its write
 * transaction ({@link Similarity#nearDuplicates}, in process: 500 hypotheses of 4,096 characters
 * and 500 descriptions of 16 KiB, as a claim compares), for a hypothesis of 20 words and one of
 * 700. Each figure is the median of {@code repeats} after one warm-up. The read budgets are
 * lifted: the bench asks from one address, and a {@code 429} would time the refusal, not the read.
 */
public final class ReadsBench {
    static final String DIRECTION = "bench";
    private static final int TEXTS = 500;

    public record Config(int results, int repeats, String store, Path dataDir) {
        public Config {
            if (results < 1) {
                throw new IllegalArgumentException("--results must be at least 1, got " + results);
            }
            if (repeats < 1) {
                throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
            }
        }
    }

    /** One read's median in milliseconds and its ratio to the baseline's. */
    public record Figure(String read, double medianMs, double ratio) {
    }

    public record Report(String store, int results, int repeats, double baselineMs, List<Figure> figures)
            implements BenchReport {
        public String toText() {
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                    "reads on %s, %d results, median of %d; GET /healthz %.3f ms%n", store, results, repeats, baselineMs));
            figures.forEach(f -> text.append(String.format(Locale.ROOT, "  %-48s %9.2f ms  %8.0fx healthz%n",
                    f.read(), f.medianMs(), f.ratio())));
            return text.toString();
        }

        public String toJson() {
            StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                    "{\"store\":\"%s\",\"results\":%d,\"repeats\":%d,\"healthz_ms\":%.4f,\"reads\":[", store, results,
                    repeats, baselineMs));
            for (int i = 0; i < figures.size(); i++) {
                Figure f = figures.get(i);
                json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"read\":\"%s\",\"median_ms\":%.4f,\"ratio\":%.2f}", f.read(), f.medianMs(), f.ratio()));
            }
            return json.append("]}").toString();
        }
    }

    private ReadsBench() {
    }

    public static Report run(Config config, PrintStream progress) throws Exception {
        Identity operator = Identity.generate();
        Random random = new Random(1);
        progress.printf("writing %d experiments with one result each%n", config.results());
        try (Store store = Stores.open(config.store(), config.dataDir(), (n, nanos) -> { })) {
            write(store, operator, random, config.results(), progress);
        }
        CoordinatorConfig coordinatorConfig = CoordinatorConfig.defaults(config.dataDir()).withStore(config.store());
        ReadBudgets.Budget unbounded = new ReadBudgets.Budget(ReadBudgets.Budget.LARGEST, ReadBudgets.Budget.LARGEST);
        coordinatorConfig = coordinatorConfig.withLimits(coordinatorConfig.limits()
                .withReadBudgets(new ReadBudgets(unbounded, unbounded)));
        Map<String, Supplier<Object>> reads = new LinkedHashMap<>();
        try (Coordinator coordinator = Coordinator.start(coordinatorConfig)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = coordinator.url();
            reads.put("GET /healthz", () -> get(http, base + "/healthz"));
            // Built: each ask a page of its own (limit 1000, 999, ...: the same work), so none is
            // shared; asked again: the same page, shared since no write ended (service.SharedPages).
            int[] asked = {0};
            reads.put("GET /v1/trials?direction=&limit=1000", () -> get(http, base + "/v1/trials?direction=" + DIRECTION
                    + "&limit=" + (1000 - asked[0]++ % 500)));
            reads.put("GET /v1/trials?direction=&limit=1000, asked again (shared)", () -> get(http,
                    base + "/v1/trials?direction=" + DIRECTION + "&limit=1000"));
            reads.put("GET /v1/results?direction=&limit=1000", () -> get(http, base + "/v1/results?direction="
                    + DIRECTION + "&limit=" + (1000 - asked[0]++ % 500)));
            reads.put("GET /v1/results?direction=&limit=1000, asked again (shared)", () -> get(http,
                    base + "/v1/results?direction=" + DIRECTION + "&limit=1000"));
            List<Similarity.Text> texts = texts(random);
            String shortHypothesis = words(random, 20);
            String longHypothesis = words(random, 700);
            reads.put("similar work, 20-word hypothesis (in process)",
                    () -> Similarity.nearDuplicates(shortHypothesis, texts, 5));
            reads.put("similar work, 700-word hypothesis (in process)",
                    () -> Similarity.nearDuplicates(longHypothesis, texts, 5));
            // a claim's: the texts' tokens kept from the claims before (the warm-up read them)
            KeptTokens kept = new KeptTokens();
            reads.put("similar work, 20-word hypothesis, tokens kept (in process)",
                    () -> Similarity.nearDuplicates(shortHypothesis, texts, 5, kept));
            reads.put("similar work, 700-word hypothesis, tokens kept (in process)",
                    () -> Similarity.nearDuplicates(longHypothesis, texts, 5, kept));
            Map<String, Double> medians = new LinkedHashMap<>();
            for (Map.Entry<String, Supplier<Object>> read : reads.entrySet()) {
                progress.printf("timing %s%n", read.getKey());
                // the baseline is short and noisy: timed twenty times as often
                medians.put(read.getKey(), medianMs(read.getValue(),
                        medians.isEmpty() ? 20 * config.repeats() : config.repeats()));
            }
            double baseline = medians.get("GET /healthz");
            List<Figure> figures = new ArrayList<>();
            medians.forEach((read, ms) -> figures.add(new Figure(read, ms, ms / Math.max(1e-6, baseline))));
            figures.remove(0);
            String storeName = config.store().isEmpty() || config.store().startsWith("sqlite") ? "sqlite" : "postgresql";
            return new Report(storeName, config.results(), config.repeats(), baseline, figures);
        }
    }

    private static void write(Store store, Identity operator, Random random, int results, PrintStream progress) {
        long[] time = {1};
        Seed seed = Seed.newBuilder().setName(TinyLmSeed.NAME).setCommit(commit(random)).setManifest(TinyLmSeed.manifest())
                .setPublisher(operator.publicId().toByteString()).setPublishedMs(time[0]++).build();
        Direction direction = Direction.newBuilder().setName(DIRECTION).setSeed(seed.getName())
                .setBaseCommit(seed.getCommit()).setDescription("reads bench").setOpenedBy(operator.publicId().toByteString())
                .setOpenedMs(time[0]++).build();
        store.inTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), time[0]);
            tx.insertDirection(direction, Envelopes.sign(operator, direction), time[0]);
            return null;
        });
        for (int done = 0; done < results; done += 100) {
            int batch = Math.min(100, results - done);
            store.inTransaction(tx -> {
                for (int i = 0; i < batch; i++) {
                    String commit = commit(random);
                    Experiment e = Experiment.newBuilder().setSeed(seed.getName()).setDirection(DIRECTION)
                            .setCommit(commit).setParent(seed.getCommit()).setProposer(operator.publicId().toByteString())
                            .setDescription("try " + commit.substring(0, 6)).setCreatedMs(time[0]++).build();
                    tx.insertExperiment(e, Envelopes.sign(operator, e), time[0]);
                    Result r = Result.newBuilder().setWorkUnitId("u-" + commit).setSeed(seed.getName())
                            .setDirection(DIRECTION).setCommit(commit).setParent(seed.getCommit())
                            .setStatus(Result.Status.OK).setMetricName(seed.getManifest().getMetric().getName())
                            .setMetric(3.0 + random.nextDouble()).setHardwareClass("cpu:x86_64").setRuntimeMs(1000)
                            .setRunner(operator.publicId().toByteString()).setTimeMs(time[0]++).build();
                    var envelope = Envelopes.sign(operator, r);
                    tx.insertResult(r, envelope, Envelopes.id(envelope), time[0]);
                }
                return null;
            });
            if ((done / 100) % 10 == 9) {
                progress.printf("  %d of %d%n", done + batch, results);
            }
        }
    }

    /** What a claim compares a hypothesis with: recent hypotheses of 4,096 characters and descriptions of 16 KiB. */
    private static List<Similarity.Text> texts(Random random) {
        List<Similarity.Text> texts = new ArrayList<>();
        for (int i = 0; i < TEXTS; i++) {
            texts.add(new Similarity.Text("hypothesis", characters(random, 4096), "", "unit-" + i, i));
            texts.add(new Similarity.Text("description", characters(random, 16 << 10), "commit-" + i, i));
        }
        return texts;
    }

    private static String characters(Random random, int length) {
        StringBuilder text = new StringBuilder();
        while (text.length() < length) {
            text.append(word(random)).append(' ');
        }
        return text.substring(0, length);
    }

    private static String words(Random random, int n) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n; i++) {
            text.append(i == 0 ? "" : " ").append(word(random));
        }
        return text.toString();
    }

    /** One of about 5,000 words of 3 to 9 letters, so that texts share words as prose does. */
    private static String word(Random random) {
        Random w = new Random(random.nextInt(5000));
        StringBuilder word = new StringBuilder();
        for (int i = 3 + w.nextInt(7); i > 0; i--) {
            word.append((char) ('a' + w.nextInt(26)));
        }
        return word.toString();
    }

    private static String commit(Random random) {
        byte[] bytes = new byte[20];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static String get(HttpClient http, String url) {
        try {
            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + response.statusCode() + ": "
                        + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
            }
            return url;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static double medianMs(Supplier<Object> read, int repeats) {
        for (int i = 0; i < Math.min(repeats, 50); i++) {
            read.get();  // warm-up: classes load, the JIT starts
        }
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            read.get();
            nanos.add(System.nanoTime() - start);
        }
        Collections.sort(nanos);
        return nanos.get(nanos.size() / 2) / 1e6;
    }
}
