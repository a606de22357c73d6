package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.RecordBounds;
import dev.rhizome.coordinator.service.DashboardView;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.ExperimentList;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One key against the size of what the coordinator stores and sends back, on a real coordinator
 * on loopback: fields of signed records are bounded (a megabyte of description or hardware class
 * was stored, and shown on the dashboard, for anyone who asked), list pages are bounded in bytes as
 * well as items, and the dashboard shows a bounded amount whatever one key publishes.
 */
class HostileRecordsTest extends OnEachStore {
    /** The store under the coordinator: what a replay, a quota or a race meets differs between the two. */
    private final Identity attacker = Identity.generate();

    @BeforeEach
    void start() throws Exception {
        open(Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF, CoordinatorLimits.defaults()).withSeedAndDirection();
    }

    private CoordinatorStats stats() {
        return h.api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
    }

    private static void assertRefusedNaming(ApiClient.Response response, String field) {
        assertThat(response.status()).as(response.text()).isEqualTo(400);
        assertThat(response.error().getCode()).isEqualTo(Error.Code.BAD_REQUEST);
        assertThat(response.error().getMessage()).contains(field).contains("at most");
    }

    private Paper.Builder paper(String title, long createdMs) {
        return Paper.newBuilder().setAuthor(attacker.publicId().toByteString()).setDirection(DIRECTION)
                .setTitle(title).setBodyMarkdown("findings").setCreatedMs(createdMs);
    }

    @Test
    void oversizedFieldsOfSignedRecordsAreRefusedByNameAndStoreNothing() {
        long now = h.clock.millis();
        CoordinatorStats before = stats();
        // each of these was accepted and stored: about 600 KB a request, shown to every dashboard
        String huge = "x".repeat(300_000);
        assertRefusedNaming(h.api.signAndPost("/v1/experiments", attacker, Fixtures.experiment(attacker, SEED,
                DIRECTION, Fixtures.commit(), h.seedCommit, now).toBuilder().setDescription(huge).build()),
                "Experiment.description");
        Paper.Builder manyCommits = paper("many commits", now);
        for (int i = 0; i < 5_000; i++) {
            manyCommits.addCommits(Fixtures.commit());
        }
        assertRefusedNaming(h.api.signAndPost("/v1/papers", attacker, manyCommits.build()), "Paper.commits");
        assertRefusedNaming(h.api.signAndPost("/v1/announce", attacker, NodeAnnouncement.newBuilder()
                .setNode(attacker.publicId().toByteString()).setHost("127.0.0.1").setPort(7000)
                .setHardwareClass(huge).setTimeMs(now).build()), "NodeAnnouncement.hardware_class");
        assertRefusedNaming(h.api.signAndPost("/v1/claim", attacker, ClaimRequest.newBuilder()
                .setNode(attacker.publicId().toByteString()).setHardwareClass(huge).setTimeMs(now)
                .setNonce(Fixtures.nonce()).build()), "ClaimRequest.hardware_class");
        var unit = h.claimEvaluation(attacker, h.seedCommit);
        assertRefusedNaming(h.api.signAndPost("/v1/results", attacker, Fixtures.result(attacker, unit, 3.0, now)
                .toBuilder().setReason(huge).build()), "Result.reason");

        CoordinatorStats after = stats();
        assertThat(after.getExperiments()).isEqualTo(before.getExperiments());
        assertThat(after.getPapers()).isEqualTo(before.getPapers());
        assertThat(after.getResults()).isEqualTo(before.getResults());
        assertThat(after.getNodes()).isEqualTo(before.getNodes());
        // the honest sizes still go through
        assertThat(h.api.signAndPost("/v1/results", attacker, Fixtures.result(attacker, unit, 3.0, now)
                .toBuilder().setReason("r".repeat(2_000)).build()).status()).isEqualTo(200);
    }

