package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.store.SqliteBackup;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `rhizome coordinator backup`: a whole copy of a running coordinator's database, or none under the backup's name. */
class CoordinatorBackupTest {
    @TempDir
    Path dir;

    /**
     * Taken while the coordinator serves, restored into a fresh data directory: a coordinator started
     * there serves the same directions and results as the original did at the backup.
     */
    @Test
    void aBackupOfARunningCoordinatorRestoresToOneServingTheSameDirectionsAndResults() throws Exception {
        Path data = dir.resolve("coordinator");
        Path backup = dir.resolve("backups").resolve("coordinator-backup.db");
        Files.createDirectories(backup.getParent());
        DirectionList directions;
        EnvelopeList results;
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(data))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = seedAndDirection(operator);
            reportOne(new CoordinatorClient(coordinator.url(), Identity.generate()));
            directions = operator.directions();
            results = operator.results(null, seed.getCommit());
            assertThat(results.getEnvelopesList()).as("a result to carry").hasSize(1);

            CliRun run = CliRun.of("coordinator", "backup", "--data-dir", data.toString(), "--out", backup.toString(),
                    "--json");
            assertThat(run.code()).as(run.err()).isEqualTo(ExitCodes.OK);
            JsonObject answer = run.json();
            assertThat(answer.get("file").getAsString()).isEqualTo(backup.toString());
            assertThat(answer.get("bytes").getAsLong()).isEqualTo(Files.size(backup));
            assertThat(SqliteBackup.temporary(backup)).doesNotExist();
        }
        Path restored = dir.resolve("restored");
        Files.createDirectories(restored);
        Files.copy(backup, restored.resolve(SqliteStore.FILE_NAME));
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(restored))) {
            CoordinatorClient reader = new CoordinatorClient(coordinator.url(), Identity.generate());
            assertThat(reader.directions()).isEqualTo(directions);
            assertThat(reader.results(null, null)).isEqualTo(results);
        }
    }

    /**
     * SIGKILLed while its copy is being written (found by its temporary file): nothing is under the
     * backup's name, and the next backup to it removes the temporary file and writes a whole copy.
     */
    @Test
    void aBackupKilledMidCopyLeavesNoPartialFileAndTheNextOneCleansUpAndCompletes() throws Exception {
        Path data = dir.resolve("coordinator");
        Path backup = dir.resolve("coordinator-backup.db");
        Path tmp = SqliteBackup.temporary(backup);
        int fillerRows = 160;
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(data))) {
            // room for the kill to land mid-copy: rows the coordinator never reads, in its own file
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve(SqliteStore.FILE_NAME));
                    Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
                s.execute("CREATE TABLE backup_test_filler (b BLOB)");
                s.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + fillerRows
                        + ") INSERT INTO backup_test_filler SELECT randomblob(1048576) FROM n");
            }
            Process backupProcess = new ProcessBuilder(TestNetwork.launcher("coordinator", "backup", "--data-dir",
                    data.toString(), "--out", backup.toString())).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("backup-1.log").toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(2))
                        .until(() -> Files.exists(tmp) || !backupProcess.isAlive());
            } finally {
                backupProcess.destroyForcibly();  // SIGKILL
                assertThat(backupProcess.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(tmp).as("killed while writing its copy; its log: %s",
                    Files.readString(dir.resolve("backup-1.log"))).exists();
            assertThat(backup).as("nothing under the backup's name").doesNotExist();

            // --data-dir before the subcommand, as `rhizome coordinator --data-dir D` was typed to start it
            CliRun again = CliRun.child(null, "coordinator", "--data-dir", data.toString(), "backup", "--out",
                    backup.toString(), "--json");
            assertThat(again.code()).as(again.err()).isEqualTo(ExitCodes.OK);
        }
        assertThat(tmp).as("the killed backup's temporary file").doesNotExist();
        assertThat(SqliteBackup.temporary(backup).resolveSibling(tmp.getFileName() + "-journal")).doesNotExist();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + backup);
                Statement s = c.createStatement()) {
            try (ResultSet check = s.executeQuery("PRAGMA integrity_check")) {
                check.next();
                assertThat(check.getString(1)).isEqualTo("ok");
            }
            try (ResultSet count = s.executeQuery("SELECT count(*) FROM backup_test_filler")) {
                count.next();
                assertThat(count.getInt(1)).as("the whole database copied").isEqualTo(fillerRows);
            }
        }
    }

    @Test
    void aPostgresqlStoreIsSentToPgDumpWithTheExactCommandAndNoPassword() {
        CliRun run = CliRun.of("coordinator", "backup", "--store", "postgresql://rhizome:secret@db.example:5433/coord"
                + "?schema=team_a&pool=4", "--out", dir.resolve("coord.dump").toString(), "--json");
        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out() + run.err()).contains("pg_dump --format=custom --schema=team_a --file='"
                + dir.resolve("coord.dump") + "' 'postgresql://rhizome@db.example:5433/coord'")
                .doesNotContain("secret").contains("pg_restore");
    }

    @Test
    void aMisspeltStoreAddressIsNamedBeforeAnyCommandIsSuggested() {
        CliRun run = CliRun.of("coordinator", "backup", "--store", "postgresql://rhizome:secret@db.example:5433/coord"
                + "?shema=team_a", "--out", dir.resolve("coord.dump").toString(), "--json");
        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.out()).contains("\"option\":\"--store\"").contains("shema").doesNotContain("pg_dump")
                .doesNotContain("secret");
    }

    @Test
    void aDataDirectoryWithoutADatabaseIsNamedAndNothingIsWritten() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path backup = dir.resolve("b.db");
        CliRun run = CliRun.of("coordinator", "backup", "--data-dir", empty.toString(), "--out", backup.toString());
        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("no coordinator database in " + empty).contains("pg_dump");
        assertThat(backup).doesNotExist();
        assertThat(empty.resolve(SqliteStore.FILE_NAME)).as("no database made by a backup").doesNotExist();
    }

    private Seed seedAndDirection(CoordinatorClient operator) throws Exception {
        Seed seed;
        try (NodeRepository repo = NodeRepository.open(dir.resolve("operator-repo"))) {
            seed = SeedPublisher.publish(repo, TestNetwork.slowSeed(1, 60), operator, Clock.systemUTC());
        }
        operator.openDirection(Direction.newBuilder().setName("d").setSeed(seed.getName())
                .setBaseCommit(seed.getCommit()).setOpenedBy(operator.identity().publicId().toByteString())
                .setOpenedMs(System.currentTimeMillis()).build());
        return seed;
    }

    private static void reportOne(CoordinatorClient runner) throws Exception {
        WorkUnit unit = runner.claim(ClaimRequest.newBuilder().setNode(runner.identity().publicId().toByteString())
                .setHardwareClass("cpu:test").addKinds(WorkUnit.Kind.EVALUATE)
                .setTimeMs(System.currentTimeMillis()).build()).getUnit();
        runner.reportResult(runner.signed(Result.newBuilder().setWorkUnitId(unit.getId())
                .setSeed(unit.getSeed()).setDirection(unit.getDirection()).setCommit(unit.getCommit())
                .setStatus(Result.Status.OK).setMetricName("val_bpb").setMetric(1.25).setHardwareClass("cpu:test")
                .setRuntimeMs(1000).setLogSha256(ByteString.copyFrom(new byte[32]))
                .setRunner(runner.identity().publicId().toByteString()).setProposer(unit.getProposer())
                .setBudget(unit.getBudget()).setRandomSeed(unit.getRandomSeed()).setTimeMs(System.currentTimeMillis())
                .build()));
    }
}
