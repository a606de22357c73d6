package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The list routes page over real HTTP (docs/api.md "Paging"): {@code limit} and {@code after} in,
 * the existing keys plus {@code next} out; bad values are 400s naming the parameter; records
 * accepted between two pages are neither skipped nor repeated.
 */
class ListPagingTest {
    @TempDir
    Path dataDir;

    private final Identity author = Identity.generate();

    private SignedEnvelope publishPaper(Harness h, int n) {
        SignedEnvelope e = h.api.sign(author, Paper.newBuilder().setDirection(Harness.DIRECTION)
                .setTitle("finding " + n).setAuthor(author.publicId().toByteString()).setCreatedMs(h.clock.millis())
                .build());
        h.api.post("/v1/papers", e).ack();
        return e;
    }

    private static String page(String path, int limit, String after) {
        return path + (path.contains("?") ? "&" : "?") + "limit=" + limit
                + (after.isEmpty() ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
    }

    @Test
    void theAuditTrailAndPapersComeInPagesThatAddUpToTheWholeList() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            List<SignedEnvelope> papers = new ArrayList<>();
            for (int i = 0; i < 103; i++) {
                papers.add(publishPaper(h, i));
            }
            // Without parameters: the default page of 100, every existing key, a next cursor, and the
            // cursor at the page's newest entry (to ask later for what came since)
            ApiClient.Response first = h.api.get("/v1/audit");
            assertThat(first.status()).isEqualTo(200);
            JsonObject json = JsonParser.parseString(first.text()).getAsJsonObject();
            assertThat(json.keySet()).containsExactlyInAnyOrder("envelopes", "next", "newest", "sealed");
            assertThat(json.getAsJsonArray("sealed")).as("papers are never sealed").isEmpty();
            assertThat(json.getAsJsonArray("envelopes")).hasSize(100);
            assertThat(json.get("next").getAsString()).isNotEmpty();

            List<SignedEnvelope> audit = walk(h, "/v1/audit", 7);
            assertThat(audit).hasSize(2 + 103);
            assertThat(audit.subList(2, audit.size())).containsExactlyElementsOf(papers);
            assertThat(walk(h, "/v1/audit", 1000)).containsExactlyElementsOf(audit);

            List<SignedEnvelope> newestFirst = new ArrayList<>(papers);
            Collections.reverse(newestFirst);
            assertThat(walk(h, "/v1/papers", 10)).containsExactlyElementsOf(newestFirst);
            assertThat(walk(h, "/v1/papers?direction=" + Harness.DIRECTION, 50)).containsExactlyElementsOf(newestFirst);
            assertThat(h.api.get("/v1/papers?direction=other").status()).as("a direction never opened").isEqualTo(404);

            // The last page says there is no more: next is empty.
            EnvelopeList last = h.api.get("/v1/audit?limit=1000", EnvelopeList.newBuilder()).build();
            assertThat(last.getEnvelopesCount()).isEqualTo(105);
            assertThat(last.getNext()).isEmpty();
        }
    }

    @Test
    void recordsAcceptedBetweenPagesAreNeitherSkippedNorRepeated() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF).withSeedAndDirection()) {
            for (int i = 0; i < 10; i++) {
                publishPaper(h, i);
            }
            List<SignedEnvelope> audit = new ArrayList<>();
            List<SignedEnvelope> papers = new ArrayList<>();
            String afterAudit = "";
            String afterPapers = "";
            int n = 10;
            for (int round = 0; round < 6; round++) {
                EnvelopeList a = h.api.get(page("/v1/audit", 4, afterAudit), EnvelopeList.newBuilder()).build();
                audit.addAll(a.getEnvelopesList());
                afterAudit = a.getNext().isEmpty() ? afterAudit : a.getNext();
                EnvelopeList p = h.api.get(page("/v1/papers", 3, afterPapers), EnvelopeList.newBuilder()).build();
                papers.addAll(p.getEnvelopesList());
                afterPapers = p.getNext();
                // new records arrive between pages
                publishPaper(h, n++);
                publishPaper(h, n++);
                if (afterPapers.isEmpty()) {
                    break;
                }
            }
            // the audit trail read on to its end takes in what arrived meanwhile, once each
            while (true) {
                EnvelopeList a = h.api.get(page("/v1/audit", 4, afterAudit), EnvelopeList.newBuilder()).build();
                audit.addAll(a.getEnvelopesList());
                if (a.getNext().isEmpty()) {
                    break;
                }
                afterAudit = a.getNext();
            }
            List<SignedEnvelope> whole = walk(h, "/v1/audit", 1000);
            assertThat(audit).as("the audit trail, each record once, in order").containsExactlyElementsOf(whole);
            // papers are newest first: the walk that began before the newer ones keeps to the older ones
            Set<SignedEnvelope> distinct = new HashSet<>(papers);
            assertThat(distinct).hasSameSizeAs(papers);
            List<SignedEnvelope> older = new ArrayList<>(whole.subList(2, 12));
            Collections.reverse(older);
            assertThat(papers).containsExactlyElementsOf(older);
        }
    }

    @Test
    void unitsPageByStateAndEveryListRouteAddsNext() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01, 5), ApiClient.Format.JSON).withSeedAndDirection()) {
            List<UnitStatus> all = new ArrayList<>();
            String after = "";
            do {
                UnitList page = h.api.get(page("/v1/units?state=OPEN", 2, after), UnitList.newBuilder()).build();
                assertThat(page.getUnitsCount()).isLessThanOrEqualTo(2);
                all.addAll(page.getUnitsList());
                after = page.getNext();
            } while (!after.isEmpty());
            assertThat(all).hasSize(5).allMatch(u -> u.getState() == UnitStatus.State.OPEN);
            assertThat(all).extracting(u -> u.getUnit().getId()).doesNotHaveDuplicates();

            for (String route : List.of("/v1/seeds", "/v1/directions", "/v1/experiments", "/v1/results", "/v1/papers",
                    "/v1/units", "/v1/audit", "/v1/volunteers", "/v1/adoptions",
                    "/v1/trials?direction=" + Harness.DIRECTION)) {
                ApiClient.Response r = h.api.get(page(route, 1, ""));
                assertThat(r.status()).as(route).isEqualTo(200);
                assertThat(JsonParser.parseString(r.text()).getAsJsonObject().has("next")).as(route).isTrue();
            }
        }
    }

    @Test
    void badPageParametersAreRefusedNamingTheParameter() throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON).withSeedAndDirection()) {
            for (String limit : List.of("0", "1001", "-1", "abc", "1e3", "99999999999", "+5", " 5")) {
                ApiClient.Response r = h.api.get("/v1/audit?limit=" + URLEncoder.encode(limit, StandardCharsets.UTF_8));
                assertThat(r.status()).as("limit=%s", limit).isEqualTo(400);
                assertThat(r.error().getCode()).isEqualTo(Error.Code.BAD_REQUEST);
                assertThat(r.error().getMessage()).contains("query parameter limit").contains("1 to 1000");
            }
            for (String after : List.of("garbage!", "bm90IGEgY3Vyc29y", "x".repeat(2000))) {
                ApiClient.Response r = h.api.get("/v1/results?after=" + after);
                assertThat(r.status()).as("after=%s", after).isEqualTo(400);
                assertThat(r.error().getMessage()).contains("query parameter after");
            }
            publishPaper(h, 1);
            publishPaper(h, 2);
            String auditCursor = h.api.get("/v1/audit?limit=1", EnvelopeList.newBuilder()).getNext();
            assertThat(auditCursor).isNotEmpty();
            ApiClient.Response wrongList = h.api.get("/v1/papers?after=" + auditCursor);
            assertThat(wrongList.status()).isEqualTo(400);
            assertThat(wrongList.error().getMessage()).contains("cursor of another list");
            assertThat(h.api.get("/v1/audit?limit=1&after=" + auditCursor).status()).isEqualTo(200);
            assertThat(h.api.get("/v1/audit?limit=1000&after=").status()).as("an empty after is the first page")
                    .isEqualTo(200);
        }
    }

    private static List<SignedEnvelope> walk(Harness h, String path, int limit) {
        List<SignedEnvelope> all = new ArrayList<>();
        String after = "";
        while (true) {
            EnvelopeList page = h.api.get(page(path, limit, after), EnvelopeList.newBuilder()).build();
            assertThat(page.getEnvelopesCount()).isLessThanOrEqualTo(limit);
            all.addAll(page.getEnvelopesList());
            if (page.getNext().isEmpty()) {
                return all;
            }
            after = page.getNext();
        }
    }
}
