package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ClaimPolicyTest {
    private static final Manifest ANY = Fixtures.manifest(1, 0.01);
    private static final Manifest GPU = ANY.toBuilder().setHardwareClass("gpu:nvidia").build();
    private static final Function<String, Manifest> MANIFESTS = seed -> seed.equals("gpu-seed") ? GPU : ANY;

    private final ClaimPolicy policy = new ClaimPolicy(Duration.ofSeconds(30));
    private final ByteString node = Identity.generate().publicId().toByteString();
    private final ByteString proposer = Identity.generate().publicId().toByteString();

    private ClaimRequest claim(WorkUnit.Kind... kinds) {
        return ClaimRequest.newBuilder().setNode(node).setHardwareClass("cpu:x86_64").addAllKinds(List.of(kinds)).build();
    }

    private UnitRecord evaluation(String id, String seed, ByteString by, long createdMs) {
        return UnitRecord.open(id, WorkUnit.Kind.EVALUATE, seed, "d", Fixtures.commit(), "", by, createdMs);
    }

    @Test
    void givesTheOldestEvaluationFirst() {
        UnitRecord older = evaluation("a", "s", proposer, 0);
        UnitRecord newer = evaluation("b", "s", proposer, 10);
        var decision = policy.choose(claim(), 100, List.of(older, newer), Set.of(), MANIFESTS, List.of());
        assertThat(decision).isEqualTo(new ClaimPolicy.Decision.Evaluate(older));
    }

    @Test
    void skipsCommitsTheNodeAlreadyRanOrHolds() {
        UnitRecord ran = evaluation("a", "s", proposer, 0);
        UnitRecord fresh = evaluation("b", "s", proposer, 10);
        var decision = policy.choose(claim(), 100, List.of(ran, fresh), Set.of(ran.commit()), MANIFESTS, List.of());
        assertThat(decision).isEqualTo(new ClaimPolicy.Decision.Evaluate(fresh));
    }

    @Test
    void leavesItsOwnProposalsToOthersUntilTheyHaveWaitedLongEnough() {
        UnitRecord own = evaluation("a", "s", node, 0);
        assertThat(policy.choose(claim(), 30_000, List.of(own), Set.of(), MANIFESTS, List.of()))
                .isInstanceOf(ClaimPolicy.Decision.Nothing.class);
        assertThat(policy.choose(claim(), 30_001, List.of(own), Set.of(), MANIFESTS, List.of()))
                .isEqualTo(new ClaimPolicy.Decision.Evaluate(own));
    }

    @Test
    void aKeyWhoseLeaseRanOutDoesNotGetTheUnitBackBeforeOthersHadTheirTurn() {
        long deadline = 150_000;
        UnitRecord expired = evaluation("a", "s", proposer, 0).leasedTo(node, deadline).expired();
        UnitRecord other = evaluation("b", "s", proposer, 10);
        assertThat(policy.choose(claim(), deadline + 1, List.of(expired, other), Set.of(), MANIFESTS, List.of()))
                .as("the key that let it run out gets the next unit").isEqualTo(new ClaimPolicy.Decision.Evaluate(other));
        assertThat(policy.choose(claim(), deadline + 30_000, List.of(expired), Set.of(), MANIFESTS, List.of()))
                .isInstanceOf(ClaimPolicy.Decision.Nothing.class);
        ClaimRequest someoneElse = claim().toBuilder().setNode(Identity.generate().publicId().toByteString()).build();
        assertThat(policy.choose(someoneElse, deadline + 1, List.of(expired), Set.of(), MANIFESTS, List.of()))
                .isEqualTo(new ClaimPolicy.Decision.Evaluate(expired));
        assertThat(policy.choose(claim(), deadline + 30_001, List.of(expired), Set.of(), MANIFESTS, List.of()))
                .as("a lone node is not stalled for good").isEqualTo(new ClaimPolicy.Decision.Evaluate(expired));
    }

    @Test
    void aClaimNamingACommitItStillFetchesForAGiveBackGetsNoUnitOfItWhileOthersDo() {
        UnitRecord givenBack = evaluation("a", "s", proposer, 0);
        UnitRecord sameCommit = UnitRecord.open("a2", WorkUnit.Kind.EVALUATE, "s", "d", givenBack.commit(), "", proposer, 5);
        UnitRecord other = evaluation("b", "s", proposer, 10);
        ClaimRequest fetching = claim().toBuilder().addFetchingGivenBack(givenBack.commit()).build();
        assertThat(policy.choose(fetching, 100, List.of(givenBack, sameCommit, other), Set.of(), MANIFESTS, List.of()))
                .as("no unit of the commit its slot would wait on").isEqualTo(new ClaimPolicy.Decision.Evaluate(other));
        assertThat(policy.choose(fetching, 100, List.of(givenBack, sameCommit), Set.of(), MANIFESTS, List.of()))
                .isInstanceOf(ClaimPolicy.Decision.Nothing.class);
        ClaimRequest someoneElse = claim().toBuilder().setNode(Identity.generate().publicId().toByteString()).build();
        assertThat(policy.choose(someoneElse, 100, List.of(givenBack), Set.of(), MANIFESTS, List.of()))
                .as("any other claimant gets it at once: no direction waits on the slow download")
                .isEqualTo(new ClaimPolicy.Decision.Evaluate(givenBack));
        assertThat(policy.choose(claim(), 100, List.of(givenBack), Set.of(), MANIFESTS, List.of()))
                .as("the same node once its download ended and its claims name it no more")
                .isEqualTo(new ClaimPolicy.Decision.Evaluate(givenBack));
    }

    @Test
    void onlyGivesSeedsWhoseHardwareClassFitsTheNode() {
        UnitRecord gpuOnly = evaluation("a", "gpu-seed", proposer, 0);
        assertThat(policy.choose(claim(), 100, List.of(gpuOnly), Set.of(), MANIFESTS, List.of()))
                .isInstanceOf(ClaimPolicy.Decision.Nothing.class);
        ClaimRequest gpuNode = claim().toBuilder().setHardwareClass("gpu:nvidia-h100").build();
        assertThat(policy.choose(gpuNode, 100, List.of(gpuOnly), Set.of(), MANIFESTS, List.of()))
                .isEqualTo(new ClaimPolicy.Decision.Evaluate(gpuOnly));
        assertThat(HardwareClasses.fits("any", "cpu")).isTrue();
    }

    @Test
    void evaluationComesBeforeExplorationAndExplorationOnlyWhenAsked() {
        UnitRecord unit = evaluation("a", "s", proposer, 0);
        List<DirectionLoad> loads = List.of(new DirectionLoad("d", "s", 0, 0));
        assertThat(policy.choose(claim(WorkUnit.Kind.EVALUATE, WorkUnit.Kind.EXPLORE), 100, List.of(unit), Set.of(),
                MANIFESTS, loads)).isEqualTo(new ClaimPolicy.Decision.Evaluate(unit));
        assertThat(policy.choose(claim(WorkUnit.Kind.EXPLORE), 100, List.of(unit), Set.of(), MANIFESTS, loads))
                .isEqualTo(new ClaimPolicy.Decision.Explore("d"));
        assertThat(policy.choose(claim(), 100, List.of(), Set.of(), MANIFESTS, loads))
                .as("no kinds means EVALUATE only").isInstanceOf(ClaimPolicy.Decision.Nothing.class);
    }

    private ClaimRequest explorerClaim() {
        return claim(WorkUnit.Kind.EXPLORE).toBuilder().setBuiltinExplorer(true).build();
    }

    @Test
    void theBuiltInExplorerNeverCrowdsAgentsOut() {
        // The explorer has filled its share: the queue is at its limit and it holds every lease it may.
        List<DirectionLoad> loads = List.of(new DirectionLoad("d", "s", ClaimPolicy.MAX_PENDING_EVALUATIONS,
                ClaimPolicy.EXPLORER_EXPLORATIONS));
        assertThat(policy.choose(explorerClaim(), 0, List.of(), Set.of(), MANIFESTS, loads, Map.of()))
                .isInstanceOf(ClaimPolicy.Decision.Nothing.class);
        assertThat(policy.choose(claim(WorkUnit.Kind.EXPLORE), 0, List.of(), Set.of(), MANIFESTS, loads, Map.of()))
                .as("an agent still gets work").isEqualTo(new ClaimPolicy.Decision.Explore("d"));
    }

    @Test
    void agentsHaveTheirOwnLimitsAndAnEmptyClaimSaysWhyAndWhenToRetry() {
        List<DirectionLoad> leased = List.of(new DirectionLoad("d", "s", 0, ClaimPolicy.AGENT_EXPLORATIONS));
        var byAgents = policy.choose(claim(WorkUnit.Kind.EXPLORE), 0, List.of(), Set.of(), MANIFESTS, leased,
                Map.of("d", ClaimPolicy.AGENT_EXPLORATIONS));
        assertThat(byAgents).isInstanceOf(ClaimPolicy.Decision.Nothing.class);
        var nothing = (ClaimPolicy.Decision.Nothing) byAgents;
        assertThat(nothing.reason()).contains("d").contains("EXPLORE lease").contains("agents");
        assertThat(nothing.retryAfterS()).isEqualTo(ClaimPolicy.RETRY_LEASES_FULL_S);
        assertThat(policy.choose(explorerClaim(), 0, List.of(), Set.of(), MANIFESTS, leased,
                Map.of("d", ClaimPolicy.AGENT_EXPLORATIONS))).as("the agents' leases don't count against the explorer")
                .isEqualTo(new ClaimPolicy.Decision.Explore("d"));

        List<DirectionLoad> queued = List.of(new DirectionLoad("d", "s", ClaimPolicy.AGENT_PENDING_EVALUATIONS, 0));
        var full = (ClaimPolicy.Decision.Nothing) policy.choose(claim(WorkUnit.Kind.EXPLORE), 0, List.of(), Set.of(),
                MANIFESTS, queued, Map.of());
        assertThat(full.reason()).contains("evaluations pending");
        assertThat(full.retryAfterS()).isEqualTo(ClaimPolicy.RETRY_QUEUE_FULL_S);
    }

    @Test
    void exploresTheQuietestDirectionThatIsNotSaturated() {
        List<DirectionLoad> loads = List.of(
                new DirectionLoad("busy", "s", 3, 0),
                new DirectionLoad("quiet", "s", 1, 0),
                new DirectionLoad("full", "s", ClaimPolicy.MAX_PENDING_EVALUATIONS, 0),
                new DirectionLoad("crowded", "s", 0, ClaimPolicy.MAX_LEASED_EXPLORATIONS));
        assertThat(policy.choose(explorerClaim(), 0, List.of(), Set.of(), MANIFESTS, loads))
                .isEqualTo(new ClaimPolicy.Decision.Explore("quiet"));
        ClaimRequest onlyFull = explorerClaim().toBuilder().setDirection("full").build();
        assertThat(policy.choose(onlyFull, 0, List.of(), Set.of(), MANIFESTS, loads))
                .isInstanceOf(ClaimPolicy.Decision.Nothing.class);
    }
}
