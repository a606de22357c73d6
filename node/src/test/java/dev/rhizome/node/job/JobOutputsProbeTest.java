package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round 35: what the node reads back of a job is the job's to shape, probed with a real harnessed run in the real
 * sandbox (the harness writes the result the node reads, outside, with the node's rights). Beside
 * {@code SandboxEscapeTest}'s traps on the result file itself (links, FIFOs, a directory, a sparse terabyte, a
 * socket), the ways left: a writer the harness leaves behind to put a better metric there once the harness has
 * ended, a hard link or a device node in the result's place, and an error line that would reorder or clear what a
 * person reads. Each run is a CRASH naming what the harness said, in printable text, and no trap reaches the
 * node. Held before round 35 (no fix needed): the harness is its PID namespace's init, so its end kills what it
 * left; a link across the sandbox's mounts fails ({@code EXDEV}); a job's user namespace makes no device.
 */
class JobOutputsProbeTest {
    @TempDir
    Path dataDir;

    @Test
    void aWriterTheHarnessLeavesBehindPutsNoMetricInItsResult() throws Exception {
        // The child, in a session of its own, waits for the harness (its namespace's PID 1) to end, then writes a
        // metric for ever, as a whole file put in place each time. Outside a PID namespace it does (tried by hand).
        String harness = """
                setsid sh -c 'while kill -0 "$1" 2>/dev/null; do sleep 0.05; done
                  while true; do echo "val_bpb: 0.0001" > "$RHIZOME_RESULT_FILE.tmp" \\
                    && mv "$RHIZOME_RESULT_FILE.tmp" "$RHIZOME_RESULT_FILE"; echo LEFT >&2; done' "left-$0" "$$" &
                echo 'error: the harness ended first' > "$RHIZOME_RESULT_FILE"
                """;
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            HarnessedOutcome outcome = run(jobs, harness, 0);

            String log = Files.readString(dataDir.resolve("h.log"));
            assertThat(outcome.outcome().status()).as(log).isEqualTo(Result.Status.CRASH);
            assertThat(outcome.outcome().metric()).isEmpty();
            assertThat(outcome.reason()).as(log).isEqualTo("the harness says: the harness ended first");
            assertThat(log).doesNotContain("LEFT", "0.0001");
            assertThat(SandboxedJobs.processesTagged(jobs.tag)).isEmpty();
        }
    }

    @Test
    void aHardLinkOrADeviceInTheResultsPlaceReadsNothingOfTheHost() throws Exception {
        String secret = "s3cret-" + System.nanoTime();
        Path key = Files.writeString(dataDir.resolve("identity.key"), "val_bpb: 0.25\nerror: " + secret + "\n");
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            Files.setPosixFilePermissions(Files.writeString(harnessDir(jobs).resolve("own.txt"), "val_bpb: 0.5\n"),
                    PosixFilePermissions.fromString("rw-r--r--"));
            int tried = 0;
            for (String trap : List.of(
                    // what the harness sees of the host, and its own read-only files: each a mount of its own
                    "ln /usr/bin/python3 \"$RHIZOME_RESULT_FILE\"; ln \"$PWD/own.txt\" \"$RHIZOME_RESULT_FILE\"",
                    // the node's key is not there to link to (its path is the host's, not the job's)
                    "ln '" + key + "' \"$RHIZOME_RESULT_FILE\"",
                    "mknod \"$RHIZOME_RESULT_FILE\" c 1 3; mknod \"$RHIZOME_RESULT_FILE\" b 8 0")) {
                HarnessedOutcome outcome = run(jobs, trap + "; ls -l \"$RHIZOME_RESULT_FILE\" >&2; exit 0", tried++);

                String log = Files.readString(dataDir.resolve("h.log"));
                assertThat(outcome.outcome().status()).as(trap + "\n" + log).isEqualTo(Result.Status.CRASH);
                assertThat(outcome.reason()).as(trap + "\n" + log).isEqualTo("the harness exited with status 0 without val_bpb");
                assertThat(log).as(trap).doesNotContain(secret, "val_bpb: 0.25", "val_bpb: 0.5").contains("No such file");
            }
            assertThat(key).hasContent("val_bpb: 0.25\nerror: " + secret + "\n");
        }
    }

    @Test
    void anErrorLineThatWouldReorderOrClearWhatIsReadIsMadePrintable() throws Exception {
        // A right-to-left override, an escape that clears the screen, and a carriage return with what it would
        // write over the line: none of it reaches the reason as the job wrote it.
        String harness = "printf 'error: paid \\342\\200\\256 01.0 \\033[2J\\rok\\n' > \"$RHIZOME_RESULT_FILE\"";
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            HarnessedOutcome outcome = run(jobs, harness, 0);

            assertThat(outcome.outcome().status()).isEqualTo(Result.Status.CRASH);
            assertThat(outcome.reason()).isEqualTo("the harness says: paid ? 01.0 ?[2J");
        }
    }

    @Test
    void aHarnessFillingItsResultDirectoryIsStoppedAtTheBudgetNamingIt() throws Exception {
        // Round 36: the result directory, the harness's one writable place on the node's disk, had no bound. One
        // harness writes and waits (stopped while it runs), one writes a metric and ends at once (caught after its
        // end); both in files under any per-file limit, and each run's log is kept whole.
        String fill = "for i in 1 2 3 4 5 6; do head -c 3000000 /dev/zero > \"$(dirname \"$RHIZOME_RESULT_FILE\")/fill$i\"; done; "
                + "echo 'val_bpb: 0.5' > \"$RHIZOME_RESULT_FILE\"; echo FILLED >&2; ";
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            int n = 0;
            for (String harness : List.of(fill + "exec sleep 600", fill + "exit 0")) {
                HarnessedOutcome outcome = run(jobs, harness, n++, 8L << 20);

                String log = Files.readString(dataDir.resolve("h.log"));
                assertThat(outcome.outcome().status()).as(harness + "\n" + log).isEqualTo(Result.Status.CRASH);
                assertThat(outcome.outcome().metric()).isEmpty();
                assertThat(outcome.reason()).as(log).isEqualTo(
                        "evaluation stopped: the harness wrote more than 8 MiB to its result directory (its limit on this machine)");
                assertThat(log).contains("## train", "## harness (its stderr)", "FILLED", outcome.reason());
            }
            assertThat(SandboxedJobs.processesTagged(jobs.tag)).isEmpty();
        }
    }

    /** As the node makes it: readable by every uid, whatever the umask (the harness may run as a uid of its own). */
    private static Path harnessDir(SandboxedJobs jobs) throws java.io.IOException {
        Path dir = Files.createDirectories(jobs.jobDir.resolve("harness"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** A harnessed run whose harness is {@code harness} (a shell script), its result in a directory of its own. */
    private HarnessedOutcome run(SandboxedJobs jobs, String harness, int n) throws Exception {
        return run(jobs, harness, n, Long.MAX_VALUE);
    }

    /** The same, a job of it (the harness too) writing at most {@code maxWorkBytes} to a directory it is given. */
    private HarnessedOutcome run(SandboxedJobs jobs, String harness, int n, long maxWorkBytes) throws Exception {
        HarnessedSpec spec = new HarnessedSpec(jobs.checkout, harnessDir(jobs), jobs.jobDir.resolve("result-" + n),
                List.of(), List.of("/bin/sh", "-c", "true"), List.of("/bin/sh", "-c", "cat >/dev/null"),
                List.of("/bin/sh", "-c", harness, "harness-" + jobs.tag), Map.of(), JobBudgets.ENDS_BY_ITSELF,
                dataDir.resolve("h.log"), "val_bpb");
        return new HarnessedRunner(new JobRunner(jobs.sandbox, JobRunner.DEFAULT_MAX_LOG_BYTES, maxWorkBytes), jobs.sandbox)
                .run(spec, JobProgress.IGNORE);
    }
}
