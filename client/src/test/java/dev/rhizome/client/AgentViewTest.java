package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an agent sees of the research through the real commands and coordinator: what others tried
 * read a page at a time (`results --after`, `papers --after`; the pages, followed by their `next`
 * while more arrive, hold every entry once, and a cursor that is none is a bad argument naming
 * `--after`), whether a runner has its pending evaluations yet, and hints that read as sentences.
 */
class AgentViewTest {
    private static final String DIRECTION = "load";

    @TempDir
    Path dir;

    @Test
    void resultsPagedWhileMoreArriveShowEachResultOnceOldestFirst() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            url = coordinator.url();
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "pages", DIRECTION);
            List<String> posted = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                posted.add(runOne(operator, seed));
            }
            List<String> seen = new ArrayList<>();
            CliRun page = cli("results", "--direction", DIRECTION, "--limit", "2", "--after", "--json");
            assertThat(page.code()).as(page.err()).isZero();
            int pages = 0;
            while (true) {
                JsonObject o = page.json();
                o.getAsJsonArray("results").forEach(r -> seen.add(unit(r)));
                pages++;
                if (pages == 1) {
                    // two more arrive after the first page: a listing cut anew each time would shift
                    posted.add(runOne(operator, seed));
                    posted.add(runOne(operator, seed));
                }
                if (o.get("next").isJsonNull()) {
                    break;
                }
                assertThat(o.getAsJsonArray("results")).as("a page before the last is full").hasSize(2);
                page = cli("results", "--direction", DIRECTION, "--limit", "2", "--after", o.get("next").getAsString(), "--json");
                assertThat(page.code()).as(page.err()).isZero();
            }
            assertThat(seen).as("every result once, in the order they were recorded").containsExactlyElementsOf(posted);
            assertThat(pages).isEqualTo(4);

            // the text answer says how to go on
            CliRun text = cli("results", "--direction", DIRECTION, "--limit", "3", "--after");
            assertThat(text.code()).as(text.err()).isZero();
            assertThat(text.out()).contains("on this page").containsPattern("next page: --after [A-Za-z0-9_-]+");
            // without --after the answer is what it was, with next null
            JsonObject whole = cli("results", "--direction", DIRECTION, "--json").json();
            assertThat(whole.getAsJsonArray("results")).hasSize(posted.size());
            assertThat(whole.get("next").isJsonNull()).isTrue();
        }
    }

    @Test
    void papersPagedNewestFirstHoldEachPaperOnceAndABadCursorNamesAfter() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            url = coordinator.url();
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            OpenDirections.seed(operator, "pages", DIRECTION);
            List<String> titles = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                titles.add(0, publish(operator, "finding " + i));  // newest first
            }
            List<String> seen = new ArrayList<>();
            CliRun page = cli("papers", "--direction", DIRECTION, "--limit", "2", "--after", "--json");
            boolean published = false;
            while (true) {
                assertThat(page.code()).as(page.err()).isZero();
                JsonObject o = page.json();
                o.getAsJsonArray("papers").forEach(p -> seen.add(p.getAsJsonObject().getAsJsonObject("title")
                        .get("text").getAsString()));
                if (!published) {
                    // a paper published while an agent pages lands before the first page, not inside the walk
                    publish(operator, "finding late");
                    published = true;
                }
                if (o.get("next").isJsonNull()) {
                    break;
                }
                page = cli("papers", "--direction", DIRECTION, "--limit", "2", "--after", o.get("next").getAsString(), "--json");
            }
            assertThat(seen).as("each paper of the walk once, newest first").containsExactlyElementsOf(titles);

            CliRun forged = cli("papers", "--direction", DIRECTION, "--after", "not-a-cursor", "--json");
            assertThat(forged.code()).as(forged.out()).isEqualTo(2);
            JsonObject error = forged.json();
            assertThat(error.get("error").getAsString()).isEqualTo("usage");
            assertThat(error.get("option").getAsString()).isEqualTo("--after");
            assertThat(error.get("message").getAsString()).startsWith("invalid value for --after: the cursor");
            CliRun forgedResults = cli("results", "--after", "bm90IGEgY3Vyc29y", "--json");
            assertThat(forgedResults.code()).as(forgedResults.out()).isEqualTo(2);
            assertThat(forgedResults.json().get("option").getAsString()).isEqualTo("--after");
        }
    }

    @Test
    void aGuessInAHintIsFollowedByASentence() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            url = coordinator.url();
            OpenDirections.seed(new CoordinatorClient(url, Identity.generate()), "pages", DIRECTION);
            CliRun typo = cli("results", "--direction", "laod", "--json");
            assertThat(typo.code()).isEqualTo(2);
            String hint = typo.json().get("hint").getAsString();
            assertThat(hint).startsWith("did you mean load? ").doesNotContainPattern("\\? [a-z]");
        }
    }

    @Test
    void aWaitSaysHowManyPendingEvaluationsARunnerHolds() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            url = coordinator.url();
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "pages", DIRECTION);
            String commit = register(operator, seed);
            // the base's own evaluations come first in the queue: runners take units until one is the commit's
            String leased = "";
            for (int i = 0; i < 10 && !leased.equals(commit); i++) {
                leased = claimEvaluation();
            }
            assertThat(leased).as("one of the commit's evaluations leased").isEqualTo(commit);
            // "3 evaluation(s) pending" for minutes said nothing of whether any runner had one
            CliRun waited = cli("wait", "--commit", commit, "--timeout", "0", "--json");
            assertThat(waited.code()).as(waited.out() + waited.err()).isEqualTo(6);
            JsonObject o = waited.json();
            int pending = o.get("pending_units").getAsInt();
            assertThat(o.get("leased_units").getAsInt()).isEqualTo(1);
            assertThat(waited.err()).contains(pending + " evaluation(s) pending (1 with a runner, " + (pending - 1) + " queued)");
        }
    }

    private String url;

    private CliRun cli(String... args) {
        return CliRun.at(url, dir.resolve("agent"), args);
    }

    private static String unit(JsonElement result) {
        return result.getAsJsonObject().get("work_unit_id").getAsString();
    }

    /** Registers an experiment, has a fresh runner claim its evaluation and report it; the unit's id. */
    private String runOne(CoordinatorClient operator, Seed seed) throws CoordinatorException {
        register(operator, seed);
        FreshRunner runner = FreshRunner.at(url, "cpu:pages");
        WorkUnit unit = runner.claimEvaluation();
        runner.report(unit, Result.Status.OK, "", 2.0);
        return unit.getId();
    }

    private String register(CoordinatorClient operator, Seed seed) throws CoordinatorException {
        return OpenDirections.register(operator, seed, DIRECTION, "");
    }

    /** A fresh runner leases the next evaluation; its commit. */
    private String claimEvaluation() throws CoordinatorException {
        return FreshRunner.at(url, "cpu:pages").claimEvaluation().getCommit();
    }

    private String publish(CoordinatorClient author, String title) throws CoordinatorException {
        author.publishPaper(Paper.newBuilder().setDirection(DIRECTION).setTitle(title).setBodyMarkdown("tried " + title)
                .setAuthor(author.identity().publicId().toByteString()).setCreatedMs(System.currentTimeMillis()).build());
        return title;
    }
}
