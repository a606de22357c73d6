package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Chromium;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit's trials are kept off the network it was registered from while a node of another
 * network is seen. Where the only nodes whose hardware class fits its seed share that network, its
 * evaluations wait, and until round 31 nothing said why: the report now does
 * ({@code waiting_for_independent_runner}, with how many fitting nodes share the network), and
 * stops saying so when the wait ends. Through HTTP behind a trusted proxy, on each store.
 */
class IndependentRunnerWaitTest extends OnEachStore {
    private static final String PROPOSERS = "93.184.216.7";

    private final Identity proposer = Identity.generate();
    private final Identity gpuAtTheProposers = Identity.generate();
    private final Identity cpuElsewhere = Identity.generate();

    @BeforeEach
    void start() throws Exception {
        open(Fixtures.manifest(2, 0.01, 1).toBuilder().setHardwareClass("gpu:nvidia").build(),
                ApiClient.Format.PROTOBUF, CoordinatorLimits.defaults(),
                c -> c.withTrustedProxies(List.of("127.0.0.1", "::1")));
        h.withSeedAndDirection();
    }

    @Test
    void anExperimentWhoseOnlyFittingNodesShareItsProposersNetworkSaysItWaitsForAnIndependentRunner() {
        String commit = propose();
        announce(gpuAtTheProposers, "93.184.216.50", "gpu:nvidia-h100");
        announce(cpuElsewhere, "84.17.46.7", "cpu:x86_64");
        ExperimentReport waiting = report(commit);
        assertThat(waiting.getWaitingForIndependentRunner()).isTrue();
        assertThat(waiting.getProposersNetworkNodes()).isEqualTo(1);

        // the wait is real: the fitting node takes the base's evaluations, never the experiment's
        List<String> taken = new ArrayList<>();
        for (WorkUnit unit = claim(gpuAtTheProposers, "93.184.216.50"); unit != null;
                unit = claim(gpuAtTheProposers, "93.184.216.50")) {
            taken.add(unit.getCommit());
        }
        assertThat(taken).isNotEmpty().allMatch(h.seedCommit::equals);
        assertThat(report(commit).getWaitingForIndependentRunner()).isTrue();

        // a fitting node of another network ends it
        Identity gpuElsewhere = Identity.generate();
        announce(gpuElsewhere, "84.17.47.7", "gpu:nvidia-a100");
        ExperimentReport ended = report(commit);
        assertThat(ended.getWaitingForIndependentRunner()).isFalse();
        assertThat(ended.getProposersNetworkNodes()).isZero();
        List<String> itsTaken = new ArrayList<>();
        for (WorkUnit unit = claim(gpuElsewhere, "84.17.47.7"); unit != null; unit = claim(gpuElsewhere, "84.17.47.7")) {
            itsTaken.add(unit.getCommit());
        }
        assertThat(itsTaken).contains(commit);
    }

    /** The dashboard's direction view says it too, on the experiment's node of the research tree. */
    @Test
    void theDashboardShowsTheWaitOnTheExperimentsNode(@TempDir Path profile) throws Exception {
        String commit = propose();
        announce(gpuAtTheProposers, "93.184.216.50", "gpu:nvidia-h100");
        announce(cpuElsewhere, "84.17.46.7", "cpu:x86_64");
        assertThat(report(commit).getWaitingForIndependentRunner()).isTrue();
        String dom = Chromium.dumpDom(profile, h.coordinator.url() + "/");
        String node = "<code>" + commit.substring(0, 10) + "</code>";
        assertThat(dom).contains(node);
        String li = dom.substring(dom.lastIndexOf("<li", dom.indexOf(node)), dom.indexOf("</li>", dom.indexOf(node)));
        assertThat(li).contains("data-waiting=\"independent-runner\"").contains("waiting for an independent runner");
        assertThat(dom).as("only that experiment waits").containsOnlyOnce("waiting for an independent runner");
    }

    @Test
    void theWaitEndsWhenNoNodeOfAnotherNetworkIsSeenAndIsNotSaidWhereNoFittingNodeIsSeenAtAll() {
        String commit = propose();
        announce(cpuElsewhere, "84.17.46.7", "cpu:x86_64");
        assertThat(report(commit).getWaitingForIndependentRunner())
                .as("no node fits at all: that is another wait (the client names the class)").isFalse();
        announce(gpuAtTheProposers, "93.184.216.50", "gpu:nvidia-h100");
        assertThat(report(commit).getWaitingForIndependentRunner()).isTrue();

        h.clock.advance(SpotChecks.HOLD.plus(Duration.ofSeconds(1)));
        announce(gpuAtTheProposers, "93.184.216.50", "gpu:nvidia-h100");
        assertThat(report(commit).getWaitingForIndependentRunner())
                .as("nobody of another network was seen for 10 minutes: the proposer's network may run it").isFalse();
    }

    private String propose() {
        String commit = Fixtures.commit();
        h.api.from(PROPOSERS).signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        return commit;
    }

    private ExperimentReport report(String commit) {
        return h.api.get("/v1/experiment?commit=" + commit, ExperimentReport.newBuilder()).build();
    }

    private void announce(Identity node, String from, String hardwareClass) {
        h.api.from(from).signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("node-" + from + ".example").setPort(7000)
                .setHardwareClass(hardwareClass).setTimeMs(h.clock.millis()).build()).ack();
    }

    private WorkUnit claim(Identity node, String from) {
        return h.api.from(from).claimAs(node, "gpu:nvidia-h100", WorkUnit.Kind.EVALUATE);
    }
}
