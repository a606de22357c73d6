package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory the job shares with its host ({@code /usr}, the JDK) told it each time any process of the machine
 * read a file there: {@code fcntl(F_NOTIFY)} with {@code DN_ACCESS} (dnotify, the one file-watching interface
 * left once inotify and fanotify were absent) signalled the job at every such read, the volunteer's programs'
 * and the node's, which is what closing the page cache's side channel ({@code cachestat}, {@code RWF_NOWAIT})
 * was for. The filter sees no path, so a directory of the checkout, on the host's disk, stands for
 * {@code /usr}'s, read by the host all the while: inside, the watch answers EINVAL, as a kernel built without
 * dnotify (before the filter refused it, the watch took and the job was signalled as the host read).
 */
class DirectoryWatchProbeTest {
    private static final String JOB = """
            import fcntl, os, signal, time
            notices = []
            signal.signal(signal.SIGRTMIN + 1, lambda s, f: notices.append(s))
            d = os.open('shared', os.O_RDONLY)
            fcntl.fcntl(d, fcntl.F_SETSIG, signal.SIGRTMIN + 1)
            try:
                fcntl.fcntl(d, fcntl.F_NOTIFY, fcntl.DN_ACCESS | fcntl.DN_MULTISHOT)
                print('WATCHING', flush=True)
                end = time.monotonic() + 60
                while not notices and time.monotonic() < end:
                    time.sleep(0.05)
                print('NOTICES', len(notices), flush=True)
            except OSError as e:
                print('WATCH ERRNO', e.errno, flush=True)
            """;

    @TempDir
    Path dataDir;

    @Test
    void aJobCannotWatchTheHostReadTheFilesItShares() throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            Path shared = Files.createDirectory(jobs.checkout.resolve("shared"));
            Path library = Files.writeString(shared.resolve("library.so"), "the host's");
            AtomicBoolean jobEnded = new AtomicBoolean();
            // The host, reading a file of the shared directory for as long as the job runs.
            Thread host = new Thread(() -> {
                while (!jobEnded.get()) {
                    try {
                        Files.readAllBytes(library);
                        Thread.sleep(20);
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "host-reads");
            host.setDaemon(true);
            host.start();
            String log;
            try {
                log = jobs.runOk(JOB);
            } finally {
                jobEnded.set(true);
                host.join();
            }
            assertThat(log).as(log).contains("WATCH ERRNO 22\n").doesNotContain("WATCHING", "NOTICES");
        }
    }
}
