package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A coordinator SIGKILLed inside the transaction of a result that adopts a candidate: the frontier
 * moved and the direction's adopted path written (migration 25's rows), not yet committed (a crash
 * point holds a real coordinator process there). The restart must find none of it, neither the
 * result nor the adoption nor the path, and the same signed result sent again must adopt then,
 * writing the path whole. Both stores.
 */
class AdoptionKillTest {
    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void anAdoptionKilledBeforeItsCommitLeavesNothingAndItsResultSentAgainAdopts(String kind) throws Exception {
        TestPostgres pg = kind.equals("postgresql") ? TestPostgres.create() : null;
        String store = pg == null ? "" : pg.address();
        CoordinatorProcesses coordinators = new CoordinatorProcesses(dir);
        Process c = coordinators.start("c", store, List.of("-Drhizome.crash-point=" + CrashPoints.ADOPTED));
        try {
            String url = coordinators.url("c", c);
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = seed(operator);
            String candidate = register(operator, seed);

            // the base's trial first (the frontier's metric), then the candidate's, better by far
            Identity first = Identity.generate();
            CoordinatorClient firstClient = new CoordinatorClient(url, first);
            WorkUnit one = claim(firstClient, first);
            Identity second = Identity.generate();
            CoordinatorClient secondClient = new CoordinatorClient(url, second, Duration.ofMinutes(5));
            WorkUnit other = claim(secondClient, second);
            boolean baseFirst = one.getCommit().equals(seed.getCommit());
            WorkUnit base = baseFirst ? one : other;
            WorkUnit unit = baseFirst ? other : one;
            Identity baseRunner = baseFirst ? first : second;
            Identity runner = baseFirst ? second : first;
            assertThat(List.of(base.getCommit(), unit.getCommit())).containsExactly(seed.getCommit(), candidate);
            CoordinatorClient baseClient = new CoordinatorClient(url, baseRunner);
            baseClient.reportResult(baseClient.signed(result(base, baseRunner, 2.0)));
            CoordinatorClient runnerClient = new CoordinatorClient(url, runner, Duration.ofMinutes(5));
            SignedEnvelope adopting = runnerClient.signed(result(unit, runner, 1.0));
            coordinators.killHeldAt("c", c, CrashPoints.ADOPTED, "inside the adopting transaction", () -> runnerClient.reportResult(adopting));

            Process again = coordinators.start("c", store, List.of());
            try {
                String restarted = coordinators.url("c", again);
                CoordinatorClient reader = new CoordinatorClient(restarted, Identity.generate());
                assertThat(frontier(reader)).as("the frontier after the kill").isEqualTo(seed.getCommit());
                assertThat(pathRows(coordinators, pg)).as("the adopted path after the kill").isEmpty();
                assertThat(reader.results(null, candidate).getEnvelopesList()).as("the candidate's result").isEmpty();

                // the runner's outbox sends it again: it adopts now, and the path is written with it
                new CoordinatorClient(restarted, runner).reportResult(adopting);
                assertThat(frontier(reader)).as("the frontier after the result sent again").isEqualTo(candidate);
                assertThat(reader.results(null, candidate).getEnvelopesList()).containsExactly(adopting);
                assertThat(pathRows(coordinators, pg)).as("the adopted path, the candidate on it").contains(candidate);
            } finally {
                CoordinatorProcesses.stop(again);
            }
        } finally {
            c.destroyForcibly();
            if (pg != null) {
                pg.close();
            }
        }
    }

    private static String frontier(CoordinatorClient reader) throws CoordinatorException {
        return reader.directions().getDirectionsList().stream().filter(d -> d.getDirection().getName().equals("load"))
                .map(DirectionStatus::getFrontierCommit).findFirst().orElseThrow();
    }

    /** The direction's adopted path as the store keeps it (its rows, read beside the running coordinator). */
    private static List<String> pathRows(CoordinatorProcesses coordinators, TestPostgres pg) throws Exception {
        try (Connection connection = pg != null ? pg.connect() : DriverManager.getConnection("jdbc:sqlite:"
                + coordinators.dataDir("c").resolve(SqliteStore.FILE_NAME) + "?open_mode=1");
                Statement s = connection.createStatement();
                ResultSet rows = s.executeQuery("SELECT commit_id FROM adopted_path WHERE direction = 'load'")) {
            List<String> commits = new ArrayList<>();
            while (rows.next()) {
                commits.add(rows.getString(1));
            }
            return commits;
        }
    }

    private static WorkUnit claim(CoordinatorClient client, Identity who) throws CoordinatorException {
        WorkUnit unit = client.claim(ClaimRequest.newBuilder().setNode(who.publicId().toByteString())
                .setHardwareClass("cpu:adopt").addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(System.currentTimeMillis())
                .build()).getUnit();
        assertThat(unit.getId()).as("a unit claimed").isNotEmpty();
        return unit;
    }

    /** One replica and one adoption seed: a result better by more than the tolerance adopts. */
    private Seed seed(CoordinatorClient operator) throws CoordinatorException {
        Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).setAdoptionSeeds(1).clearTrustedProposers()
                .build();
        Seed seed = Seed.newBuilder().setName("adopt").setCommit(commit()).setManifest(manifest)
                .setPublisher(operator.identity().publicId().toByteString()).setPublishedMs(System.currentTimeMillis())
                .build();
        operator.publishSeed(seed);
        operator.openDirection(Direction.newBuilder().setName("load").setSeed("adopt").setBaseCommit(seed.getCommit())
                .setOpenedBy(operator.identity().publicId().toByteString()).setOpenedMs(System.currentTimeMillis())
                .build());
        return seed;
    }

    private String register(CoordinatorClient operator, Seed seed) throws CoordinatorException {
        String commit = commit();
        operator.registerExperiment(Experiment.newBuilder().setSeed(seed.getName()).setDirection("load")
                .setCommit(commit).setParent(seed.getCommit()).setProposer(operator.identity().publicId().toByteString())
                .setCreatedMs(System.currentTimeMillis()).build());
        return commit;
    }

    private static Result result(WorkUnit unit, Identity runner, double metric) {
        return Result.newBuilder().setWorkUnitId(unit.getId()).setSeed(unit.getSeed())
                .setDirection(unit.getDirection()).setCommit(unit.getCommit()).setParent(unit.getParent())
                .setStatus(Result.Status.OK).setMetricName(TinyLmSeed.manifest().getMetric().getName()).setMetric(metric)
                .setHardwareClass("cpu:adopt").setRuntimeMs(1000).setRunner(runner.publicId().toByteString())
                .setProposer(unit.getProposer()).setTimeMs(System.currentTimeMillis()).setBudget(unit.getBudget())
                .setRandomSeed(unit.getRandomSeed()).build();
    }

    private String commit() {
        byte[] b = new byte[20];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
