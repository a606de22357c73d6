package dev.rhizome.node.job;

import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The system calls a job is refused (with EPERM), as a classic BPF program for bubblewrap's
 * {@code --seccomp}. A training job needs none of them; kernel exploits and container escapes
 * reach for them: io_uring, eBPF, userfaultfd, perf events, keyrings, file handles (the "Shocker"
 * escape), mounts, modules, kexec, ptrace and cross-process memory, namespaces, the clocks and the
 * kernel log. A denylist in the manner of Docker's and Flatpak's default profiles, shorter: the
 * rest of the sandbox (no capabilities, no new user namespaces, its own PID, network and IPC
 * namespaces) already takes away most of what theirs block. System calls of another architecture
 * (32-bit calls on x86-64, the x32 ABI) are refused whole. Pure: the program is a function of the
 * architecture, tested by running it through a BPF interpreter.
 */
public final class SeccompFilter {
    /** What an architecture's kernel puts in {@code seccomp_data.arch}, and its system call numbers. */
    public enum Arch {
        X86_64(0xC000003E, true, table(
                "keyctl", 250, "add_key", 248, "request_key", 249, "bpf", 321, "perf_event_open", 298,
                "userfaultfd", 323, "io_uring_setup", 425, "io_uring_enter", 426, "io_uring_register", 427,
                "kexec_load", 246, "kexec_file_load", 320, "init_module", 175, "finit_module", 313,
                "delete_module", 176, "ptrace", 101, "process_vm_readv", 310, "process_vm_writev", 311,
                "mount", 165, "umount2", 166, "pivot_root", 155, "mount_setattr", 442, "open_tree", 428,
                "move_mount", 429, "fsopen", 430, "fsconfig", 431, "fsmount", 432, "fspick", 433,
                "name_to_handle_at", 303, "open_by_handle_at", 304, "unshare", 272, "setns", 308,
                "swapon", 167, "swapoff", 168, "reboot", 169, "acct", 163, "quotactl", 179, "syslog", 103,
                "lookup_dcookie", 212, "settimeofday", 164, "clock_settime", 227, "clock_adjtime", 305,
                "adjtimex", 159, "iopl", 172, "ioperm", 173, "uselib", 134)),
        AARCH64(0xC00000B7, false, table(
                "keyctl", 219, "add_key", 217, "request_key", 218, "bpf", 280, "perf_event_open", 241,
                "userfaultfd", 282, "io_uring_setup", 425, "io_uring_enter", 426, "io_uring_register", 427,
                "kexec_load", 104, "kexec_file_load", 294, "init_module", 105, "finit_module", 273,
                "delete_module", 106, "ptrace", 117, "process_vm_readv", 270, "process_vm_writev", 271,
                "mount", 40, "umount2", 39, "pivot_root", 41, "mount_setattr", 442, "open_tree", 428,
                "move_mount", 429, "fsopen", 430, "fsconfig", 431, "fsmount", 432, "fspick", 433,
                "name_to_handle_at", 264, "open_by_handle_at", 265, "unshare", 97, "setns", 268,
                "swapon", 224, "swapoff", 225, "reboot", 142, "acct", 89, "quotactl", 60, "syslog", 116,
                "lookup_dcookie", 18, "settimeofday", 170, "clock_settime", 112, "clock_adjtime", 266,
                "adjtimex", 171));

        final int auditArch;
        /** x86-64 also takes x32-ABI calls: the same numbers with bit 30 set. */
        final boolean x32Bit;
        final Map<String, Integer> denied;

        Arch(int auditArch, boolean x32Bit, Map<String, Integer> denied) {
            this.auditArch = auditArch;
            this.x32Bit = x32Bit;
            this.denied = denied;
        }

        /** This JVM's architecture, when the filter knows it. */
        public static Optional<Arch> host() {
            return switch (System.getProperty("os.arch", "")) {
                case "amd64", "x86_64" -> Optional.of(X86_64);
                case "aarch64", "arm64" -> Optional.of(AARCH64);
                default -> Optional.empty();
            };
        }

        public List<String> deniedNames() {
            return List.copyOf(denied.keySet());
        }
    }

    static final int EPERM = 1;
    static final int RET_ALLOW = 0x7fff0000;
    static final int RET_ERRNO = 0x00050000;
    static final int X32_SYSCALL_BIT = 0x40000000;
    /** Offsets in {@code struct seccomp_data}. */
    static final int OFFSET_NR = 0;
    static final int OFFSET_ARCH = 4;
    /** Classic BPF opcodes: load a word at an absolute offset, jump if equal / greater or equal, return. */
    static final int LD_W_ABS = 0x20;
    static final int JEQ_K = 0x15;
    static final int JGE_K = 0x35;
    static final int RET_K = 0x06;

    private SeccompFilter() {
    }

    /** The program, as {@code struct sock_filter} entries in the machine's (little-endian) byte order. */
    public static byte[] program(Arch arch) {
        Program p = new Program();
        int checks = arch.denied.size() + (arch.x32Bit ? 1 : 0);
        p.add(LD_W_ABS, 0, 0, OFFSET_ARCH);
        p.add(JEQ_K, 1, 0, arch.auditArch);
        p.add(RET_K, 0, 0, RET_ERRNO | EPERM);
        p.add(LD_W_ABS, 0, 0, OFFSET_NR);
        // Each check jumps forward to the refusal, which follows the final ALLOW.
        int remaining = checks;
        if (arch.x32Bit) {
            p.add(JGE_K, remaining, 0, X32_SYSCALL_BIT);
            remaining--;
        }
        for (int nr : arch.denied.values()) {
            p.add(JEQ_K, remaining, 0, nr);
            remaining--;
        }
        p.add(RET_K, 0, 0, RET_ALLOW);
        p.add(RET_K, 0, 0, RET_ERRNO | EPERM);
        return p.bytes.toByteArray();
    }

    private static final class Program {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        void add(int code, int jt, int jf, int k) {
            if (jt > 255 || jf > 255) {
                throw new IllegalStateException("a BPF jump reaches at most 255 instructions");
            }
            bytes.write(code & 0xff);
            bytes.write((code >> 8) & 0xff);
            bytes.write(jt);
            bytes.write(jf);
            for (int shift = 0; shift < 32; shift += 8) {
                bytes.write((k >>> shift) & 0xff);
            }
        }
    }

    private static Map<String, Integer> table(Object... namesAndNumbers) {
        Map<String, Integer> table = new LinkedHashMap<>();
        for (int i = 0; i < namesAndNumbers.length; i += 2) {
            table.put((String) namesAndNumbers[i], (Integer) namesAndNumbers[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(table);
    }
}