    @Test
    void aPageOfLargeRecordsEndsEarlyInBytesAndTheWalkStillReadsEachOnce() {
        // 80 papers of 64 KiB: a page of 1,000 was 80 x 64 KiB (any key may publish 1,000 of them)
        long now = h.clock.millis();
        Set<String> published = new HashSet<>();
        for (int i = 0; i < 80; i++) {
            SignedEnvelope e = h.api.sign(attacker, paper("paper " + i, now)
                    .setBodyMarkdown("p".repeat(64 * 1024)).build());
            assertThat(h.api.post("/v1/papers", e).status()).isEqualTo(200);
            published.add(Envelopes.id(e));
        }
        for (String list : new String[] {"/v1/papers", "/v1/audit"}) {
            EnvelopeList first = h.api.get(list + "?limit=1000", EnvelopeList.newBuilder()).build();
            assertThat(first.getSerializedSize()).as(list).isLessThan(PageRequest.MAX_PAGE_BYTES + (128 << 10));
            assertThat(first.getEnvelopesCount()).as(list).isLessThan(80);
            assertThat(first.getNext()).as(list).isNotEmpty();

            Set<String> seen = new HashSet<>();
            int read = 0;
            String after = "";
            do {
                EnvelopeList page = h.api.get(list + "?limit=1000" + (after.isEmpty() ? "" : "&after=" + after),
                        EnvelopeList.newBuilder()).build();
                for (SignedEnvelope e : page.getEnvelopesList()) {
                    seen.add(Envelopes.id(e));
                    read++;
                }
                after = page.getNext();
            } while (!after.isEmpty());
            assertThat(seen).as(list).containsAll(published);
            assertThat(read).as(list + ": each read once").isEqualTo(seen.size());
        }
    }

    @Test
    void aNewestListIsCutAtThePagesBytesToo() {
        // 300 experiments with the longest description allowed: about 4.9 MB, all of it in one answer
        long now = h.clock.millis();
        String description = "d".repeat(RecordBounds.MAX_DESCRIPTION_CHARS);
        for (int i = 0; i < 300; i++) {
            assertThat(h.api.signAndPost("/v1/experiments", attacker, Fixtures.experiment(attacker, SEED, DIRECTION,
                    Fixtures.commit(), h.seedCommit, now).toBuilder().setDescription(description).build()).status())
                    .isEqualTo(200);
        }
        var newest = h.api.get("/v1/experiments?direction=" + DIRECTION + "&newest=1000",
                ExperimentList.newBuilder()).build();
        assertThat(newest.getSerializedSize()).isLessThan(PageRequest.MAX_PAGE_BYTES + (64 << 10));
        assertThat(newest.getEnvelopesCount()).isBetween(200, 299);
    }

