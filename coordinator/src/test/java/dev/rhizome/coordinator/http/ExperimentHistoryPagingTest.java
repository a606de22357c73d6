package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentList;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A direction's experiments read newest first a page at a time ({@code newest=N} with {@code after},
 * what `rhizome log` shows), and "what is new since I last looked": the {@code newest} cursor of an
 * answer, passed later as {@code after} to the list read oldest first, returns only the experiments
 * registered since. On both stores: the pages are index walks of each.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class ExperimentHistoryPagingTest {
    @Parameter
    String store;

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().store(() -> store).into(started -> h = started);

    private final Identity proposer = Identity.generate();

    private String register() {
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, Harness.SEED, Harness.DIRECTION,
                commit, h.seedCommit, h.clock.millis())).ack();
        h.clock.advance(Duration.ofSeconds(1));
        return commit;
    }

    private ExperimentList get(String query) {
        return h.api.get("/v1/experiments?direction=" + Harness.DIRECTION + query, ExperimentList.newBuilder()).build();
    }

    private static String after(String cursor) {
        return cursor.isEmpty() ? "" : "&after=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
    }

    private static List<String> commits(ExperimentList list) throws Exception {
        List<String> out = new ArrayList<>();
        for (SignedEnvelope e : list.getEnvelopesList()) {
            out.add(Envelopes.open(e, Experiment.getDefaultInstance()).record().getCommit());
        }
        return out;
    }

    @Test
    void newestFirstPagesHoldEachExperimentOnceAndTheNewestCursorReturnsOnlyWhatCameSince() throws Exception {
        List<String> registered = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            registered.add(register());
        }
        ExperimentList first = get("&newest=2");
        assertThat(commits(first)).containsExactly(registered.get(4), registered.get(3));
        assertThat(first.getNext()).as("older ones remain").isNotEmpty();
        String seen = first.getNewest();
        assertThat(seen).isNotEmpty();

        // one arrives while the walk goes on: it is not part of the walk, which keeps to the older ones
        String late = register();
        List<String> walked = new ArrayList<>(commits(first));
        String next = first.getNext();
        while (!next.isEmpty()) {
            ExperimentList page = get("&newest=2" + after(next));
            walked.addAll(commits(page));
            next = page.getNext();
        }
        assertThat(walked).containsExactly(registered.get(4), registered.get(3), registered.get(2), registered.get(1),
                registered.get(0));

        // since the first page was read: only the late one, and its answer's newest cursor moves past it
        ExperimentList since = get("&limit=10" + after(seen));
        assertThat(commits(since)).containsExactly(late);
        assertThat(since.getNext()).as("the last page").isEmpty();
        assertThat(since.getNewest()).as("set on the last page too, to ask again later").isNotEmpty();
        assertThat(commits(get("&limit=10" + after(since.getNewest())))).as("nothing new since").isEmpty();
        String again = register();
        assertThat(commits(get("&limit=10" + after(since.getNewest())))).containsExactly(again);
        assertThat(get("&limit=10" + after(since.getNewest())).getNewest()).isNotEqualTo(since.getNewest());
        // an empty answer names no cursor
        assertThat(get("&limit=10" + after(get("&newest=1").getNewest())).getNewest()).isEmpty();
    }
}
