package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A paper is about experiments of its direction: the coordinator refuses one citing a commit
 * that is no experiment (made up, or the direction's base) or an experiment of another direction,
 * with an error naming the commit, and stores nothing. `rhizome publish` refused these itself,
 * but any other client's paper was stored and shown beside those commits. On both stores.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class PaperCommitsTest {
    private static final String OTHER = "other";

    @Parameter
    String store;

    @TempDir
    Path dataDir;

    private Harness h;
    private final Identity author = Identity.generate();

    @BeforeEach
    void start() throws Exception {
        h = Harness.on(store, dataDir, Fixtures.manifest(1, 0.01, 3), ApiClient.Format.PROTOBUF,
                CoordinatorLimits.defaults()).withSeedAndDirection();
        h.api.signAndPost("/v1/directions", h.operator,
                Fixtures.direction(h.operator, OTHER, SEED, h.seedCommit, h.clock.millis())).ack();
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aPaperCitingAnythingButExperimentsOfItsDirectionIsRefusedAndNotStored() {
        String mine = register(DIRECTION);
        String theirs = register(OTHER);
        String madeUp = Fixtures.commit();

        refused(paper(mine, madeUp), 404, Error.Code.NOT_FOUND,
                "commit " + madeUp + " is not a registered experiment of direction " + DIRECTION);
        refused(paper(h.seedCommit), 404, Error.Code.NOT_FOUND,
                "commit " + h.seedCommit + " is not a registered experiment of direction " + DIRECTION);
        refused(paper(mine, theirs), 400, Error.Code.BAD_REQUEST,
                "commit " + theirs + " is an experiment of direction " + OTHER + ", not of " + DIRECTION);
        assertThat(papers()).as("nothing stored for a refused paper").isZero();

        h.api.signAndPost("/v1/papers", author, paper(mine)).ack();
        h.api.signAndPost("/v1/papers", author, paper()).ack();  // a note about no commit stays allowed
        assertThat(papers()).isEqualTo(2);
    }

    private String register(String direction) {
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", author,
                Fixtures.experiment(author, SEED, direction, commit, h.seedCommit, h.clock.millis())).ack();
        return commit;
    }

    private Paper paper(String... commits) {
        return Paper.newBuilder().setDirection(DIRECTION).setTitle("t " + commits.length).setBodyMarkdown("b")
                .addAllCommits(java.util.List.of(commits)).setAuthor(author.publicId().toByteString())
                .setCreatedMs(h.clock.millis()).build();
    }

    private void refused(Paper paper, int status, Error.Code code, String mentions) {
        ApiClient.Response r = h.api.signAndPost("/v1/papers", author, paper);
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.error().getCode()).isEqualTo(code);
        assertThat(r.error().getMessage()).contains(mentions);
    }

    private int papers() {
        return h.api.get("/v1/papers?direction=" + DIRECTION, EnvelopeList.newBuilder()).getEnvelopesCount();
    }
}