    @Test
    void anExperimentsReportIsBoundedInBytesAndSaysWhatItLeftOut() {
        long now = h.clock.millis();
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", attacker, Fixtures.experiment(attacker, SEED, DIRECTION, commit,
                h.seedCommit, now)).ack();
        // 80 papers of 60 KB about the commit: 4.8 MB, all of it sent in one answer before
        String body = "y".repeat(60_000);
        for (int i = 0; i < 80; i++) {
            h.api.signAndPost("/v1/papers", attacker, paper("about it " + i, now).setBodyMarkdown(body)
                    .addCommits(commit).build()).ack();
        }
        ApiClient.Response r = h.api.get("/v1/experiment?commit=" + commit);
        assertThat(r.status()).isEqualTo(200);
        var report = r.parse(ExperimentReport.newBuilder()).build();
        assertThat(report.getSerializedSize()).isLessThanOrEqualTo(PageRequest.MAX_PAGE_BYTES + 64 * 1024);
        assertThat(report.getPapersLeftOut()).isPositive();
        assertThat(report.getPapersCount() + report.getPapersLeftOut()).isEqualTo(80);
        assertThat(report.getResultsLeftOut()).isZero();
    }

    @Test
    void aLeaderboardIsBoundedInBytesAndSaysWhatItLeftOut() {
        long now = h.clock.millis();
        // descriptions of 16,384 three-byte characters: 48 KB an entry; 100 ranked experiments are 4.8 MB
        String description = "\u20ac".repeat(16_384);
        int experiments = 100;
        for (int i = 0; i < experiments; i++) {
            h.api.signAndPost("/v1/experiments", attacker, Fixtures.experiment(attacker, SEED, DIRECTION,
                    Fixtures.commit(), h.seedCommit, now).toBuilder().setDescription(description).build()).ack();
        }
        Identity runner = Identity.generate();
        for (var unit = h.api.claim(runner); unit != null; unit = h.api.claim(runner)) {
            h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 3.0, now)).ack();
        }
        ApiClient.Response r = h.api.get("/v1/leaderboard?direction=" + DIRECTION);
        assertThat(r.status()).isEqualTo(200);
        var boards = r.parse(LeaderboardList.newBuilder()).build();
        assertThat(boards.getSerializedSize()).isLessThanOrEqualTo(PageRequest.MAX_PAGE_BYTES + 64 * 1024);
        var board = boards.getLeaderboards(0);
        assertThat(board.getEntriesLeftOut()).isPositive();
        assertThat(board.getEntriesCount() + board.getEntriesLeftOut()).isGreaterThanOrEqualTo(experiments);
        // a limit below the bound leaves nothing out
        var top = h.api.get("/v1/leaderboard?direction=" + DIRECTION + "&limit=10",
                LeaderboardList.newBuilder()).build().getLeaderboards(0);
        assertThat(top.getEntriesCount()).isEqualTo(10);
        assertThat(top.getEntriesLeftOut()).isZero();
    }

    @Test
    void theDashboardShowsABoundedAmountWhateverOneKeyPublishes() {
        long now = h.clock.millis();
        String longest = "<script>alert(1)</script>" + "d".repeat(16_000);
        assertThat(h.api.signAndPost("/v1/experiments", attacker, Fixtures.experiment(attacker, SEED, DIRECTION,
                Fixtures.commit(), h.seedCommit, now).toBuilder().setDescription(longest).build()).status())
                .isEqualTo(200);
        for (int i = 0; i < 25; i++) {
            assertThat(h.api.signAndPost("/v1/papers", attacker, paper("t" + i, now).build()).status()).isEqualTo(200);
        }
        // More directions than the page shows (here the operator's; without operators anyone's):
        // the first ones opened stay on the page.
        for (int i = 0; i < DashboardView.DIRECTIONS_SHOWN + 2; i++) {
            assertThat(h.api.signAndPost("/v1/directions", h.operator, Fixtures.direction(h.operator, "more-" + i,
                    SEED, h.seedCommit, now)).status()).isEqualTo(200);
        }

        JsonObject dashboard = JsonParser.parseString(h.api.get("/v1/dashboard").text()).getAsJsonObject();
        var directions = dashboard.getAsJsonArray("directions");
        assertThat(directions.size()).isEqualTo(DashboardView.DIRECTIONS_SHOWN);
        assertThat(dashboard.get("directions_total").getAsInt()).isEqualTo(DashboardView.DIRECTIONS_SHOWN + 3);
        assertThat(directions.get(0).getAsJsonObject().get("name").getAsString()).isEqualTo(DIRECTION);
        var tree = directions.get(0).getAsJsonObject().getAsJsonArray("tree");
        String shown = StreamSupport.stream(tree.spliterator(), false).map(n -> n.getAsJsonObject().get("description").getAsString())
                .filter(d -> d.startsWith("<script>")).findFirst().orElseThrow();
        assertThat(shown).hasSizeLessThanOrEqualTo(303).endsWith("...");
        assertThat(dashboard.getAsJsonArray("papers")).hasSize(20);
        assertThat(dashboard.getAsJsonArray("papers").get(0).getAsJsonObject().get("title").getAsString())
                .isEqualTo("t24");
    }

    @Test
    void textThatDrivesATerminalOrReordersItIsRefusedByFieldAndStoresNothing() {
        long now = h.clock.millis();
        CoordinatorStats before = stats();
        // Each was stored and sent back as is: an OSC that retitles the operator's terminal, a CSI
        // that clears it, a carriage return that overwrites what came before, and a right-to-left
        // override that shows "gpu:h100" for a class spelled backwards; `rhizome results` and
        // `rhizome leaderboard` print hardware classes raw.
        String[] hostile = {"\u001b]0;owned\u0007", "\u001b[2J", "real\rfake", "\u202e001h:upg", "nul\u0000", "c1\u009b31m",
                "line\u2028break"};
        for (String text : hostile) {
            assertRefusedForText(h.api.signAndPost("/v1/papers", attacker, paper("t" + text, now).build()), "Paper.title");
            assertRefusedForText(h.api.signAndPost("/v1/experiments", attacker, Fixtures.experiment(attacker, SEED,
                    DIRECTION, Fixtures.commit(), h.seedCommit, now).toBuilder().setDescription("try " + text).build()),
                    "Experiment.description");
            assertRefusedForText(h.api.signAndPost("/v1/announce", attacker, NodeAnnouncement.newBuilder()
                    .setNode(attacker.publicId().toByteString()).setHost("127.0.0.1").setPort(4000)
                    .setHardwareClass("cpu" + text).setTimeMs(now).build()), "NodeAnnouncement.hardware_class");
            assertRefusedForText(h.api.signAndPost("/v1/claim", attacker, ClaimRequest.newBuilder()
                    .setNode(attacker.publicId().toByteString()).setHardwareClass("cpu" + text).setTimeMs(now)
                    .setNonce(Fixtures.nonce()).build()), "ClaimRequest.hardware_class");
        }
        assertThat(stats()).as("nothing stored, no lease taken").isEqualTo(before);
        // Line breaks and tabs in free text, and any printable script, are still text.
        h.api.signAndPost("/v1/papers", attacker, paper("Lernrate \u00fcberpr\u00fcft \u5b66\u4e60\u7387 \u05e9\u05dc\u05d5\u05dd", now)
                .setBodyMarkdown("# Findings\n\n\tindented\nnext line").build()).ack();
    }

    private static void assertRefusedForText(ApiClient.Response response, String field) {
        assertThat(response.status()).as(response.text()).isEqualTo(400);
        assertThat(response.error().getCode()).isEqualTo(Error.Code.BAD_REQUEST);
        assertThat(response.error().getMessage()).contains(field).contains("control");
    }

    @Test
    void aResultMustNameItsUnitsParent() {
        Identity runner = Identity.generate();
        WorkUnit unit = h.claimEvaluation(runner, h.seedCommit);
        // any parent was stored with the result: the unit's record and the result's disagreed
        Result wrong = Fixtures.result(runner, unit, 3.0, h.clock.millis()).toBuilder().setParent(Fixtures.commit()).build();
        ApiClient.Response refused = h.api.signAndPost("/v1/results", runner, wrong);
        assertThat(refused.status()).as(refused.text()).isEqualTo(400);
        assertThat(refused.error().getMessage()).contains("result parent").contains("does not match work unit");
        h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 3.0, h.clock.millis())).ack();
    }

    @Test
    void aResultMustNameItsUnitsProposer() {
        Identity runner = Identity.generate();
        Identity victim = Identity.generate();
        WorkUnit unit = h.claimEvaluation(runner, h.seedCommit);
        // a crash is charged to the result's proposer: naming another key would blame it
        Result blaming = Fixtures.result(runner, unit, 3.0, h.clock.millis()).toBuilder()
                .setStatus(Result.Status.CRASH).setProposer(victim.publicId().toByteString()).build();
        ApiClient.Response refused = h.api.signAndPost("/v1/results", runner, blaming);
        assertThat(refused.status()).as(refused.text()).isEqualTo(400);
        assertThat(refused.error().getMessage()).contains("result proposer " + PublicId.hex(victim.publicId().toByteString()))
                .contains("does not match work unit");
        h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 3.0, h.clock.millis())).ack();
    }
}
