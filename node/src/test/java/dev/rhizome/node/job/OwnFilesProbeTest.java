package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a job may do to files of its own (its checkout, which lies on the host's disk) that reaches past
 * their bytes, tried in the real sandbox (round 33):
 * <ul>
 * <li>a lease ({@code fcntl(F_SETLEASE)}) signalled the job whenever any process of the machine opened the
 * file, the node's and the volunteer's programs' alike, and held that open up to the kernel's
 * {@code lease-break-time} (45 s) unless the job let go; it answers EINVAL now, as with leases turned off;</li>
 * <li>the ioctls that name the file system (its label, its UUID by the generic, ext4's and btrfs's requests,
 * the block device) answered for the checkout and for {@code /usr}, the host's disks; they answer ENOTTY now,
 * as do fscrypt's (a key left in the file system's keyring after the job, a directory the node could not
 * move once its key was gone) and fs-verity's (a tree past the file's end, unseen by the budget);</li>
 * <li>and, held already: {@code chattr +i} and {@code +a}, which would leave a file the node cannot delete,
 * need {@code CAP_LINUX_IMMUTABLE} of the host's namespace, which no job has; the node deletes the checkout
 * after the job, whatever flags it set.</li>
 * </ul>
 */
class OwnFilesProbeTest {
    private static final String JOB = """
            import array, ctypes, errno, fcntl, os, signal, time
            libc = ctypes.CDLL(None, use_errno=True)

            def ioctl(path, name, request, size, first=b''):
                fd = os.open(path, os.O_RDONLY)
                buf = ctypes.create_string_buffer(first + bytes(size - len(first)))
                r = libc.ioctl(fd, ctypes.c_ulong(request), buf)
                e = ctypes.get_errno()
                os.close(fd)
                if r < 0:
                    print('IOCTL', name, path, 'ERRNO', e, flush=True)
                else:
                    print('IOCTL', name, path, 'ANSWERED', buf.raw.rstrip(b'\\0').hex(), flush=True)

            os.mkdir('empty')
            for path in ('/usr', '.'):
                ioctl(path, 'label', 0x81009431, 256)
                ioctl(path, 'uuid', 0x80111500, 17)
                ioctl(path, 'ext4-uuid', 0x8008662c, 32, b'\\x10')
                ioctl(path, 'sysfs-path', 0x80811501, 129)
                ioctl(path, 'btrfs-fs-info', 0x8400941f, 1024)
            # fscrypt: a v2 policy on an empty directory of its own, a key added and removed; fs-verity on a file
            ioctl('empty', 'encryption-policy', 0x800c6613, 24, bytes([2, 1, 4, 0]))
            ioctl('.', 'add-encryption-key', 0xc0506617, 80 + 64)
            ioctl('.', 'remove-encryption-key', 0xc0406618, 64)
            with open('verity', 'wb') as f:
                f.write(b'x' * 8192)
            ioctl('verity', 'enable-verity', 0x40806685, 128, bytes([1, 0, 0, 0, 1, 0, 0, 0, 0, 16]))

            with open('stuck', 'wb') as f:
                f.write(b'the node must delete me')
            for name, flag in (('immutable', 0x10), ('append', 0x20)):
                fd = os.open('stuck', os.O_RDONLY)
                flags = array.array('l', [0])
                fcntl.ioctl(fd, 0x80086601, flags)
                try:
                    fcntl.ioctl(fd, 0x40086602, array.array('l', [flags[0] | flag]))
                    print('FLAG', name, 'SET', flush=True)
                except OSError as e:
                    print('FLAG', name, 'ERRNO', e.errno, flush=True)
                os.close(fd)

            noticed = []
            signal.signal(signal.SIGIO, lambda s, f: noticed.append(s))
            fd = os.open('bait', os.O_RDWR)
            try:
                fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
                print('LEASED', flush=True)
                end = time.monotonic() + 60
                while not noticed and time.monotonic() < end:
                    time.sleep(0.05)
                print('NOTICED', len(noticed), flush=True)
                fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
            except OSError as e:
                print('LEASE ERRNO', e.errno, flush=True)
            """;

    @TempDir
    Path dataDir;

    @Test
    void aJobsOwnFilesNeitherWatchTheHostNorNameItsDisksNorOutliveTheJob() throws Exception {
        String log;
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            Path bait = Files.writeString(jobs.checkout.resolve("bait"), "opened by the host");
            AtomicBoolean jobEnded = new AtomicBoolean();
            // The host (a backup, a virus scanner, the node) opening the job's file while the job runs.
            Thread host = new Thread(() -> {
                while (!jobEnded.get()) {
                    try {
                        Files.readAllBytes(bait);
                        Thread.sleep(100);
                    } catch (Exception e) {
                        // the job may have moved it: keep looking until it ends
                    }
                }
            }, "host-opens");
            host.setDaemon(true);
            host.start();
            try {
                log = jobs.runOk(JOB);
            } finally {
                jobEnded.set(true);
                host.join();
            }
            assertThat(log).as(log).contains("LEASE ERRNO " + SeccompFilter.EINVAL + "\n")
                    .doesNotContain("LEASED", "NOTICED");
            for (String path : new String[] {"/usr", "."}) {
                for (String request : new String[] {"label", "uuid", "ext4-uuid", "sysfs-path", "btrfs-fs-info"}) {
                    assertThat(log).as(log).contains("IOCTL " + request + " " + path + " ERRNO " + SeccompFilter.ENOTTY + "\n");
                }
            }
            for (String request : new String[] {"encryption-policy", "add-encryption-key", "remove-encryption-key",
                    "enable-verity"}) {
                assertThat(log).as(log).containsPattern("IOCTL " + request + " \\S+ ERRNO " + SeccompFilter.ENOTTY + "\n");
            }
            assertThat(log).as(log).doesNotContain("ANSWERED")
                    .contains("FLAG immutable ERRNO " + SeccompFilter.EPERM + "\n", "FLAG append ERRNO " + SeccompFilter.EPERM + "\n");
            // What the job left, the node deletes with its own rights.
            JobDirs.deleteTree(jobs.checkout);
            assertThat(jobs.checkout).doesNotExist();
        }
    }
}
