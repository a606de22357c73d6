package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.TestPostgres;
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
import dev.rhizome.proto.v1.SignedEnvelope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
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
            killedMidCopy(data, backup, "backup-1.log");
            assertThat(tmp).as("killed while writing its copy; its log: %s",
                    Files.readString(dir.resolve("backup-1.log"))).exists();
            assertThat(backup).as("nothing under the backup's name").doesNotExist();
            assertThat(tmp.getFileName().toString()).as("named for what it is").endsWith(".partial");

            // restored anyway: SQLite opened the cut copy as an empty database, and a coordinator started
            // there with no directions and no results; it is refused by name, and the file left as it was
            Path restored = Files.createDirectories(dir.resolve("restored-partial"));
            Files.copy(tmp, restored.resolve(SqliteStore.FILE_NAME));
            long size = Files.size(restored.resolve(SqliteStore.FILE_NAME));
            assertThatThrownBy(() -> Coordinator.start(CoordinatorConfig.defaults(restored)).close())
                    .hasMessageContaining(restored.resolve(SqliteStore.FILE_NAME).toString())
                    .hasMessageMatching("(?s).*(is empty|not a whole SQLite database|is cut short).*");
            assertThat(Files.size(restored.resolve(SqliteStore.FILE_NAME))).as("the refused file untouched")
                    .isEqualTo(size);

            // --data-dir before the subcommand, as `rhizome coordinator --data-dir D` was typed to start it
            CliRun again = CliRun.child(null, "coordinator", "--data-dir", data.toString(), "backup", "--out",
                    backup.toString(), "--json");
            assertThat(again.code()).as(again.err()).isEqualTo(ExitCodes.OK);
            // SQLite's rollback journal of the copy is there too when the kill landed inside a write of it
            Path tmpJournal = tmp.resolveSibling(tmp.getFileName() + "-journal");
            assertThat(again.json().getAsJsonArray("removed_partial")).as("the killed backup's files, named")
                    .extracting(e -> e.getAsString()).contains(tmp.toString())
                    .isSubsetOf(tmp.toString(), tmpJournal.toString());
            assertThat(again.err()).contains("removed " + tmp);
        }
        assertThat(tmp).as("the killed backup's temporary file").doesNotExist();
        assertThat(tmp.resolveSibling(tmp.getFileName() + "-journal")).doesNotExist();
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

    /**
     * Dated backups (a new name each night): a backup killed mid-copy left its partial file under a name
     * no later backup writes to again. The next night's backup, to another name, finds it in the same
     * directory, removes it (a SQLite copy nobody holds open) and names it, and leaves a partial file
     * that is not a backup's, naming it and why.
     */
    @Test
    void aBackupToANewNameRemovesTheKilledPartialCopyOfAnEarlierName() throws Exception {
        Path data = dir.resolve("coordinator");
        Path backups = Files.createDirectories(dir.resolve("backups"));
        Path monday = backups.resolve("coord-2026-12-07.db");
        Path tuesday = backups.resolve("coord-2026-12-08.db");
        Path killed = SqliteBackup.temporary(monday);
        Path notOurs = Files.writeString(backups.resolve("notes.txt.partial"), "a download cut short");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(data))) {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve(SqliteStore.FILE_NAME));
                    Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
                s.execute("CREATE TABLE backup_test_filler (b BLOB)");
                s.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 160) "
                        + "INSERT INTO backup_test_filler SELECT randomblob(1048576) FROM n");
            }
            killedMidCopy(data, monday, "backup-monday.log");
            assertThat(killed).as("the killed backup's partial copy").exists();

            CliRun next = CliRun.child(null, "coordinator", "backup", "--data-dir", data.toString(), "--out",
                    tuesday.toString(), "--json");
            assertThat(next.code()).as(next.err()).isEqualTo(ExitCodes.OK);
            assertThat(next.json().getAsJsonArray("removed_partial")).extracting(e -> e.getAsString())
                    .as("Monday's killed copy, named; found: %s", next.json().get("found_partial")).contains(killed.toString())
                    .isSubsetOf(killed.toString(), killed + "-journal");
            assertThat(next.json().getAsJsonArray("found_partial")).singleElement()
                    .satisfies(e -> assertThat(e.getAsJsonObject().get("file").getAsString()).isEqualTo(notOurs.toString()))
                    .satisfies(e -> assertThat(e.getAsJsonObject().get("why").getAsString())
                            .contains("does not begin as a SQLite backup"));
            assertThat(next.err()).contains("removed " + killed).contains("found " + notOurs);
        }
        assertThat(killed).doesNotExist();
        assertThat(Path.of(killed + "-journal")).doesNotExist();
        assertThat(notOurs).as("not a backup's: left").exists();
        assertThat(tuesday).exists();
        assertThat(monday).doesNotExist();
    }

    /** `rhizome coordinator backup` of {@code data} to {@code out} SIGKILLed once its partial copy has bytes. */
    private void killedMidCopy(Path data, Path out, String logName) throws Exception {
        Path tmp = SqliteBackup.temporary(out);
        Process backupProcess = new ProcessBuilder(TestNetwork.launcher("coordinator", "backup", "--data-dir",
                data.toString(), "--out", out.toString())).redirectErrorStream(true)
                .redirectOutput(dir.resolve(logName).toFile()).start();
        try {
            // the partial file is made (empty) before the copy: wait for the copy's first bytes
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(2))
                    .until(() -> sizeOf(tmp) > 0 || !backupProcess.isAlive());
        } finally {
            backupProcess.destroyForcibly();  // SIGKILL
            assertThat(backupProcess.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException gone) {
            return 0;
        }
    }

    /**
     * A PostgreSQL store backed up by pg_dump while a coordinator goes on acknowledging results (exit
     * 0, the file whole), the schema lost, the printed pg_restore line run: a coordinator on the
     * restored schema serves every result acknowledged before the backup began, and nothing else.
     */
    @Test
    void aPostgresqlBackupTakenWhileResultsArriveRestoresEveryAcknowledgedOne() throws Exception {
        TestPostgres pg = TestPostgres.create();
        String address = pg.address();
        String password = pg.password();
        Path backup = dir.resolve("coord.dump");
        List<SignedEnvelope> acknowledged = new CopyOnWriteArrayList<>();
        List<SignedEnvelope> beforeBackup;
        JsonObject answer;
        try {
            try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                    .withStore(address))) {
                CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
                Seed seed = seedAndDirection(operator);
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Exception> failed = new AtomicReference<>();
                Thread writer = new Thread(() -> {
                    // results while units last; a new direction (its base's units) when they run out
                    for (int opened = 0; !stop.get() && opened < 50; ) {
                        try {
                            var result = reportOne(new CoordinatorClient(coordinator.url(), Identity.generate()));
                            if (result.isPresent()) {
                                acknowledged.add(result.get());
                            } else {
                                operator.openDirection(Direction.newBuilder().setName("w" + opened++)
                                        .setSeed(seed.getName()).setBaseCommit(seed.getCommit())
                                        .setOpenedBy(operator.identity().publicId().toByteString())
                                        .setOpenedMs(System.currentTimeMillis()).build());
                            }
                        } catch (Exception e) {
                            failed.set(e);
                            return;
                        }
                    }
                }, "backup-test-writer");
                writer.start();
                try {
                    await().atMost(Duration.ofMinutes(2)).until(() -> acknowledged.size() >= 3 || !writer.isAlive());
                    beforeBackup = List.copyOf(acknowledged);
                    CliRun run = CliRun.of("coordinator", "backup", "--store", address, "--out", backup.toString(),
                            "--json");
                    assertThat(run.code()).as(run.out() + run.err()).isEqualTo(ExitCodes.OK);
                    answer = run.json();
                    assertThat(run.out() + run.err()).doesNotContain(":" + password + "@");
                } finally {
                    stop.set(true);
                    writer.join(60_000);
                }
                assertThat(writer.isAlive()).isFalse();
                assertThat(failed.get()).as("the writer's requests").isNull();
                assertThat(beforeBackup).as("results acknowledged before the backup").hasSizeGreaterThanOrEqualTo(3);
            }
            assertThat(answer.get("file").getAsString()).isEqualTo(backup.toString());
            assertThat(answer.get("bytes").getAsLong()).isEqualTo(Files.size(backup)).isPositive();
            assertThat(answer.get("schema").getAsString()).isEqualTo(pg.schema);
            assertThat(SqliteBackup.temporary(backup)).doesNotExist();

            pg.close();  // the loss the backup is for
            ProcessBuilder restoring = new ProcessBuilder("sh", "-c", answer.get("restore_command").getAsString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("restore.log").toFile());
            restoring.environment().put("PGPASSWORD", password);  // as the help says: the line holds none
            Process restore = restoring.start();
            assertThat(restore.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(restore.exitValue()).as(Files.readString(dir.resolve("restore.log"))).isZero();

            try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("restored"))
                    .withStore(address))) {
                CoordinatorClient reader = new CoordinatorClient(coordinator.url(), Identity.generate());
                List<SignedEnvelope> served = reader.results(null, null).getEnvelopesList();
                assertThat(served).containsAll(beforeBackup);
                assertThat(acknowledged).containsAll(served);
                assertThat(reader.directions().getDirectionsList()).extracting(x -> x.getDirection().getName()).contains("d");
            }
        } finally {
            pg.close();
        }
    }

    /**
     * The whole database lost (a new server): a backup of a coordinator's database, schema
     * {@code public}, restored by the printed pg_restore line of a FRESH database (its own empty
     * {@code public} schema in the way, which a plain restore stops at) gives a database a coordinator
     * then serves from, with every acknowledged result. Needs a test role that may create databases
     * (.ci/run grants CREATEDB): skipped with a note without one, failed under RHIZOME_REQUIRE_PG=1.
     */
    @Test
    void aPostgresqlBackupRestoresIntoAFreshDatabaseACoordinatorThenServesFrom() throws Exception {
        TestPostgres pg = TestPostgres.create();
        Path backup = dir.resolve("public.dump");
        List<SignedEnvelope> acknowledged = new CopyOnWriteArrayList<>();
        Identity operatorKey = Identity.generate();
        try (TestPostgres.Database lost = pg.freshDatabase()) {
            try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                    .withStore(lost.address))) {
                CoordinatorClient operator = new CoordinatorClient(coordinator.url(), operatorKey);
                Seed seed = seedAndDirection(operator);
                for (int i = 0; i < 3; i++) {
                    acknowledged.add(reportOpeningDirections(coordinator.url(), operator, seed, "w" + i));
                }
                CliRun run = CliRun.of("coordinator", "backup", "--store", lost.address, "--out", backup.toString(), "--json");
                assertThat(run.code()).as(run.out() + run.err()).isEqualTo(ExitCodes.OK);
                assertThat(run.json().get("schema").getAsString()).isEqualTo("public");
            }
        }
        try (TestPostgres.Database fresh = pg.freshDatabase()) {
            CliRun line = CliRun.of("coordinator", "backup", "--store", fresh.address, "--out", backup.toString(),
                    "--print-command", "--json");
            assertThat(line.code()).as(line.out() + line.err()).isEqualTo(ExitCodes.OK);
            ProcessBuilder restoring = new ProcessBuilder("sh", "-c", line.json().get("restore_command").getAsString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("restore.log").toFile());
            restoring.environment().put("PGPASSWORD", pg.password());
            Process restore = restoring.start();
            assertThat(restore.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(restore.exitValue()).as(Files.readString(dir.resolve("restore.log"))).isZero();

            try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("restored"))
                    .withStore(fresh.address))) {
                CoordinatorClient reader = new CoordinatorClient(coordinator.url(), Identity.generate());
                assertThat(reader.results(null, null).getEnvelopesList()).containsExactlyInAnyOrderElementsOf(acknowledged);
                assertThat(reader.directions().getDirectionsList()).extracting(x -> x.getDirection().getName()).contains("d");
                // and it takes writes on the restored records: a direction opened on the restored seed
                // (the seed's commit has its evaluations already: no new unit would come for a result)
                Seed seed = seed(reader);
                CoordinatorClient operator = new CoordinatorClient(coordinator.url(), operatorKey);
                operator.openDirection(Direction.newBuilder().setName("after").setSeed(seed.getName())
                        .setBaseCommit(seed.getCommit()).setOpenedBy(operator.identity().publicId().toByteString())
                        .setOpenedMs(System.currentTimeMillis()).build());
                assertThat(reader.directions().getDirectionsList()).extracting(x -> x.getDirection().getName())
                        .contains("d", "after");
            }
        }
    }

    @Test
    void aPostgresqlStoresPgDumpLineIsPrintedOnRequestWithExitZeroAndNoPassword() {
        CliRun run = CliRun.of("coordinator", "backup", "--store", "postgresql://rhizome:secret@db.example:5433/coord"
                + "?schema=team_a&pool=4", "--out", dir.resolve("coord.dump").toString(), "--print-command", "--json");
        assertThat(run.code()).as(run.err()).isEqualTo(ExitCodes.OK);
        assertThat(run.json().get("command").getAsString()).isEqualTo("pg_dump --format=custom --schema=team_a --file='"
                + dir.resolve("coord.dump") + "' 'postgresql://rhizome@db.example:5433/coord'");
        assertThat(run.json().get("restore_command").getAsString()).startsWith("pg_restore ");
        assertThat(run.out() + run.err()).doesNotContain("secret");
    }

    @Test
    void aPgDumpThatCannotBeStartedIsAFailureNamingItAndTheLineToRunElsewhere() {
        // pg_dump reaches no database here: the address's host is not a database
        CliRun run = CliRun.of("coordinator", "backup", "--store", "postgresql://rhizome:secret@127.0.0.1:1/coord"
                + "?schema=team_a&timeout=2", "--out", dir.resolve("coord.dump").toString(), "--json");
        assertThat(run.code()).as(run.out() + run.err()).isEqualTo(ExitCodes.FAILED);
        JsonObject error = run.json();
        assertThat(error.get("error").getAsString()).isIn("failed", "pg_dump_missing");
        assertThat(error.get("message").getAsString()).contains("team_a");
        assertThat(run.out() + run.err()).doesNotContain("secret");
        assertThat(dir.resolve("coord.dump")).doesNotExist();
        assertThat(SqliteBackup.temporary(dir.resolve("coord.dump"))).doesNotExist();
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

    /** One result reported, opening direction {@code name} at the seed's commit first when no unit is left. */
    private static SignedEnvelope reportOpeningDirections(String url, CoordinatorClient operator, Seed seed, String name)
            throws Exception {
        AtomicReference<SignedEnvelope> reported = new AtomicReference<>();
        int[] opened = {0};
        // as the writer above: units come as directions open (not always at once)
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> {
            Optional<SignedEnvelope> result = reportOne(new CoordinatorClient(url, Identity.generate()));
            if (result.isPresent()) {
                reported.set(result.get());
                return true;
            }
            operator.openDirection(Direction.newBuilder().setName(name + "-" + opened[0]++).setSeed(seed.getName())
                    .setBaseCommit(seed.getCommit()).setOpenedBy(operator.identity().publicId().toByteString())
                    .setOpenedMs(System.currentTimeMillis()).build());
            return false;
        });
        return reported.get();
    }

    /** The seed the coordinator serves (one here). */
    private static Seed seed(CoordinatorClient reader) throws Exception {
        return reader.seeds().getSeedsList().get(0);
    }

    /** One EVALUATE unit claimed and its result reported by {@code runner}: the envelope acknowledged, if a unit came. */
    private static Optional<SignedEnvelope> reportOne(CoordinatorClient runner) throws Exception {
        var claimed = runner.claim(ClaimRequest.newBuilder().setNode(runner.identity().publicId().toByteString())
                .setHardwareClass("cpu:test").addKinds(WorkUnit.Kind.EVALUATE)
                .setTimeMs(System.currentTimeMillis()).build());
        if (!claimed.hasUnit()) {
            return Optional.empty();
        }
        WorkUnit unit = claimed.getUnit();
        SignedEnvelope signed = runner.signed(Result.newBuilder().setWorkUnitId(unit.getId())
                .setSeed(unit.getSeed()).setDirection(unit.getDirection()).setCommit(unit.getCommit())
                .setStatus(Result.Status.OK).setMetricName("val_bpb").setMetric(1.25).setHardwareClass("cpu:test")
                .setRuntimeMs(1000).setLogSha256(ByteString.copyFrom(new byte[32]))
                .setRunner(runner.identity().publicId().toByteString()).setProposer(unit.getProposer())
                .setBudget(unit.getBudget()).setRandomSeed(unit.getRandomSeed()).setTimeMs(System.currentTimeMillis())
                .build());
        runner.reportResult(signed);
        return Optional.of(signed);
    }
}
