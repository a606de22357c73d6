package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.PrometheusText;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one unauthenticated {@code GET /v1/papers?search=} makes the coordinator do is bounded, on
 * the wire: papers as large as a paper may be (64 KiB), written so that a search nearly matches
 * everywhere, cost the server a few milliseconds a paper, not the text's length times the word's
 * ({@code String.contains} took 63 ms a paper, alone, for a word of 999 {@code a}s and a {@code b}, over
 * 150 papers 2 s of CPU for one request, measured here), and a page's walk stops at a bound on bytes times words,
 * with {@code next}, rather than search every one of up to 2,000 papers; following {@code next}
 * still finds every match. Real coordinator on loopback, SQLite.
 */
class PaperSearchWorkTest {
    private static final int PAPERS = 150;
    /** A paper's text near the 64 KiB bound: what makes each paper looked at dear. */
    private static final String TEXT = "a".repeat(60_000);

    @TempDir
    Path dir;

    @Test
    void aSearchCostsBoundedWorkPerRequestAndItsPagesStillFindEveryMatch() throws Exception {
        Identity author = Identity.generate();
        List<String> matching = new ArrayList<>();
        try (SqliteStore store = SqliteStore.open(dir)) {
            for (int i = 0; i < PAPERS; i++) {
                // the oldest paper holds the four words of the second search; none holds the first's
                String body = i == 0 ? TEXT + " red green blue gold" : TEXT;
                Paper paper = Paper.newBuilder().setDirection(Harness.DIRECTION).setTitle("finding " + i)
                        .setBodyMarkdown(body).setAuthor(author.publicId().toByteString()).setCreatedMs(1 + i).build();
                SignedEnvelope e = Envelopes.sign(author, paper);
                if (i == 0) {
                    matching.add(Envelopes.id(e));
                }
                int n = i;
                store.inTransaction(tx -> {
                    tx.insertPaper(paper, e, Envelopes.id(e), 1 + n);
                    return null;
                });
            }
        }
        try (Harness h = new Harness(dir, Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF)) {
            // a word that nearly matches at every position of every paper: linear search or not decides.
            // Its CPU is held against, in the same run, a search of a word that misses at once over the
            // same papers (both after a first near-miss search has warmed the path): linear, about the same;
            // text length times word length, some hundreds of times more (an absolute bound of 0.5 s
            // failed once at 0.52 s on a quiet machine: the first search ran the code interpreted).
            searchCpu(h, "a".repeat(500) + "c");
            double baseline = searchCpu(h, "zzzz");
            double spent = searchCpu(h, "a".repeat(999) + "b");
            assertThat(spent).as("server CPU for one near-miss search over %d papers of 60 KB, s, against %.3f s for "
                    + "a word missing at once", PAPERS, baseline).isLessThan(Math.max(10 * baseline, 0.05));

            // four words over 60 KB papers: about 140 papers' worth of work a page, so the walk stops
            // short of the oldest (the only match), says where to go on, and the next page finds it
            String search = "/v1/papers?search=" + URLEncoder.encode("red green blue gold", StandardCharsets.UTF_8);
            EnvelopeList first = h.api.get(search, EnvelopeList.newBuilder()).build();
            assertThat(first.getEnvelopesList()).as("the first page's walk stopped at its work bound").isEmpty();
            assertThat(first.getNext()).as("a page cut short says where to go on").isNotEmpty();
            List<String> found = new ArrayList<>();
            String next = first.getNext();
            int pages = 1;
            while (!next.isEmpty()) {
                EnvelopeList page = h.api.get(search + "&after=" + URLEncoder.encode(next, StandardCharsets.UTF_8),
                        EnvelopeList.newBuilder()).build();
                page.getEnvelopesList().forEach(e -> found.add(Envelopes.id(e)));
                next = page.getNext();
                assertThat(++pages).as("the walk moves on each page").isLessThan(PAPERS);
            }
            assertThat(found).as("every match found by following next").isEqualTo(matching);
        }
    }

    /** The server's CPU for one {@code GET /v1/papers?search=word}, s. */
    private static double searchCpu(Harness h, String word) {
        double before = papersCpu(h);
        ApiClient.Response answer = h.api.get("/v1/papers?search=" + word);
        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        return papersCpu(h) - before;
    }

    private static double papersCpu(Harness h) {
        return PrometheusText.parse(h.api.get("/metrics").text())
                .value("rhizome_http_cpu_seconds_total", Map.of("route", "/v1/papers"));
    }
}
