package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.commands.DemoCommand;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.ops.storm.CoordinatorCrash;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise of a 200 under SIGKILL: a coordinator killed while clients claim and report as fast as
 * it answers, restarted, has every result it acknowledged, once. Real processes, real stores.
 */
class CoordinatorCrashTest {
    @TempDir
    Path dir;

    @Test
    void sqliteCoordinatorKilledUnderLoadKeepsEveryAcknowledgedResult() throws Exception {
        CoordinatorCrash.Report report = new CoordinatorCrash(new CoordinatorCrash.Config(DemoCommand.launcher(),
                dir.resolve("coordinator"), "", 6, 240, 3), System.out).run();
        System.out.print(report.toText());
        assertThat(report.kills()).isEqualTo(3);
        holdsThePromise(report);
        assertThat(report.integrity()).as("the store's integrity check after the kills").isEqualTo("ok");
        // `rhizome coordinator backup` taken while the clients claimed and reported, checked as the store is
        assertThat(report.backups()).as("backups taken under load and checked").isEqualTo(1);
    }

    @Test
    void postgresCoordinatorKilledUnderLoadKeepsEveryAcknowledgedResult() throws Exception {
        try (TestPostgres pg = TestPostgres.create()) {
            CoordinatorCrash.Report report = new CoordinatorCrash(new CoordinatorCrash.Config(DemoCommand.launcher(),
                    dir.resolve("coordinator"), pg.address(), 6, 240, 3), System.out).run();
            System.out.print(report.toText());
            holdsThePromise(report);
            // `rhizome coordinator backup` (pg_dump) taken while the clients claimed and reported and the
            // kills landed; the schema then dropped and the printed restore line run: the restored schema
            // checked as the store is, holding every result acknowledged before the backup began
            assertThat(report.backups()).as("pg_dumps taken under load, restored and checked").isEqualTo(1);
        }
    }

    private static void holdsThePromise(CoordinatorCrash.Report report) {
        // a kill after the last result tests a restart, not a kill under load
        assertThat(report.killsUnderLoad()).as("kills that landed with units still unacknowledged").isEqualTo(3);
        assertThat(report.missing()).as("acknowledged results missing after the restarts").isEmpty();
        assertThat(report.duplicated()).as("units with two stored results").isEmpty();
        // The clients see only the leases whose answers reached them; a lease the kill cut from its
        // answer and the store then gave another key is a double lease no client saw: the store's
        // own lease rows are read for it (every lease here outlives the run and none is given back,
        // so a unit with leases to two keys was leased twice), and for results without their unit.
        assertThat(report.leasedTwice()).as("units whose claims answered two keys").isEmpty();
        assertThat(report.storeProblems()).as("what the store's (and its backup's) own tables hold").isEmpty();
        // sqlite-jdbc's native library used to stay in the temporary directory after every kill
        assertThat(report.leftInTemp()).as("files the killed coordinators left in their temporary directory").isEmpty();
        // a result stored whose 200 the kill cut is sent again and acknowledged then: none stored unacknowledged
        assertThat(report.stored()).isEqualTo(report.acknowledged());
        // A claim whose answer the kill cut is sent again as signed (same nonce) and gets the unit it
        // leased back, so no unit stays leased to a client that never learned of it: every unit is done.
        assertThat(report.acknowledged()).as("units done; none left leased by a lost claim answer").isEqualTo(240);
    }
}
