package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.ExperimentList;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.PeerList;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SeedList;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The life of an experiment over real HTTP, once with JSON bodies and once with protobuf. */
class EndToEndTest {
    @TempDir
    Path dataDir;

    @ParameterizedTest
    @EnumSource(ApiClient.Format.class)
    void seedDirectionBaselineExperimentReplicasAdoption(ApiClient.Format format) throws Exception {
        try (Harness h = new Harness(dataDir, Fixtures.manifest(2, 0.01), format).withSeedAndDirection()) {
            ApiClient api = h.api;
            Identity runnerA = Identity.generate();
            Identity runnerB = Identity.generate();
            Identity proposer = Identity.generate();

            assertThat(api.get("/healthz").text()).isEqualTo("ok");
            assertThat(api.get("/v1/seeds", SeedList.newBuilder()).getSeeds(0).getCommit()).isEqualTo(h.seedCommit);
            assertThat(direction(api).getFrontierCommit()).isEqualTo(h.seedCommit);
            assertThat(direction(api).getHasFrontierMetric()).isFalse();

            // The baseline: opening the direction queued one evaluation of its base commit.
            WorkUnit baseline = h.claimEvaluation(runnerA, h.seedCommit);
            assertThat(baseline.getManifest()).isEqualTo(h.manifest);
            assertThat(baseline.getBudget().getSteps()).isEqualTo(400);
            assertThat(baseline.getRandomSeed()).isEqualTo(42);
            assertThat(baseline.getSeedCommit()).isEqualTo(h.seedCommit);
            assertThat(baseline.getAttempt()).isEqualTo(1);
            assertThat(baseline.getLeaseDeadlineMs()).isEqualTo(h.clock.millis() + 150_000);
            api.signAndPost("/v1/results", runnerA, Fixtures.result(runnerA, baseline, 3.20, h.clock.millis())).ack();
            assertThat(direction(api).getHasFrontierMetric()).as("the base needs a quorum too").isFalse();
            WorkUnit baselineB = h.claimEvaluation(runnerB, h.seedCommit);
            api.signAndPost("/v1/results", runnerB, Fixtures.result(runnerB, baselineB, 3.20, h.clock.millis())).ack();
            assertThat(direction(api).getFrontierMetric()).isEqualTo(3.20);
            assertThat(direction(api).getBaselineMetric()).isEqualTo(3.20);

            // A proposer announces its bundle and registers the experiment: quorum 2 -> two units.
            String commit = Fixtures.commit();
            api.signAndPost("/v1/announce", proposer, NodeAnnouncement.newBuilder()
                    .setNode(proposer.publicId().toByteString()).setHost("127.0.0.1").setPort(7001)
                    .addCommits(commit).setHardwareClass("cpu:x86_64").setTimeMs(h.clock.millis()).build()).ack();
            api.signAndPost("/v1/experiments", proposer,
                    Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
            assertThat(h.units("OPEN").getUnitsList()).hasSize(2);
            assertThat(api.claim(proposer)).as("the proposer waits for independent runners").isNull();

            WorkUnit replicaA = h.claimEvaluation(runnerA, commit);
            WorkUnit replicaB = h.claimEvaluation(runnerB, commit);
            assertThat(replicaA.getId()).isNotEqualTo(replicaB.getId());
            assertThat(replicaA.getParent()).isEqualTo(h.seedCommit);
            assertThat(replicaA.getProposer()).isEqualTo(proposer.publicId().toByteString());
            assertThat(replicaA.getPeersList()).singleElement().satisfies(p -> {
                assertThat(p.getHost()).isEqualTo("127.0.0.1");
                assertThat(p.getPort()).isEqualTo(7001);
            });
            assertThat(api.get("/v1/peers?commit=" + commit, PeerList.newBuilder()).getPeersCount()).isEqualTo(1);

            api.signAndPost("/v1/results", runnerA, Fixtures.result(runnerA, replicaA, 3.100, h.clock.millis())).ack();
            assertThat(direction(api).getFrontierCommit()).as("one replica is not a quorum").isEqualTo(h.seedCommit);
            SignedEnvelope last = h.api.sign(runnerB, Fixtures.result(runnerB, replicaB, 3.105, h.clock.millis()));
            assertThat(api.post("/v1/results", last).ack().getMessage()).contains("adopted " + commit);

            DirectionStatus adopted = direction(api);
            assertThat(adopted.getFrontierCommit()).isEqualTo(commit);
            assertThat(adopted.getFrontierMetric()).isCloseTo(3.1025, within(1e-9));
            assertThat(adopted.getBaselineMetric()).isEqualTo(3.20);
            assertThat(adopted.getExperiments()).isEqualTo(1);
            assertThat(adopted.getResults()).isEqualTo(4);

            LeaderboardList boards = api.get("/v1/leaderboard?direction=" + DIRECTION, LeaderboardList.newBuilder()).build();
            assertThat(boards.getLeaderboardsList()).singleElement().satisfies(b -> {
                assertThat(b.getHardwareClass()).isEqualTo("cpu:x86_64");
                assertThat(b.getEntriesList()).extracting(LeaderboardEntry::getCommit).containsExactly(commit, h.seedCommit);
                assertThat(b.getEntries(0).getFrontier()).isTrue();
                assertThat(b.getEntries(0).getReplicas()).isEqualTo(2);
            });

            // Signed history comes back as the exact envelopes, verifiable offline.
            EnvelopeList results = api.get("/v1/results?direction=" + DIRECTION, EnvelopeList.newBuilder()).build();
            assertThat(results.getEnvelopesList()).hasSize(4).last().isEqualTo(last);
            for (SignedEnvelope e : results.getEnvelopesList()) {
                Envelopes.openSignedBy(e, Result.getDefaultInstance(), Result::getRunner);
            }
            assertThat(api.get("/v1/results?commit=" + commit, EnvelopeList.newBuilder()).getEnvelopesCount()).isEqualTo(2);
            assertThat(api.get("/v1/experiments?direction=" + DIRECTION, ExperimentList.newBuilder()).getEnvelopesCount())
                    .isEqualTo(1);
            // The newest of a list, newest first, in one answer (an agent's brief reads these).
            EnvelopeList newest = api.get("/v1/results?direction=" + DIRECTION + "&newest=2", EnvelopeList.newBuilder())
                    .build();
            assertThat(newest.getEnvelopesList()).containsExactly(results.getEnvelopes(3), results.getEnvelopes(2));
            assertThat(newest.getNext()).isEmpty();
            assertThat(api.get("/v1/experiments?direction=" + DIRECTION + "&newest=5", ExperimentList.newBuilder())
                    .getEnvelopesCount()).isEqualTo(1);
            assertThat(api.get("/v1/leaderboard?direction=" + DIRECTION + "&limit=1", LeaderboardList.newBuilder())
                    .build().getLeaderboards(0).getEntriesList()).extracting(LeaderboardEntry::getCommit)
                    .containsExactly(commit);

            // A retry of an acknowledged result is acknowledged again and stored once.
            assertThat(api.post("/v1/results", last).ack().getMessage()).contains("already recorded");

            // Exploration starts from the new frontier.
            WorkUnit explore = api.claim(runnerA, WorkUnit.Kind.EXPLORE);
            assertThat(explore.getKind()).isEqualTo(WorkUnit.Kind.EXPLORE);
            assertThat(explore.getCommit()).isEqualTo(commit);
            assertThat(explore.getKnobsList()).as("the direction's knobs").containsExactly("learning_rate");
            api.signAndPost("/v1/explore-done", runnerA, ExploreDone.newBuilder().setWorkUnitId(explore.getId())
                    .setNode(runnerA.publicId().toByteString()).setTimeMs(h.clock.millis()).build()).ack();
            assertThat(h.unit(explore.getId()).getState()).isEqualTo(UnitStatus.State.DONE);

            // Papers come back newest first.
            for (String title : new String[] {"first", "second"}) {
                api.signAndPost("/v1/papers", proposer, Paper.newBuilder().setDirection(DIRECTION).setTitle(title)
                        .setBodyMarkdown("# " + title).addCommits(commit)
                        .setAuthor(proposer.publicId().toByteString()).setCreatedMs(h.clock.millis()).build()).ack();
            }
            EnvelopeList papers = api.get("/v1/papers?direction=" + DIRECTION, EnvelopeList.newBuilder()).build();
            assertThat(papers.getEnvelopesList()).extracting(e -> Envelopes.open(e, Paper.getDefaultInstance())
                    .record().getTitle()).containsExactly("second", "first");

            CoordinatorStats stats = api.get("/v1/stats", CoordinatorStats.newBuilder()).build();
            assertThat(stats.getSeeds()).isEqualTo(1);
            assertThat(stats.getDirections()).isEqualTo(1);
            assertThat(stats.getExperiments()).isEqualTo(1);
            assertThat(stats.getResults()).isEqualTo(4);
            assertThat(stats.getPapers()).isEqualTo(2);
            assertThat(stats.getUnitsDone()).isEqualTo(5);
            assertThat(stats.getNodes()).isEqualTo(1);
            assertThat(api.get("/v1/audit", EnvelopeList.newBuilder()).getEnvelopesCount()).isEqualTo(2 + 1 + 4 + 2);
        }
    }

    private static DirectionStatus direction(ApiClient api) {
        DirectionList list = api.get("/v1/directions", DirectionList.newBuilder()).build();
        assertThat(list.getDirectionsList()).hasSize(1);
        return list.getDirections(0);
    }
}
