package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.rhizome.client.agent.SeenMarks;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agents' "what is new" reads: `papers --new` and brief's count of new papers, `papers
 * --search`/`--commit` paged by the coordinator (a page of N matches, `next` right), `results
 * --limit` read newest at the coordinator, and the seen marks kept per network, under a lock. Real
 * coordinator and commands.
 */
class WhatIsNewReadsTest {
    private static final String DIRECTION = "news";

    @TempDir
    Path dir;

    private String url;
    private Seed seed;
    private CoordinatorClient operator;

    @Test
    void papersNewShowsOnlyWhatWasPublishedSinceThisDataDirectoryLastAskedAndBriefCountsIt() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            start(coordinator);
            List<String> titles = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                titles.add(publish("paper " + i, "body"));
            }
            JsonObject brief = ok("brief", "--direction", DIRECTION, "--json").json().getAsJsonObject("new_since_last_look");
            assertThat(brief.get("papers_marked").getAsBoolean()).isFalse();
            assertThat(brief.get("papers_command").getAsString()).isEqualTo("rhizome papers --direction news --new --data-dir "
                    + Shell.quote(dir.resolve("agent")) + " --coordinator " + url);

            JsonObject firstLook = ok("papers", "--direction", DIRECTION, "--new", "--limit", "2", "--json").json();
            assertThat(firstLook.get("first_look").getAsBoolean()).isTrue();
            assertThat(titles(firstLook)).containsExactly(titles.get(2), titles.get(1));
            JsonObject nothing = ok("papers", "--direction", DIRECTION, "--new", "--json").json();
            assertThat(titles(nothing)).isEmpty();
            assertThat(nothing.get("first_look").getAsBoolean()).isFalse();
            assertThat(ok("papers", "--direction", DIRECTION, "--new").out()).contains("no new papers since you last looked");

            for (int i = 3; i < 6; i++) {
                titles.add(publish("paper " + i, "body"));
            }
            JsonObject counted = ok("brief", "--direction", DIRECTION, "--json").json().getAsJsonObject("new_since_last_look");
            assertThat(counted.get("papers_marked").getAsBoolean()).isTrue();
            assertThat(counted.get("papers").getAsInt()).isEqualTo(3);
            assertThat(ok("brief", "--direction", DIRECTION).out()).contains("3 paper(s) published since you last looked");

            // more than --limit: the oldest of them (shown newest first), and more_new says to ask again
            JsonObject batch = ok("papers", "--direction", DIRECTION, "--new", "--limit", "2", "--json").json();
            assertThat(titles(batch)).containsExactly(titles.get(4), titles.get(3));
            assertThat(batch.get("more_new").getAsBoolean()).isTrue();
            JsonObject rest = ok("papers", "--direction", DIRECTION, "--new", "--limit", "2", "--json").json();
            assertThat(titles(rest)).containsExactly(titles.get(5));
            assertThat(rest.get("more_new").getAsBoolean()).isFalse();

            CliRun withSearch = cli("papers", "--direction", DIRECTION, "--new", "--search", "x", "--json");
            assertThat(withSearch.code()).isEqualTo(2);
            assertThat(withSearch.json().get("option").getAsString()).isEqualTo("--search");
        }
    }

    @Test
    void searchAndCommitComposeWithPagingAtTheCoordinator() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            start(coordinator);
            List<String> matching = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                if (i % 3 == 0) {
                    matching.add(publish("match " + i, "the Alpha effect, round " + i));
                } else {
                    publish("other " + i, "nothing to see");
                }
            }
            // newest first: match 6, match 3, match 0; two a page, each page full of matches
            JsonObject first = ok("papers", "--direction", DIRECTION, "--search", "alpha EFFECT", "--after",
                    "--limit", "2", "--json").json();
            assertThat(titles(first)).containsExactly(matching.get(2), matching.get(1));
            assertThat(first.get("next").isJsonNull()).isFalse();
            JsonObject second = ok("papers", "--direction", DIRECTION, "--search", "alpha EFFECT", "--after",
                    first.get("next").getAsString(), "--limit", "2", "--json").json();
            assertThat(titles(second)).containsExactly(matching.get(0));
            assertThat(second.get("next").isJsonNull()).isTrue();
            // without --after: the first --limit matches, however they lie among the others
            assertThat(titles(ok("papers", "--direction", DIRECTION, "--search", "alpha", "--limit", "3", "--json").json()))
                    .containsExactly(matching.get(2), matching.get(1), matching.get(0));

            String about = register();
            String paperAbout = publish("about it", "x", about);
            publish("not about it", "x");
            JsonObject byCommit = ok("papers", "--direction", DIRECTION, "--commit", about.substring(0, 10), "--after",
                    "--limit", "1", "--json").json();
            assertThat(titles(byCommit)).containsExactly(paperAbout);
            assertThat(byCommit.get("next").isJsonNull()).isTrue();

            CliRun tooLong = cli("papers", "--search", "w ".repeat(600), "--json");
            assertThat(tooLong.code()).isEqualTo(2);
            assertThat(tooLong.json().get("option").getAsString()).isEqualTo("--search");
        }
    }

    @Test
    void resultsLimitIsTheNewestReadAtTheCoordinatorAndSaysWhatItCounted() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            start(coordinator);
            for (int i = 0; i < 3; i++) {
                register();
            }
            List<String> filed = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                FreshRunner runner = FreshRunner.at(url, "cpu:news");
                WorkUnit unit = runner.claimEvaluation();
                runner.report(unit, Result.Status.OK, "", 2.0);
                filed.add(unit.getId());
            }
            JsonObject newest = ok("results", "--direction", DIRECTION, "--limit", "2", "--json").json();
            assertThat(units(newest)).containsExactly(filed.get(1), filed.get(2));
            assertThat(newest.get("counted").getAsString()).isEqualTo("newest");
            assertThat(newest.get("valid_signatures").getAsInt()).isEqualTo(2);
            JsonObject all = ok("results", "--direction", DIRECTION, "--json").json();
            assertThat(all.get("counted").getAsString()).isEqualTo("all");
            assertThat(all.get("valid_signatures").getAsInt()).isEqualTo(3);
            // across directions too, and of one commit
            assertThat(units(ok("results", "--limit", "1", "--json").json())).containsExactly(filed.get(2));
            String commit = all.getAsJsonArray("results").get(0).getAsJsonObject().get("commit").getAsString();
            assertThat(ok("results", "--commit", commit, "--limit", "5", "--json").json().getAsJsonArray("results"))
                    .isNotEmpty();
        }
    }

    @Test
    void twoUrlsOfOneNetworkShareAMarkAndMarksWrittenAtOnceAreAllKept() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            start(coordinator);
            publish("one", "body");
            ok("papers", "--direction", DIRECTION, "--new", "--json");
            String otherUrl = url.contains("127.0.0.1") ? url.replace("127.0.0.1", "localhost")
                    : url.replace("localhost", "127.0.0.1");
            CliRun viaOther = CliRun.of("papers", "--direction", DIRECTION, "--new", "--json", "--coordinator", otherUrl,
                    "--data-dir", dir.resolve("agent").toString());
            assertThat(viaOther.code()).as(viaOther.err()).isZero();
            assertThat(viaOther.json().get("first_look").getAsBoolean()).as("one network, one mark").isFalse();

            // sixteen marks written at once, each of its own listing: none is lost
            SeenMarks marks = new SeenMarks(dir.resolve("agent"));
            CoordinatorClient client = new CoordinatorClient(url, Identity.generate());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> writes = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    int n = i;
                    writes.add(pool.submit(() -> marks.put(client, "papers", "d" + n, "cursor" + n)));
                }
                for (Future<?> w : writes) {
                    w.get();
                }
            } finally {
                pool.shutdown();
            }
            for (int i = 0; i < 16; i++) {
                assertThat(marks.get(client, "papers", "d" + i)).contains("cursor" + i);
            }
            // a cursor no coordinator writes is refused, never kept
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> marks.put(client, "papers", "d0", "x".repeat(2000)))
                    .hasMessageContaining("at most " + SeenMarks.MAX_CURSOR_CHARS);
            assertThat(marks.get(client, "papers", "d0")).contains("cursor0");
        }
    }

    private void start(Coordinator coordinator) throws CoordinatorException {
        url = coordinator.url();
        operator = new CoordinatorClient(url, Identity.generate());
        seed = OpenDirections.seed(operator, "news", DIRECTION);
    }

    /** Publishes a paper; its title. */
    private String publish(String title, String body, String... commits) throws CoordinatorException {
        operator.publishPaper(Paper.newBuilder().setDirection(DIRECTION).setTitle(title).setBodyMarkdown(body)
                .addAllCommits(List.of(commits)).setAuthor(operator.identity().publicId().toByteString())
                .setCreatedMs(System.currentTimeMillis()).build());
        return title;
    }

    /** Registers an experiment; its commit. */
    private String register() throws CoordinatorException {
        return OpenDirections.register(operator, seed, DIRECTION, "idea");
    }

    private static List<String> titles(JsonObject answer) {
        List<String> out = new ArrayList<>();
        for (JsonElement p : answer.getAsJsonArray("papers")) {
            out.add(p.getAsJsonObject().getAsJsonObject("title").get("text").getAsString());
        }
        return out;
    }

    private static List<String> units(JsonObject results) {
        List<String> out = new ArrayList<>();
        results.getAsJsonArray("results").forEach(r -> out.add(r.getAsJsonObject().get("work_unit_id").getAsString()));
        return out;
    }

    private CliRun cli(String... args) {
        return CliRun.at(url, dir.resolve("agent"), args);
    }

    private CliRun ok(String... args) {
        return cli(args).succeeded(args);
    }
}
