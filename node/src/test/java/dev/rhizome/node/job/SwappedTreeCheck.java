package dev.rhizome.node.job;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The node's walk of a live job's work directory (its budget's, through the launcher's {@link
 * WorkDirBudget.TreeUsage}: the namespace's helper where jobs run as subordinate uids) in whichever
 * job-user mode this JVM's user gets, run by {@link SwappedTreeTest}: a real job flips 100 directories of
 * its checkout between a directory and a link to a directory of this user's (a terabyte in a sparse
 * file and 300 names, standing for the volunteer's files) every 20 ms, while the walk runs
 * {@value #WALKS} times. Prints {@code KEY value} lines: {@code MOST_BYTES}, the most one walk counted.
 *
 * <p>Argument: a tag for the job directory's name.
 */
public final class SwappedTreeCheck {
    static final long TERABYTE = 1L << 40;
    static final int WALKS = 300;

    /**
     * Flips 100 directories of {@code flipped} (and, given a third argument, 100 of its {@code /tmp})
     * between a directory and a link to argv[1], all at once every 20 ms, for argv[2] seconds or until
     * the file {@code stop} appears: a walk that saw them as directories opens some after they became links.
     */
    static final String FLIPPER = """
            import os, sys, time
            places = []
            for top in ['flipped'] + (['/tmp'] if len(sys.argv) > 3 else []):
                for i in range(100):
                    w = '%s/p%d' % (top, i)
                    os.makedirs(w + '/flip/inner')
                    open(w + '/flip/inner/own', 'w').write('x')
                    os.symlink(sys.argv[1], w + '/link')
                    places.append(w)
            open('started', 'w').close()
            print('STARTED', flush=True)
            end = time.time() + float(sys.argv[2])
            n = 0
            while not os.path.exists('stop') and time.time() < end:
                for w in places:
                    os.rename(w + '/flip', w + '/dir')
                    os.rename(w + '/link', w + '/flip')
                time.sleep(0.02)
                for w in places:
                    os.rename(w + '/flip', w + '/link')
                    os.rename(w + '/dir', w + '/flip')
                time.sleep(0.02)
                n += 1
            print('flips', n, flush=True)
            print('val_bpb: 1.0')
            """;

    private SwappedTreeCheck() {
    }

    /** A directory of this user's: a sparse terabyte and 300 empty files. */
    static Path volunteersFiles(Path dir) throws Exception {
        Files.createDirectories(dir);
        try (RandomAccessFile big = new RandomAccessFile(dir.resolve("key-and-models").toFile(), "rw")) {
            big.setLength(TERABYTE); // sparse: a terabyte by its size, nothing on disk
        }
        for (int i = 0; i < 300; i++) {
            Files.createFile(dir.resolve("file-" + i));
        }
        return dir;
    }

    public static void main(String[] args) throws Exception {
        BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority();
        System.out.println("MODE subordinate=" + launcher.subordinateUids() + " own=" + launcher.plan().ownUid());
        Path jobDir = launcher.prepareJobDir("swapped-" + args[0]);
        Path mine = Files.createTempDirectory("swapped-mine");
        BwrapLauncher slot = launcher.forSlot(0);
        try {
            Path host = volunteersFiles(mine.resolve("volunteers"));
            Path slotDir = Files.createDirectories(jobDir.resolve("slot-0"));
            // as Evaluator makes a slot's directory: passable by the slot's uid whatever the umask
            Files.setPosixFilePermissions(slotDir, PosixFilePermissions.fromString("rwx--x--x"));
            Path checkout = Files.createDirectory(slotDir.resolve("unit"));
            Files.writeString(checkout.resolve("flipper.py"), FLIPPER);
            Path log = mine.resolve("job.log");
            CompletableFuture<JobOutcome> job = CompletableFuture.supplyAsync(() -> {
                try {
                    return new JobRunner(slot).run(new JobSpec(checkout, List.of("python3", "flipper.py",
                            host.toString(), "40"), Map.of(), Duration.ofMinutes(3), log, "val_bpb"), JobProgress.IGNORE);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!(Files.exists(log) && Files.readString(log).contains("STARTED")) && !job.isDone()
                    && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            WorkDirBudget.TreeUsage walk = slot.treeUsage();
            long most = 0;
            int walks = 0;
            for (; walks < WALKS && !job.isDone(); walks++) {
                WorkDirBudget.Usage usage = walk.measure(checkout, Long.MAX_VALUE, Long.MAX_VALUE);
                most = Math.max(most, usage.bytes());
                usage.unmeasured().ifPresent(why -> System.out.println("UNMEASURED " + why));
            }
            System.out.println("WALKS " + walks);
            System.out.println("MOST_BYTES " + most);
            JobOutcome outcome = job.get(5, TimeUnit.MINUTES);
            System.out.println("OUTCOME " + outcome.status() + " " + outcome.metric());
            Files.readString(log).lines().forEach(l -> System.out.println("JOB| " + l));
            try (var names = Files.list(host)) {
                System.out.println("HOST_FILES " + names.count());
            }
        } finally {
            slot.releaseUid();
            JobDirs.deleteTree(jobDir);
            JobDirs.deleteTree(mine);
        }
    }
}
