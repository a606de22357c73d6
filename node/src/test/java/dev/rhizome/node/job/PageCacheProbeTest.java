package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page cache of a file a job shares with its host (all of {@code /usr}, the JDK) tells which of its pages
 * the volunteer's programs touched: a read that may not wait ({@code preadv2}'s {@code RWF_NOWAIT}) returns
 * only what is cached, and {@code POSIX_FADV_DONTNEED} drops a file's cached pages for any reader, so a job
 * could drop a library's pages and look again, as often as it liked (the side channel {@code mincore} was
 * narrowed against in Linux 5.0 and {@code cachestat}, refused, opened again). The filter sees no file, so
 * the test's file in the checkout, on the host's disk, stands for {@code /usr}'s: inside, the read that may
 * not wait answers as a file that cannot (EOPNOTSUPP), and the advice is answered done, undone, so the
 * host's page is still cached after the job.
 */
class PageCacheProbeTest {
    /** The job's page and the host's, 16 MiB apart: past the readahead of a read near either (up to 8 MiB on a virtual disk). */
    private static final long JOBS_PAGE = 0;
    private static final long HOSTS_PAGE = 16L << 20;
    private static final String JOB = """
            import os
            fd = os.open('shared', os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                print('DROPPED', flush=True)
            except OSError as e:
                print('DROP REFUSED', e.errno, flush=True)
            try:
                os.preadv(fd, [bytearray(4096)], %d, os.RWF_NOWAIT)
                print('NOWAIT READ', flush=True)
            except OSError as e:
                print('NOWAIT ERRNO', e.errno, flush=True)
            print('READ', len(os.pread(fd, 4096, %d)), flush=True)
            """.formatted(JOBS_PAGE, JOBS_PAGE);

    @TempDir
    Path dataDir;

    @Test
    void aJobCanNeitherProbeNorDropThePagesItSharesWithTheHost() throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            Path shared = jobs.checkout.resolve("shared");
            assumeFalse(Files.getFileStore(jobs.checkout).type().equals("tmpfs"),
                    "a checkout in memory has no page cache to drop");
            written(shared, HOSTS_PAGE + 4096);
            assertThat(hostProbe(shared)).as("the host's page, written and synced").isEqualTo("CACHED");

                        String log = jobs.runOk(JOB);
            // As a file that cannot be read without waiting, which the callers of RWF_NOWAIT read as "read as usual".
            assertThat(log).as(log).contains("DROPPED\n", "NOWAIT ERRNO 95\n", "READ 4096\n");
            // The job's advice dropped nothing: the host's page is where it was.
            assertThat(hostProbe(shared)).isEqualTo("CACHED");
        }
    }

    /** Writes {@code bytes} to {@code file} and syncs them: clean pages, in the cache, that advice may drop. */
    private static void written(Path file, long bytes) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer block = ByteBuffer.allocate(1 << 20);
            for (long at = 0; at < bytes; at += block.capacity()) {
                ch.write(block.clear(), at);
            }
            ch.force(true);
        }
    }

    /** Whether the host's page of {@code file} is cached, as the host's python3 reads it without waiting. */
    private static String hostProbe(Path file) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", """
                import os, sys
                fd = os.open(sys.argv[1], os.O_RDONLY)
                try:
                    os.preadv(fd, [bytearray(4096)], %d, os.RWF_NOWAIT)
                    print('CACHED')
                except OSError as e:
                    print('ERRNO', e.errno)
                """.formatted(HOSTS_PAGE), file.toString()).directory(new File("/")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
