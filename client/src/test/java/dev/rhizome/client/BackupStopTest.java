package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.store.PostgresBackup;
import dev.rhizome.coordinator.store.SqliteBackup;
import dev.rhizome.protocol.files.ProcessStarts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome coordinator backup` of a PostgreSQL store stopped by SIGTERM while its pg_dump runs: pg_dump
 * is a process of its own, and it ran on after the command's exit (its snapshot held open for the rest
 * of the dump, then a whole {@code FILE.tmp} left that no one renames). The command's exit now stops it
 * and deletes the temporary file. pg_dump here is a stand-in ({@value PostgresBackup#PROGRAM_VARIABLE})
 * that writes part of its file and waits, as a long dump does; no database is reached.
 */
class BackupStopTest {
    @TempDir
    Path dir;

    @Test
    void aBackupStoppedWhilePgDumpRunsStopsPgDumpAndLeavesNoFile() throws Exception {
        backupStoppedWhilePgDumpRuns(false);
    }

    /**
     * SIGKILL runs no exit: pg_dump is tied to the command by the parent-death signal
     * (ChildrenAtExit), and ran to the dump's end before. Its partial file stays, named so (never
     * {@code FILE} nor {@code FILE.tmp}), for the next backup to the same target to delete first and name.
     */
    @Test
    void aBackupKilledWhilePgDumpRunsTakesPgDumpWithIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.rhizome.protocol.files.ChildrenAtExit.tiedToParent(),
                "setpriv (util-linux) is not installed here");
        backupStoppedWhilePgDumpRuns(true);
    }

    /** The next backup to the same FILE deletes the killed one's partial file first, and says which. */
    private void nextBackupRemovesAndNames(Path backup, Path tmp) throws Exception {
        Path whole = dir.resolve("whole-pg_dump");
        Files.writeString(whole, "#!/bin/sh\n"
                + "for a; do case \"$a\" in --file=*) out=\"${a#--file=}\";; esac; done\n"
                + "printf 'PGDMP whole' > \"$out\"\n");
        Files.setPosixFilePermissions(whole, PosixFilePermissions.fromString("rwx------"));
        ProcessBuilder builder = new ProcessBuilder(TestNetwork.launcher("coordinator", "backup", "--store",
                "postgresql://rhizome:secret@127.0.0.1:1/coord?schema=team_a", "--out", backup.toString(), "--json"))
                .redirectError(dir.resolve("backup-2.err").toFile());
        builder.environment().put(PostgresBackup.PROGRAM_VARIABLE, whole.toString());
        Process again = builder.start();
        String out = new String(again.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(again.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(dir.resolve("backup-2.err"));
        assertThat(again.exitValue()).as(out + err).isZero();
        com.google.gson.JsonObject answer = com.google.gson.JsonParser.parseString(out.lines()
                .filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow()).getAsJsonObject();
        assertThat(answer.getAsJsonArray("removed_partial")).extracting(e -> e.getAsString())
                .containsExactly(tmp.toString());
        assertThat(err).contains("removed " + tmp);
        assertThat(tmp).doesNotExist();
        assertThat(Files.readString(backup)).isEqualTo("PGDMP whole");
    }

    private void backupStoppedWhilePgDumpRuns(boolean sigkill) throws Exception {
        Path pidFile = dir.resolve("pg_dump.pid");
        Path dump = dir.resolve("fake-pg_dump");
        Files.writeString(dump, "#!/bin/sh\n"
                + "for a; do case \"$a\" in --file=*) out=\"${a#--file=}\";; esac; done\n"
                + "printf 'PGDMP partial' > \"$out\"\n"
                + "echo $$ > '" + pidFile + "'\n"
                + "exec sleep 300\n");
        Files.setPosixFilePermissions(dump, PosixFilePermissions.fromString("rwx------"));
        Path backup = dir.resolve("coord.dump");
        Path tmp = SqliteBackup.temporary(backup);
        ProcessBuilder builder = new ProcessBuilder(TestNetwork.launcher("coordinator", "backup", "--store",
                "postgresql://rhizome:secret@127.0.0.1:1/coord?schema=team_a", "--out", backup.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("backup.log").toFile());
        builder.environment().put(PostgresBackup.PROGRAM_VARIABLE, dump.toString());
        Process command = builder.start();
        Optional<ProcessHandle> pgDump = Optional.empty();
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> !command.isAlive()
                    || (Files.exists(tmp) && Files.exists(pidFile) && !Files.readString(pidFile).isBlank()));
            assertThat(command.isAlive()).as("the backup, running pg_dump; its log: %s",
                    Files.readString(dir.resolve("backup.log"))).isTrue();
            pgDump = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()));
            assertThat(pgDump).as("pg_dump, running").isPresent();

            if (sigkill) {
                command.destroyForcibly();
            } else {
                command.destroy();  // SIGTERM
            }
            assertThat(command.waitFor(60, TimeUnit.SECONDS)).as("the backup stopped").isTrue();
            ProcessHandle running = pgDump.get();
            // running, not isAlive: a killed pg_dump orphaned where nothing reaps orphans stays a zombie
            await().atMost(Duration.ofSeconds(20)).until(() -> !ProcessStarts.running(running.pid(), OptionalLong.empty()));
            if (sigkill) {
                assertThat(backup).as("nothing under the backup's name").doesNotExist();
                assertThat(tmp).as("the killed dump's partial file, named for what it is").exists()
                        .satisfies(p -> assertThat(p.getFileName().toString()).endsWith(".partial"));
                nextBackupRemovesAndNames(backup, tmp);
                return;
            }
            assertThat(tmp).as("the stopped dump's temporary file").doesNotExist();
            assertThat(backup).as("nothing under the backup's name").doesNotExist();
            assertThat(Files.readString(dir.resolve("backup.log"))).contains("stopped by SIGTERM");
        } finally {
            command.destroyForcibly();
            pgDump.ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
