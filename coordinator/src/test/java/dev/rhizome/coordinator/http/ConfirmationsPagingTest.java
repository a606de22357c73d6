package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ConfirmationRule;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.ConfirmationList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.SeedCommitment;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/confirmations} over real HTTP: its seed commitments (one per candidate registered,
 * for good) and confirmations were served whole in one answer, so any client could make the
 * coordinator read and encode the whole history per request. Now a page, as every list is.
 */
class ConfirmationsPagingTest {
    /** Candidates in the history: more than a default page of 100 in either list. */
    private static final int CANDIDATES = 260;

    @TempDir
    Path dataDir;

    private final List<String> commits = new ArrayList<>();

    /**
     * Every GET route that answers with a list takes {@code limit} and {@code after}; the others
     * are one record, or bounded by a fixed count, named here with their bound. A new list route
     * without paging fails this until it pages or says its bound.
     */
    @Test
    void everyListRouteIsPagedOrNamesItsBound() {
        Map<String, String> bounded = Map.of(
                "/v1/dashboard", "one summary; its lists capped (DashboardView)",
                "/v1/experiment", "one commit's report, 4 MiB at most",
                "/v1/experiment-reports", "the commits asked for, 20 at most, 4 MiB at most",
                "/v1/stats", "counts",
                "/v1/peers", "PeerDirectory.MAX_PEERS_LISTED",
                "/v1/nodes", "PeerDirectory.MAX_NODES_LISTED",
                "/v1/leaderboard", "limit, and 4 MiB at most",
                "/v1/under-way", "one direction's explorations held now, Views.UNDER_WAY at most");
        Set<String> unpaged = new TreeSet<>();
        for (String path : RouteTable.paths("GET")) {
            Set<String> params = RouteTable.params(path);
            if (path.startsWith("/v1/") && !(params.contains("limit") && params.contains("after"))
                    && !bounded.containsKey(path)) {
                unpaged.add(path);
            }
        }
        assertThat(unpaged).as("GET routes that answer a whole list").isEmpty();
    }

    @Test
    void confirmationsAndSeedCommitmentsComeInPagesThatAddUpToBothWholeLists() throws Exception {
        storeHistory();
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.PROTOBUF)) {
            ConfirmationList first = h.api.get("/v1/confirmations", ConfirmationList.newBuilder()).build();
            assertThat(first.getSeedCommitmentsCount() + first.getConfirmationsCount())
                    .as("the default page: 100 keys (a candidate's two records share one)").isBetween(100, 101);
            assertThat(first.getNext()).isNotEmpty();

            for (int limit : new int[] {1, 7, 1000}) {
                ConfirmationList all = walk(h, "/v1/confirmations", limit);
                assertThat(all.getSeedCommitmentsList()).extracting(SeedCommitment::getCommit)
                        .as("limit %d", limit).containsExactlyElementsOf(commits);
                assertThat(all.getConfirmationsList()).extracting(Confirmation::getCommit)
                        .as("limit %d", limit).containsExactlyElementsOf(confirmed());
            }
            assertThat(h.api.get("/v1/confirmations?direction=other").status()).as("no direction of that name")
                    .isEqualTo(404);
            h.withSeedAndDirection();
            h.api.signAndPost("/v1/directions", h.operator, Fixtures.direction(h.operator, "other", Harness.SEED,
                    h.seedCommit, h.clock.millis())).ack();
            ConfirmationList one = walk(h, "/v1/confirmations?direction=other", 5);
            assertThat(one.getSeedCommitmentsList()).extracting(SeedCommitment::getCommit).containsExactly(elsewhere);
            assertThat(one.getConfirmationsList()).extracting(Confirmation::getCommit).containsExactly(elsewhere);

            ApiClient.Response tooMany = h.api.get("/v1/confirmations?limit=1001");
            assertThat(tooMany.status()).isEqualTo(400);
            assertThat(tooMany.error().getMessage()).contains("query parameter limit");
            ApiClient.Response garbage = h.api.get("/v1/confirmations?after=garbage!");
            assertThat(garbage.status()).isEqualTo(400);
            assertThat(garbage.error().getCode()).isEqualTo(Error.Code.BAD_REQUEST);
            assertThat(garbage.error().getMessage()).contains("query parameter after");
        }
    }

    @Test
    void theJsonAnswerKeepsItsKeysAndAddsNext() throws Exception {
        storeHistory();
        try (Harness h = new Harness(dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON)) {
            ApiClient.Response r = h.api.get("/v1/confirmations?limit=3");
            assertThat(r.status()).isEqualTo(200);
            assertThat(JsonParser.parseString(r.text()).getAsJsonObject().keySet())
                    .containsExactlyInAnyOrder("confirmations", "seed_commitments", "next");
        }
    }

    /**
     * The history, stored before the coordinator starts: a commitment per candidate, two
     * candidates an audit count (the commit orders them), and a confirmation for every third,
     * under its commitment's key; the first candidate is another direction's.
     */
    private void storeHistory() throws Exception {
        byte[] secret = new byte[ConfirmationRule.SECRET_BYTES];
        for (int i = 0; i < CANDIDATES; i++) {
            commits.add(Fixtures.commit());
        }
        try (SqliteStore store = SqliteStore.open(dataDir)) {
            store.inTransaction(tx -> {
                for (int i = 0; i < CANDIDATES; i++) {
                    String direction = i == 0 ? "other" : Harness.DIRECTION;
                    tx.commitSeedSecret(SeedCommitment.newBuilder().setDirection(direction).setCommit(commits.get(i))
                            .setAuditCount(i / 2).setCommittedMs(5)
                            .setCommitment(ByteString.copyFrom(ConfirmationRule.commitment(secret))).build(), secret);
                    if (i % 3 == 0) {
                        tx.saveConfirmation(Confirmation.newBuilder().setDirection(direction).setCommit(commits.get(i))
                                .setFrontier("f").setHardwareClass("cpu").setState(Confirmation.State.CONFIRMING)
                                .setDrawnMs(5).setAuditCount(i / 2).setDerivation(Confirmation.Derivation.DERIVED)
                                .addRandomSeeds(i).build());
                    }
                }
                return null;
            });
        }
        for (int i = 0; i < CANDIDATES; i++) {
            index.put(commits.get(i), i);
        }
        elsewhere = commits.get(0);
        // the order served: by audit count, then commit
        commits.sort(Comparator.comparing((String c) -> index.get(c) / 2).thenComparing(Comparator.naturalOrder()));
    }

    /** The one candidate of another direction. */
    private String elsewhere;

    /** Each candidate's place in the history as stored. */
    private final Map<String, Integer> index = new HashMap<>();

    private List<String> confirmed() {
        return commits.stream().filter(c -> index.get(c) % 3 == 0).toList();
    }

    private static ConfirmationList walk(Harness h, String path, int limit) {
        ConfirmationList.Builder all = ConfirmationList.newBuilder();
        String after = "";
        while (true) {
            ConfirmationList page = h.api.get(path + (path.contains("?") ? "&" : "?") + "limit=" + limit
                    + (after.isEmpty() ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8)),
                    ConfirmationList.newBuilder()).build();
            assertThat(page.getSeedCommitmentsCount() + page.getConfirmationsCount())
                    .as("a page holds its limit's keys, and a candidate's two records share one")
                    .isLessThanOrEqualTo(limit + 1);
            all.addAllConfirmations(page.getConfirmationsList()).addAllSeedCommitments(page.getSeedCommitmentsList());
            if (page.getNext().isEmpty()) {
                return all.build();
            }
            assertThat(page.getNext()).isNotEqualTo(after);
            after = page.getNext();
        }
    }
}
