package dev.rhizome.node.job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What paths a job is given, through the node's real launcher and runner in whichever job-user mode this JVM's
 * user gets, run by {@link JobPathsTest}: its working directory, {@code HOME}, {@code TMPDIR}, its whole
 * environment and command line as {@code /proc/self} shows them, and an absolute path into its checkout that its
 * command was handed. Prints {@code KEY value} lines; the job's own are {@code JOB| ...}, and {@code HOST_PATHS}
 * names the host paths the job must not see.
 */
public final class JobPathsCheck {
    static final String JOB = """
            import os, sys
            print('PWD', os.getcwd())
            print('HOME', os.environ.get('HOME'))
            print('TMPDIR', os.environ.get('TMPDIR'))
            print('ARGV', ' '.join(sys.argv))
            print('ENVIRON', open('/proc/self/environ', 'rb').read().replace(b'\\0', b' ').decode())
            print('CMDLINE', open('/proc/self/cmdline', 'rb').read().replace(b'\\0', b' ').decode())
            print('READ', open(sys.argv[1]).read().strip())
            print('val_bpb: 1.5', flush=True)
            """;

    private JobPathsCheck() {
    }

    public static void main(String[] args) throws Exception {
        BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority();
        System.out.println("MODE subordinate=" + launcher.subordinateUids() + " own=" + launcher.plan().ownUid());
        Path jobDir = launcher.prepareJobDir("paths-" + args[0]);
        Path logs = Files.createTempDirectory("paths-logs");
        BwrapLauncher slot = launcher.forSlot(0);
        try {
            Path slotDir = Files.createDirectories(jobDir.resolve("slot-0"));
            // as Evaluator makes a slot's directory: passable by the slot's uid whatever the umask
            Files.setPosixFilePermissions(slotDir, PosixFilePermissions.fromString("rwx--x--x"));
            Path checkout = Files.createDirectory(slotDir.resolve("unit-" + args[0]));
            Files.writeString(checkout.resolve("job.py"), JOB);
            Files.writeString(checkout.resolve("data.txt"), "DATA-READ\n");
            System.out.println("HOST_PATHS " + checkout + " " + jobDir.getFileName() + " "
                    + Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize().resolve("rhizome-jobs-"));
            JobOutcome outcome = new JobRunner(slot).run(new JobSpec(checkout,
                    List.of("python3", checkout.resolve("job.py").toString(), checkout.resolve("data.txt").toString()),
                    Map.of(), Duration.ofMinutes(2), logs.resolve("job.log"), "val_bpb"), JobProgress.IGNORE);
            System.out.println("STATUS " + outcome.status() + " " + outcome.metric());
            Files.readString(logs.resolve("job.log")).lines().forEach(l -> System.out.println("JOB| " + l));
        } finally {
            slot.releaseUid();
            JobDirs.deleteTree(jobDir);
            JobDirs.deleteTree(logs);
        }
    }
}
