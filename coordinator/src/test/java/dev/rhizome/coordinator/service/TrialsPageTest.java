package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code GET /v1/trials?direction=}: a page of commits, each with every trial's replicas and
 * states, read in a bounded number of queries (it was two or more per commit, each a round trip
 * to PostgreSQL: 280 ms of the database's time for a page of 1,000), and the same answer on
 * either store, whole, page by page with {@code after=}, and commit by commit.
 */
class TrialsPageTest {
    /** More than one slice of the store's {@code IN} lists (100 keys). */
    private static final int EXPERIMENTS = 130;
    /** Queries a whole page may run: the direction, its seed, the experiments, two slices each of results and reputations. */
    private static final long QUERIES_PER_PAGE = 12;

    @TempDir
    Path dir;

    /** One history, written the same way to each store: same keys, commits and clock, so the same envelopes. */
    private final BoardHistory history = new BoardHistory();
    private final List<String> commits = IntStream.range(0, EXPERIMENTS).mapToObj(i -> Fixtures.commit()).toList();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aWholePageRunsBoundedQueriesAndEqualsItsPagesAndItsCommitsOneByOne(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            Views views = write(store);
            long before = store.queriesRun();
            TrialList whole = views.trials(BoardHistory.DIRECTION, "", PageRequest.first(1000));
            long queries = store.queriesRun() - before;
            assertThat(queries).as("queries for a page of %d commits", EXPERIMENTS + 1)
                    .isLessThanOrEqualTo(QUERIES_PER_PAGE);
            assertThat(whole.getNext()).isEmpty();
            List<String> run = new ArrayList<>(List.of(history.seed.getCommit()));
            IntStream.range(0, EXPERIMENTS).filter(i -> i % 11 != 0).forEach(i -> run.add(commits.get(i)));
            assertThat(whole.getTrialsList().stream().map(Trial::getCommit).distinct()).as("every commit run, in order")
                    .containsExactlyElementsOf(run);
            assertThat(whole.getTrialsList()).as("trials accepted on reputation, as marked")
                    .filteredOn(Trial::getAcceptedOnReputation).isNotEmpty();
            assertThat(whole.getTrialsList().stream().flatMap(t -> t.getResultsList().stream())
                    .map(ResultVerdict::getState).distinct().count())
                    .as("states of replicas, some of which disagree or came late").isGreaterThan(1);

            List<Trial> paged = new ArrayList<>();
            String after = "";
            do {
                TrialList page = views.trials(BoardHistory.DIRECTION, "",
                        PageRequest.parse(Views.TRIALS, Views.cursorFields(Views.TRIALS), "7", after));
                paged.addAll(page.getTrialsList());
                after = page.getNext();
            } while (!after.isEmpty());
            assertThat(paged).isEqualTo(whole.getTrialsList());

            // the base is no experiment and has no units here: ?commit= knows it as the direction's
            // base (it answered 404 "unknown commit", for a commit whose trials the direction lists)
            // (a base may be several directions': asked by commit alone its trials name none)
            List<Trial> oneByOne = new ArrayList<>(views.trials("", history.seed.getCommit(), PageRequest.first(1))
                    .getTrialsList().stream().map(t -> t.toBuilder().setDirection(BoardHistory.DIRECTION).build())
                    .toList());
            commits.forEach(c -> oneByOne.addAll(views.trials("", c, PageRequest.first(1)).getTrialsList()));
            assertThat(oneByOne).isEqualTo(whole.getTrialsList());
        });
    }

    @Test
    void bothStoresGiveTheSamePage() throws Exception {
        List<TrialList> answers = new ArrayList<>();
        for (String kind : List.of("sqlite", "postgresql")) {
            BoardHistory.onStore(kind, Files.createDirectories(dir.resolve(kind)), store -> {
                Views views = write(store);
                answers.add(views.trials(BoardHistory.DIRECTION, "", PageRequest.first(1000)));
                answers.add(views.trials(BoardHistory.DIRECTION, "",
                        PageRequest.parse(Views.TRIALS, Views.cursorFields(Views.TRIALS), "50", answers.get(answers.size() - 1).getNext())));
                TrialList first = views.trials(BoardHistory.DIRECTION, "", PageRequest.first(40));
                answers.add(views.trials(BoardHistory.DIRECTION, "",
                        PageRequest.parse(Views.TRIALS, Views.cursorFields(Views.TRIALS), "50", first.getNext())));
            });
        }
        assertThat(answers.get(0).getTrialsCount()).isGreaterThan(EXPERIMENTS);
        assertThat(answers.subList(3, 6)).isEqualTo(answers.subList(0, 3));
    }

    /**
     * The base and {@link #EXPERIMENTS} experiments; experiment i has 1 to 3 trial seeds, each run
     * once or twice on one of two hardware classes, metrics that sometimes disagree, a late result
     * now and then, a trial accepted on reputation every fifth, and every eleventh no result.
     */
    private Views write(Store store) {
        history.time = 10;
        store.inTransaction(tx -> {
            history.open(tx, BoardHistory.DIRECTION);
            history.result(tx, BoardHistory.DIRECTION, history.seed.getCommit(), 3.0);
            for (int i = 0; i < commits.size(); i++) {
                String c = commits.get(i);
                history.experiment(tx, BoardHistory.DIRECTION, c, history.seed.getCommit());
                if (i % 11 == 0) {
                    continue;
                }
                for (long seed = 1; seed <= 1 + i % 3; seed++) {
                    String hardware = seed % 2 == 0 ? "gpu:a100" : "cpu:x86_64";
                    result(tx, c, seed, 3.0, hardware, false);
                    if ((i + seed) % 2 == 0) {
                        result(tx, c, seed, i % 4 == 0 ? 3.5 : 3.0, hardware, false);
                    }
                }
                if (i % 7 == 0) {
                    result(tx, c, 1, 2.0, "cpu:x86_64", true);
                }
                if (i % 5 == 0) {
                    tx.markAcceptedOnReputation(c, 1, "cpu:x86_64",
                            ByteString.copyFrom(history.runner.publicId().bytes()));
                }
            }
            return null;
        });
        return new Views(store, () -> 0, new SharedViews(() -> 0L));
    }

    private void result(Store.Transaction tx, String commit, long randomSeed, double metric, String hardware,
            boolean late) {
        WorkUnit unit = WorkUnit.newBuilder().setId("u-" + history.time).setSeed(history.seed.getName())
                .setDirection(BoardHistory.DIRECTION).setCommit(commit).setRandomSeed(randomSeed).build();
        Result r = Fixtures.result(history.runner, unit, metric, history.time++).toBuilder()
                .setHardwareClass(hardware).build();
        SignedEnvelope envelope = Envelopes.sign(history.runner, r);
        if (late) {
            tx.insertLateResult(r, envelope, Envelopes.id(envelope), history.time);
        } else {
            tx.insertResult(r, envelope, Envelopes.id(envelope), history.time);
        }
    }
}
