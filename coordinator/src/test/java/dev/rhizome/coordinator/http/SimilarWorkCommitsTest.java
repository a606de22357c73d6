package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.SimilarWork;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A claim's similar hypotheses name the experiments their claims' units registered (docs/api.md
 * "Claims": `similar`), so that an agent goes from "someone tried this" to what came of it. On
 * both stores: the hypotheses are rows of each.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class SimilarWorkCommitsTest {
    @Parameter
    String store;

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().store(() -> store).into(started -> h = started);

    private ClaimResponse claimed(Identity node, String hypothesis) {
        ApiClient.Response r = h.api.signAndPost("/v1/claim", node, ClaimRequest.newBuilder().setDirection(Harness.DIRECTION)
                .setHypothesis(hypothesis).setNode(node.publicId().toByteString()).setHardwareClass("cpu")
                .addKinds(WorkUnit.Kind.EXPLORE).setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.parse(ClaimResponse.newBuilder()).build();
    }

    private String register(Identity proposer, WorkUnit unit, String description) {
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, Harness.SEED, Harness.DIRECTION,
                commit, h.seedCommit, h.clock.millis()).toBuilder().setWorkUnitId(unit.getId())
                .setDescription(description).build()).ack();
        h.clock.advance(Duration.ofSeconds(1));
        return commit;
    }

    @Test
    void aSimilarHypothesisNamesTheExperimentsItsUnitRegisteredOldestFirst() {
        Identity first = Identity.generate();
        WorkUnit tried = claimed(first, "lower the learning rate to 0.002 with warmup").getUnit();
        // descriptions unlike the hypothesis: the link is the unit, not the words
        String a = register(first, tried, "shorter schedule");
        String b = register(first, tried, "longer schedule");
        Identity second = Identity.generate();
        WorkUnit underWay = claimed(second, "lower learning rate to 0.002, warmup of 100 steps").getUnit();
        assertThat(underWay.getId()).isNotEqualTo(tried.getId());
        h.clock.advance(Duration.ofSeconds(1));

        ClaimResponse third = claimed(Identity.generate(), "Lower the learning rate to 0.002, with warmup.");
        SimilarWork triedEntry = third.getSimilarList().stream().filter(s -> s.getText().startsWith("lower the learning"))
                .findFirst().orElseThrow();
        assertThat(triedEntry.getKind()).isEqualTo("hypothesis");
        assertThat(triedEntry.getCommitsList()).containsExactly(a, b);
        assertThat(triedEntry.getCommit()).isEqualTo(a);
        SimilarWork underWayEntry = third.getSimilarList().stream().filter(s -> s.getText().contains("100 steps"))
                .findFirst().orElseThrow();
        assertThat(underWayEntry.getCommitsList()).as("registered nothing yet").isEmpty();
        assertThat(underWayEntry.getCommit()).isEmpty();

        ClaimResponse byDescription = claimed(Identity.generate(), "a longer schedule");
        SimilarWork experiment = byDescription.getSimilarList().stream().filter(s -> s.getKind().equals("experiment"))
                .findFirst().orElseThrow();
        assertThat(experiment.getCommit()).isEqualTo(b);
        assertThat(experiment.getCommitsList()).containsExactly(b);
    }
}
