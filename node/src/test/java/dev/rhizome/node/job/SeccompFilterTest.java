package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The program run through a classic BPF interpreter, as the kernel would run it for each system call. */
class SeccompFilterTest {
    private static final int DENIED = SeccompFilter.RET_ERRNO | SeccompFilter.EPERM;

    /** Runs {@code program} over a {@code seccomp_data} holding only the call's number and architecture. */
    static int run(byte[] program, int arch, int nr) {
        return run(program, arch, nr, 0);
    }

    /** As {@link #run(byte[], int, int)}, with a second argument (64 bits, as the register holds it). */
    static int run(byte[] program, int arch, int nr, long arg1) {
        return run(program, arch, nr, new long[] {0, arg1, 0, 0, 0, 0});
    }

    /** As {@link #run(byte[], int, int)}, with all six arguments (64 bits each, as the registers hold them). */
    static int run(byte[] program, int arch, int nr, long[] args) {
        ByteBuffer code = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        int instructions = program.length / 8;
        int accumulator = 0;
        for (int pc = 0, steps = 0; pc < instructions && steps < 10_000; steps++) {
            int at = pc * 8;
            int op = code.getShort(at) & 0xffff;
            int jt = program[at + 2] & 0xff;
            int jf = program[at + 3] & 0xff;
            int k = code.getInt(at + 4);
            switch (op) {
                case SeccompFilter.LD_W_ABS -> {
                    if (k == SeccompFilter.OFFSET_NR) {
                        accumulator = nr;
                    } else if (k == SeccompFilter.OFFSET_ARCH) {
                        accumulator = arch;
                    } else if (k >= 16 && k < 64 && k % 4 == 0) {
                        long arg = args[(k - 16) / 8];
                        accumulator = (int) (k % 8 == 0 ? arg : arg >>> 32);
                    } else {
                        throw new AssertionError("loads an unexpected offset " + k);
                    }
                    pc++;
                }
                case SeccompFilter.JEQ_K -> pc += 1 + (accumulator == k ? jt : jf);
                case SeccompFilter.JGE_K -> pc += 1 + (Integer.compareUnsigned(accumulator, k) >= 0 ? jt : jf);
                case SeccompFilter.JSET_K -> pc += 1 + ((accumulator & k) != 0 ? jt : jf);
                case SeccompFilter.ALU_AND_K -> {
                    accumulator &= k;
                    pc++;
                }
                case SeccompFilter.RET_K -> {
                    return k;
                }
                default -> throw new AssertionError("unexpected opcode " + op);
            }
        }
        throw new AssertionError("the program ran off its end");
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void everyListedCallIsRefusedAndTheOrdinaryOnesAreNot(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        assertThat(arch.denied).containsKeys("io_uring_setup", "bpf", "userfaultfd", "keyctl", "open_by_handle_at",
                "perf_event_open", "ptrace", "mount", "unshare", "init_module", "kexec_load", "ioprio_set", "kcmp");
        arch.denied.forEach((name, nr) -> assertThat(run(program, arch.auditArch, nr)).as(name).isEqualTo(DENIED));
        assertThat(arch.unsupported).containsKeys("setxattr", "lsetxattr", "fsetxattr", "setxattrat");
        arch.unsupported.forEach((name, nr) -> assertThat(run(program, arch.auditArch, nr)).as(name)
                .isEqualTo(SeccompFilter.RET_ERRNO | SeccompFilter.EOPNOTSUPP));
        assertThat(arch.absent).containsKeys("memfd_create", "memfd_secret", "shmget", "msgget", "semget", "io_setup",
                "io_submit", "openat2", "inotify_init1", "mq_open", "fanotify_init", "sched_setattr");
        arch.absent.forEach((name, nr) -> assertThat(run(program, arch.auditArch, nr)).as(name)
                .isEqualTo(SeccompFilter.RET_ERRNO | SeccompFilter.ENOSYS));

        int[] ordinary = arch == SeccompFilter.Arch.X86_64
                ? new int[] {0, 1, 2, 3, 9, 16, 56, 57, 59, 60, 202, 231, 257, 302, 334, 435,  // read ... clone3
                        191, 192, 193, 194, 195, 196, 197, 198, 199}  // getxattr ... fremovexattr
                : new int[] {63, 64, 56, 57, 222, 29, 220, 221, 93, 94, 98, 261, 293, 435, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        for (int nr : ordinary) {
            assertThat(run(program, arch.auditArch, nr)).as("system call %d", nr).isEqualTo(SeccompFilter.RET_ALLOW);
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void aCallTheFilterDoesNotKnowAnswersAsAKernelWithoutItAndEachNewerOneIsDecided(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int absent = SeccompFilter.RET_ERRNO | SeccompFilter.ENOSYS;
        // A kernel's next calls (rseq_slice_yield is 471), and the gap below the shared numbers, which
        // x86-64 filled twice lately (uretprobe, uprobe).
        for (int nr : new int[] {SeccompFilter.NEWEST + 1, 471, 472, 512, 1000, 0x3fffffff}) {
            assertThat(run(program, arch.auditArch, nr)).as("system call %d", nr).isEqualTo(absent);
        }
        for (int nr = arch.lastOwn + 1; nr < SeccompFilter.FIRST_SHARED; nr++) {
            assertThat(run(program, arch.auditArch, nr)).as("system call %d", nr).isEqualTo(absent);
        }
        assertThat(arch.absent).containsKeys("cachestat", "statmount", "listmount", "lsm_set_self_attr",
                "file_setattr", "listns");
        assertThat(arch.denied).containsKeys("quotactl_fd", "open_tree_attr", "mount_setattr", "fsconfig");

        // Every number from the shared ones to the newest is a call decided by name, and what is let
        // through is only what was decided so.
        Map<Integer, String> decided = new HashMap<>();
        for (Map<String, Integer> table : List.of(arch.denied, arch.unsupported, arch.absent, arch.pretended, arch.judgedNumbers,
                arch.allowedNewer)) {
            table.forEach((name, nr) -> assertThat(decided.put(nr, name)).as("%s decided twice", name).isNull());
        }
        for (int nr = SeccompFilter.FIRST_SHARED; nr <= SeccompFilter.NEWEST; nr++) {
            assertThat(decided).as("system call %d is decided", nr).containsKey(nr);
        }
        arch.allowedNewer.forEach((name, nr) -> assertThat(run(program, arch.auditArch, nr)).as(name)
                .isEqualTo(SeccompFilter.RET_ALLOW));
        if (arch == SeccompFilter.Arch.X86_64) {
            assertThat(arch.allowedNewer).containsEntry("uretprobe", 335).containsEntry("uprobe", 336);
        }
        // Below, the architecture's own calls stay as they were: refused only by name.
        for (int nr = 0; nr <= arch.lastOwn; nr++) {
            if (!decided.containsKey(nr)) {
                assertThat(run(program, arch.auditArch, nr)).as("system call %d", nr).isEqualTo(SeccompFilter.RET_ALLOW);
            }
        }
    }

    @Test
    void callsOfAnotherArchitectureOrTheX32AbiAreRefusedWhole() {
        byte[] program = SeccompFilter.program(SeccompFilter.Arch.X86_64);
        int i386 = 0x40000003;
        assertThat(run(program, i386, 0)).isEqualTo(DENIED);
        assertThat(run(program, SeccompFilter.Arch.X86_64.auditArch, SeccompFilter.X32_SYSCALL_BIT | 0)).isEqualTo(DENIED);
        assertThat(run(SeccompFilter.program(SeccompFilter.Arch.AARCH64), SeccompFilter.Arch.X86_64.auditArch, 0))
                .isEqualTo(DENIED);
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void mmapOfHugePagesAnswersNoMemoryAndEveryOtherMappingIsAllowed(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int mmap = arch.judgedNumbers.get("mmap");
        int noMemory = SeccompFilter.RET_ERRNO | SeccompFilter.ENOMEM;
        // MAP_PRIVATE|MAP_ANONYMOUS, MAP_SHARED, MAP_FIXED|MAP_NORESERVE|MAP_POPULATE, MAP_STACK
        for (long flags : new long[] {0x22, 0x01, 0x18010, 0x20022}) {
            assertThat(run(program, arch.auditArch, mmap, new long[] {0, 1 << 21, 3, flags, -1, 0})).as("flags %x", flags)
                    .isEqualTo(SeccompFilter.RET_ALLOW);
        }
        // MAP_HUGETLB alone, with anonymous private memory, and with a page size (MAP_HUGE_1GB: 30 << 26)
        for (long flags : new long[] {0x40000, 0x40022, 0x40022L | (30L << 26)}) {
            assertThat(run(program, arch.auditArch, mmap, new long[] {0, 1 << 21, 3, flags, -1, 0})).as("flags %x", flags)
                    .isEqualTo(noMemory);
        }
        // mmap's length (its second argument) is not judged: a length with that bit maps as any other.
        assertThat(run(program, arch.auditArch, mmap, new long[] {0, 0x40000, 3, 0x22, -1, 0})).isEqualTo(SeccompFilter.RET_ALLOW);
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void fallocateIsAllowedWithModeZeroOnly(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int unsupported = SeccompFilter.RET_ERRNO | SeccompFilter.EOPNOTSUPP;
        assertThat(run(program, arch.auditArch, arch.judgedNumbers.get("fallocate"), 0)).isEqualTo(SeccompFilter.RET_ALLOW);
        // FALLOC_FL_KEEP_SIZE, with PUNCH_HOLE, COLLAPSE_RANGE, ZERO_RANGE, INSERT_RANGE, UNSHARE_RANGE
        for (long mode : new long[] {0x01, 0x03, 0x08, 0x10, 0x20, 0x40, 0x11}) {
            assertThat(run(program, arch.auditArch, arch.judgedNumbers.get("fallocate"), mode)).as("mode %x", mode)
                    .isEqualTo(unsupported);
        }
        // The mode is an int: the kernel ignores the register's high half, and so does the filter.
        assertThat(run(program, arch.auditArch, arch.judgedNumbers.get("fallocate"), 1L << 32)).isEqualTo(SeccompFilter.RET_ALLOW);
        assertThat(run(program, arch.auditArch, arch.judgedNumbers.get("fallocate"), (1L << 32) | 1)).isEqualTo(unsupported);
        // Other calls are judged by their number alone, whatever their arguments.
        int read = arch == SeccompFilter.Arch.X86_64 ? 0 : 63;
        assertThat(run(program, arch.auditArch, read, 1)).isEqualTo(SeccompFilter.RET_ALLOW);
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void fcntlMayDoAnythingButGrowAPipeLockAnOpenFileDescriptionWatchADirectoryOrTakeALease(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int nr = arch.judgedNumbers.get("fcntl");
        // F_GETFD, F_SETFL, F_SETLK, F_DUPFD_CLOEXEC, F_GETPIPE_SZ, F_ADD_SEALS, F_GETLEASE
        for (long command : new long[] {1, 4, 6, 1030, 1032, 1033, 1025}) {
            assertThat(run(program, arch.auditArch, nr, new long[] {3, command, 1 << 20, 0, 0, 0})).as("command %d", command)
                    .isEqualTo(SeccompFilter.RET_ALLOW);
        }
        int absent = SeccompFilter.RET_ERRNO | SeccompFilter.EINVAL;
        for (long command : new long[] {SeccompFilter.F_SETPIPE_SZ, (1L << 32) | SeccompFilter.F_SETPIPE_SZ, 36, 37, 38,
                1026, (1L << 32) | 1026, 1024, (1L << 32) | 1024}) {
            assertThat(run(program, arch.auditArch, nr, new long[] {3, command, 4096, 0, 0, 0})).as("command %d", command)
                    .isEqualTo(absent);
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void personalityMaySetLinuxsOwnDomainsOnly(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int nr = arch.judgedNumbers.get("personality");
        for (long persona : new long[] {0, 8, 0x20000, 0x20008, 0xffffffffL}) {
            assertThat(run(program, arch.auditArch, nr, new long[] {persona, 0, 0, 0, 0, 0})).as("%x", persona).isEqualTo(SeccompFilter.RET_ALLOW);
        }
        // ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO, ADDR_LIMIT_3GB, PER_BSD
        for (long persona : new long[] {0x0040000, 0x0400000, 0x0100000, 0x8000000, 0x0006, 0x0040008}) {
            assertThat(run(program, arch.auditArch, nr, new long[] {persona, 0, 0, 0, 0, 0})).as("%x", persona).isEqualTo(DENIED);
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void settingAParentDeathSignalIsAnsweredAsDoneAndOtherPrctlsRun(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int nr = arch.judgedNumbers.get("prctl");
        // PR_SET_PDEATHSIG, to none or to any signal: PID 1's is what ends the job's namespace with bubblewrap
        for (long signal : new long[] {0, 9, 15}) {
            assertThat(run(program, arch.auditArch, nr, new long[] {1, signal, 0, 0, 0, 0})).as("%d", signal)
                    .isEqualTo(SeccompFilter.RET_ERRNO);
        }
        // PR_GET_PDEATHSIG, PR_SET_NAME, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER
        for (long option : new long[] {2, 15, 38, 36}) {
            assertThat(run(program, arch.auditArch, nr, new long[] {option, 1, 0, 0, 0, 0})).as("%d", option)
                    .isEqualTo(SeccompFilter.RET_ALLOW);
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void socketsOfTheFamiliesTheNetworkNamespaceConfinesOnly(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int unsupported = SeccompFilter.RET_ERRNO | SeccompFilter.EAFNOSUPPORT;
        for (String call : List.of("socket", "socketpair")) {
            int nr = arch.judgedNumbers.get(call);
            for (long family : new long[] {1, 2, 10, 16}) {  // unix, inet, inet6, netlink (of routing)
                assertThat(run(program, arch.auditArch, nr, new long[] {family, 1, 0, 0, 0, 0})).as("%s %d", call, family)
                        .isEqualTo(SeccompFilter.RET_ALLOW);
            }
            for (long family : new long[] {40, 31, 38, 30, 21, 15, 29, 17, 0, 46, (1L << 32) | 40}) {  // vsock, bluetooth, alg, ...
                assertThat(run(program, arch.auditArch, nr, new long[] {family, 1, 0, 0, 0, 0})).as("%s %d", call, family)
                        .isEqualTo(unsupported);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void internetSocketsOfTcpUdpAndPingOnlyAndTheOtherProtocolsAnswerAsAKernelWithoutThem(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int noProtocol = SeccompFilter.RET_ERRNO | SeccompFilter.EPROTONOSUPPORT;
        for (String call : List.of("socket", "socketpair")) {
            int nr = arch.judgedNumbers.get(call);
            for (long family : new long[] {SeccompFilter.AF_INET, SeccompFilter.AF_INET6}) {
                // SOCK_STREAM, SOCK_DGRAM|SOCK_CLOEXEC; the default, TCP, UDP, ICMP, ICMPv6, and the high
                // half of the register, which the kernel does not read
                for (long type : new long[] {1, 2 | 02000000}) {
                    for (long protocol : new long[] {0, 6, 17, 1, 58, (1L << 32) | 6}) {
                        assertThat(run(program, arch.auditArch, nr, new long[] {family, type, protocol, 0, 0, 0}))
                                .as("%s %d %d", call, family, protocol).isEqualTo(SeccompFilter.RET_ALLOW);
                    }
                    // SCTP, DCCP, L2TP, UDP-Lite, MPTCP, raw IP, past a byte
                    for (long protocol : new long[] {132, 33, 115, 136, 262, 255, 0xffffffffL}) {
                        assertThat(run(program, arch.auditArch, nr, new long[] {family, type, protocol, 0, 0, 0}))
                                .as("%s %d %d", call, family, protocol).isEqualTo(noProtocol);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void theDefaultInternetProtocolIsTcpsOrUdpsOnlyNotSctpsForSeqpacketNorDccps(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int noProtocol = SeccompFilter.RET_ERRNO | SeccompFilter.EPROTONOSUPPORT;
        for (String call : List.of("socket", "socketpair")) {
            int nr = arch.judgedNumbers.get(call);
            for (long family : new long[] {SeccompFilter.AF_INET, SeccompFilter.AF_INET6}) {
                // a stream and a datagram, with SOCK_NONBLOCK and SOCK_CLOEXEC, and the register's high half
                for (long type : new long[] {1, 2, 1 | 04000, 2 | 02000000 | 04000, (1L << 32) | 1}) {
                    assertThat(run(program, arch.auditArch, nr, new long[] {family, type, 0, 0, 0, 0}))
                            .as("%s %d type %x", call, family, type).isEqualTo(SeccompFilter.RET_ALLOW);
                }
                // SOCK_SEQPACKET (SCTP's where loaded), SOCK_DCCP, SOCK_RAW, SOCK_RDM, SOCK_PACKET, each with flags too
                for (long type : new long[] {5, 5 | 02000000, 6, 6 | 04000, 3, 4, 10}) {
                    assertThat(run(program, arch.auditArch, nr, new long[] {family, type, 0, 0, 0, 0}))
                            .as("%s %d type %x", call, family, type).isEqualTo(noProtocol);
                }
            }
            // A unix socket's type is not the filter's business: every type stays.
            for (long type : new long[] {1, 2, 5}) {
                assertThat(run(program, arch.auditArch, nr, new long[] {SeccompFilter.AF_UNIX, type, 0, 0, 0, 0}))
                        .isEqualTo(SeccompFilter.RET_ALLOW);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void settingAFilesFsxattrNamingTheFileSystemOrLeavingStateInItByIoctlAnswersAsAFileWithoutThatIoctlAndOtherIoctlsPass(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int ioctl = arch.judgedNumbers.get("ioctl");
        // FS_IOC_FSSETXATTR, and with the high half of the register set, which the kernel does not read
        for (long request : new long[] {0x401c5820L, (1L << 32) | 0x401c5820L}) {
            assertThat(run(program, arch.auditArch, ioctl, new long[] {3, request, 0, 0, 0, 0}))
                    .isEqualTo(SeccompFilter.RET_ERRNO | SeccompFilter.ENOTTY);
        }
        // The file system's label, UUID (the generic, ext4's and btrfs's requests), device name and btrfs's
        // devices; fscrypt's policy and keys, fs-verity's enabling, btrfs's subvolumes, snapshots and their
        // read-only flag; XFS's geometry in its three sizes and btrfs's subvolume info (UUIDs): each as the kernel's
        // headers (xfsprogs' for XFS) number it
        for (long request : new long[] {0x81009431L, 0x80111500L, 0x80811501L, 0x8008662cL, 0x8400941fL, 0xd000941eL,
                0x80705864L, 0x8070587cL, 0x8100587eL, 0x81f8943cL,
                0x800c6613L, 0xc0506617L, 0xc0406618L, 0xc0406619L, 0x40806685L, 0x5000940eL, 0x50009418L, 0x50009401L,
                0x50009417L, 0x4008941aL, (1L << 32) | 0x81009431L}) {
            assertThat(run(program, arch.auditArch, ioctl, new long[] {3, request, 0, 0, 0, 0}))
                    .as("request %x", request).isEqualTo(SeccompFilter.RET_ERRNO | SeccompFilter.ENOTTY);
        }
        // FS_IOC_FSGETXATTR, TCGETS, FIONREAD, FIONBIO, FS_IOC_GETFLAGS, FS_IOC_SETFLAGS (the flags an owner may
        // set change no file's reach; immutable and append-only need CAP_LINUX_IMMUTABLE), fscrypt's and
        // fs-verity's reads (FS_IOC_GET_ENCRYPTION_POLICY_EX, FS_IOC_MEASURE_VERITY), btrfs's subvolume flags' read,
        // and the number beside XFS's first geometry request
        for (long request : new long[] {0x801c581fL, 0x5401, 0x541b, 0x5421, 0x80086601L, 0x40086602L, 0xc0096616L,
                0xc0046686L, 0x80089419L, 0x80705865L}) {
            assertThat(run(program, arch.auditArch, ioctl, new long[] {3, request, 0, 0, 0, 0}))
                    .as("request %x", request).isEqualTo(SeccompFilter.RET_ALLOW);
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void aReadThatMayNotWaitAnswersAsAFileWithoutItAndDroppingCachedPagesAnswersDone(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int preadv2 = arch.judgedNumbers.get("preadv2");
        // RWF_NOWAIT alone, with RWF_HIPRI, and with the high half of the register set, which the kernel does not read
        for (long flags : new long[] {0x08, 0x09, (1L << 32) | 0x08}) {
            assertThat(run(program, arch.auditArch, preadv2, new long[] {3, 0, 1, 0, 0, flags})).as("flags %x", flags)
                    .isEqualTo(SeccompFilter.RET_ERRNO | SeccompFilter.EOPNOTSUPP);
        }
        // No flags, RWF_HIPRI, RWF_DSYNC, RWF_SYNC; and the offset (fourth argument) is not judged
        for (long flags : new long[] {0, 0x01, 0x02, 0x04}) {
            assertThat(run(program, arch.auditArch, preadv2, new long[] {3, 0, 1, 0x08, 0, flags})).as("flags %x", flags)
                    .isEqualTo(SeccompFilter.RET_ALLOW);
        }
        int fadvise = arch.judgedNumbers.get("fadvise64");
        // POSIX_FADV_DONTNEED: returns 0, never run
        assertThat(run(program, arch.auditArch, fadvise, new long[] {3, 0, 0, 4, 0, 0})).isEqualTo(SeccompFilter.RET_ERRNO);
        // NORMAL, RANDOM, SEQUENTIAL, WILLNEED, NOREUSE; and a length of 4 (third argument) is not judged
        for (long advice : new long[] {0, 1, 2, 3, 5}) {
            assertThat(run(program, arch.auditArch, fadvise, new long[] {3, 0, 4, advice, 0, 0})).as("advice %d", advice)
                    .isEqualTo(SeccompFilter.RET_ALLOW);
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void offeringMemoryToSamePageMergingAnswersAsAKernelWithoutItAndOtherAdvicePasses(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int madvise = arch.judgedNumbers.get("madvise");
        // MADV_MERGEABLE, and with the high half of the register set, which the kernel does not read
        for (long advice : new long[] {12, (1L << 32) | 12}) {
            assertThat(run(program, arch.auditArch, madvise, new long[] {0x7f0000000000L, 4096, advice, 0, 0, 0}))
                    .as("advice %x", advice).isEqualTo(SeccompFilter.RET_ERRNO | SeccompFilter.EINVAL);
        }
        // NORMAL, DONTNEED, FREE, UNMERGEABLE, HUGEPAGE, DONTFORK; and a length of 12 (second argument) is not judged
        for (long advice : new long[] {0, 4, 8, 13, 14, 10}) {
            assertThat(run(program, arch.auditArch, madvise, new long[] {0x7f0000000000L, 12, advice, 0, 0, 0}))
                    .as("advice %d", advice).isEqualTo(SeccompFilter.RET_ALLOW);
        }
        int prctl = arch.judgedNumbers.get("prctl");
        // PR_SET_MEMORY_MERGE: returns 0, never run; PR_GET_MEMORY_MERGE and PR_SET_NAME run
        assertThat(run(program, arch.auditArch, prctl, new long[] {67, 1, 0, 0, 0, 0})).isEqualTo(SeccompFilter.RET_ERRNO);
        for (long option : new long[] {68, 15}) {
            assertThat(run(program, arch.auditArch, prctl, new long[] {option, 0, 0, 0, 0, 0})).as("option %d", option)
                    .isEqualTo(SeccompFilter.RET_ALLOW);
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void syncOfTheWholeMachineOrAFileSystemAnswersDoneWithoutRunningAndAFilesOwnSyncRuns(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        for (String call : List.of("sync", "syncfs")) {
            // RET_ERRNO with errno 0: the call returns 0 and the kernel never runs it
            assertThat(run(program, arch.auditArch, arch.pretended.get(call))).as(call).isEqualTo(SeccompFilter.RET_ERRNO);
        }
        // round 37: a job's CPUs stay those it started on (CpuAffinityProbeTest); reading them stays
        assertThat(run(program, arch.auditArch, arch.pretended.get("sched_setaffinity"))).isEqualTo(SeccompFilter.RET_ERRNO);
        assertThat(run(program, arch.auditArch, arch == SeccompFilter.Arch.X86_64 ? 204 : 123)).as("sched_getaffinity")
                .isEqualTo(SeccompFilter.RET_ALLOW);
        // round 38: a job's memory stays where the node's NUMA policy puts it (NumaPolicyProbeTest); reading it stays
        for (String call : List.of("set_mempolicy", "mbind", "set_mempolicy_home_node")) {
            assertThat(run(program, arch.auditArch, arch.pretended.get(call))).as(call).isEqualTo(SeccompFilter.RET_ERRNO);
        }
        for (String call : List.of("migrate_pages", "move_pages")) {
            assertThat(run(program, arch.auditArch, arch.absent.get(call))).as(call)
                    .isEqualTo(SeccompFilter.RET_ERRNO | SeccompFilter.ENOSYS);
        }
        assertThat(arch.pretended).containsEntry("set_mempolicy", arch == SeccompFilter.Arch.X86_64 ? 238 : 237)
                .containsEntry("mbind", arch == SeccompFilter.Arch.X86_64 ? 237 : 235);
        assertThat(arch.absent).containsEntry("migrate_pages", arch == SeccompFilter.Arch.X86_64 ? 256 : 238)
                .containsEntry("move_pages", arch == SeccompFilter.Arch.X86_64 ? 279 : 239);
        assertThat(run(program, arch.auditArch, arch == SeccompFilter.Arch.X86_64 ? 239 : 236)).as("get_mempolicy")
                .isEqualTo(SeccompFilter.RET_ALLOW);
        int fsync = arch == SeccompFilter.Arch.X86_64 ? 74 : 82;
        int fdatasync = arch == SeccompFilter.Arch.X86_64 ? 75 : 83;
        assertThat(run(program, arch.auditArch, fsync)).isEqualTo(SeccompFilter.RET_ALLOW);
        assertThat(run(program, arch.auditArch, fdatasync)).isEqualTo(SeccompFilter.RET_ALLOW);
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void netlinkSocketsOfRoutingOnlyAndTheOtherProtocolsAnswerAsAKernelWithoutThem(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        int noProtocol = SeccompFilter.RET_ERRNO | SeccompFilter.EPROTONOSUPPORT;
        long netlink = SeccompFilter.AF_NETLINK;
        // SOCK_RAW, SOCK_DGRAM, SOCK_RAW|SOCK_CLOEXEC, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC
        long[] types = {3, 2, 03 | 02000000, 2 | 04000 | 02000000};
        for (String call : List.of("socket", "socketpair")) {
            int nr = arch.judgedNumbers.get(call);
            for (long type : types) {
                // NETLINK_ROUTE, and the high half of the register, which the kernel does not read
                for (long protocol : new long[] {0, 1L << 32}) {
                    assertThat(run(program, arch.auditArch, nr, new long[] {netlink, type, protocol, 0, 0, 0}))
                            .as("%s type %x protocol %x", call, type, protocol).isEqualTo(SeccompFilter.RET_ALLOW);
                }
                // firewall, sock_diag, nflog, xfrm, selinux, iscsi, audit, fib_lookup, connector,
                // netfilter, ip6_fw, dnrtmsg, kobject_uevent, generic, scsitransport, ecryptfs, rdma,
                // crypto, smc, and past the kernel's 32
                for (long protocol : new long[] {1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 31,
                        32, 0xffffffffL, (1L << 32) | 12}) {
                    assertThat(run(program, arch.auditArch, nr, new long[] {netlink, type, protocol, 0, 0, 0}))
                            .as("%s type %x protocol %d", call, type, protocol).isEqualTo(noProtocol);
                }
            }
            // A unix socket's protocol is its own business; an internet socket's is judged below.
            for (long family : new long[] {1, 2, 10}) {
                assertThat(run(program, arch.auditArch, nr, new long[] {family, 1, 6, 0, 0, 0})).as("%s %d", call, family)
                        .isEqualTo(SeccompFilter.RET_ALLOW);
            }
            assertThat(run(program, arch.auditArch, nr, new long[] {1, 1, 132, 0, 0, 0})).isEqualTo(SeccompFilter.RET_ALLOW);
        }
    }

    @ParameterizedTest
    @EnumSource(SeccompFilter.Arch.class)
    void noCallSetsTheSetUserIdOrSetGroupIdBit(SeccompFilter.Arch arch) {
        byte[] program = SeccompFilter.program(arch);
        Map<String, Integer> modeArgument = Map.of("chmod", 1, "fchmod", 1, "fchmodat", 2,
                "fchmodat2", 2, "open", 2, "openat", 3, "creat", 1, "mknod", 1, "mknodat", 2);
        List<String> here = arch == SeccompFilter.Arch.X86_64 ? List.copyOf(modeArgument.keySet())
                : List.of("fchmod", "fchmodat", "fchmodat2", "openat", "mknodat");
        assertThat(arch.judgedNumbers).containsKeys(here.toArray(String[]::new));
        for (String call : here) {
            int nr = arch.judgedNumbers.get(call);
            for (long mode : new long[] {0, 0644, 0755, 01777, 0100644, 0777}) {
                long[] args = new long[6];
                args[modeArgument.get(call)] = mode;
                args[0] = 3;  // a descriptor, or a path's address: not what is judged
                assertThat(run(program, arch.auditArch, nr, args)).as("%s %o", call, mode).isEqualTo(SeccompFilter.RET_ALLOW);
            }
            for (long mode : new long[] {04755, 02755, 06755, 0104755, 02000, 04000}) {
                long[] args = new long[6];
                args[modeArgument.get(call)] = mode;
                assertThat(run(program, arch.auditArch, nr, args)).as("%s %o", call, mode).isEqualTo(DENIED);
            }
        }
    }
}
