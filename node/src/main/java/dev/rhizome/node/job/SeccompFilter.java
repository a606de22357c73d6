package dev.rhizome.node.job;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The system calls a job is refused (with EPERM; setting extended attributes answers EOPNOTSUPP,
 * {@code memfd_create} ENOSYS), as a classic BPF program for bubblewrap's
 * {@code --seccomp}. A training job needs none of them; kernel exploits and container escapes
 * reach for them: io_uring, eBPF, userfaultfd, perf events, keyrings, file handles (the "Shocker"
 * escape), mounts, modules, kexec, ptrace and cross-process memory and descriptors, namespaces, the clocks and the
 * kernel log. A denylist in the manner of Docker's and Flatpak's default profiles, shorter: the
 * rest of the sandbox (no capabilities, no new user namespaces, its own PID, network and IPC
 * namespaces) already takes away most of what theirs block. System calls of another architecture
 * (32-bit calls on x86-64, the x32 ABI) are refused whole, and a number the filter does not know (a
 * kernel newer than Linux 6.19, or a gap an architecture may yet fill) answers ENOSYS, as a kernel
 * without that call: a new call is open only once decided ({@link #ALLOWED_NEWER}). Pure: the program is a function of the
 * architecture, tested by running it through a BPF interpreter. Some calls are judged by an
 * argument ({@link #JUDGED}): {@code fallocate} with any mode but 0 answers EOPNOTSUPP (reserving
 * disk a file's size does not show), a socket of a family the network namespace does not confine
 * EAFNOSUPPORT, a netlink socket of any protocol but routing's and an internet one of any but TCP, UDP
 * and ping EPROTONOSUPPORT, a mode with the set-user-ID or set-group-ID bit EPERM, {@code fcntl} growing a pipe,
 * locking an open file description, watching a directory (dnotify) or taking a lease EINVAL, a {@code personality} other than Linux's own EPERM,
 * {@code mmap} of huge pages ({@code MAP_HUGETLB}) ENOMEM, a {@code preadv2} that may not wait
 * ({@code RWF_NOWAIT}) EOPNOTSUPP, {@code madvise(MADV_MERGEABLE)} EINVAL, and {@code prctl(PR_SET_PDEATHSIG)},
 * {@code prctl(PR_SET_MEMORY_MERGE)} and {@code POSIX_FADV_DONTNEED} are answered as done without being done.
 */
public final class SeccompFilter {
    static final int EPERM = 1;
    static final int EINVAL = 22;
    static final int EOPNOTSUPP = 95;
    static final int ENOSYS = 38;
    static final int EAFNOSUPPORT = 97;
    static final int EPROTONOSUPPORT = 93;
    static final int ENOMEM = 12;
    static final int ENOTTY = 25;
    /** The answer of a call the filter pretends to have run: errno 0, a return of 0. */
    static final int DONE = 0;
    /** preadv2's flag for a read that returns only what the page cache holds. */
    static final int RWF_NOWAIT = 0x08;
    /** fadvise64's advice that drops a file's cached pages (4 on x86-64 and arm64). */
    static final int POSIX_FADV_DONTNEED = 4;
    /** prctl's option that sets the signal a process gets at its parent's death. */
    static final int PR_SET_PDEATHSIG = 1;
    /** prctl's option that offers all of a process's memory to the kernel's same-page merging (Linux 6.4). */
    static final int PR_SET_MEMORY_MERGE = 67;
    /** madvise's advice that offers a range to the kernel's same-page merging (KSM). */
    static final int MADV_MERGEABLE = 12;
    static final int RET_ALLOW = 0x7fff0000;
    static final int RET_ERRNO = 0x00050000;
    static final int X32_SYSCALL_BIT = 0x40000000;
    /** Offsets in {@code struct seccomp_data}. */
    static final int OFFSET_NR = 0;
    static final int OFFSET_ARCH = 4;
    /** Classic BPF opcodes: load a word at an absolute offset, jump if equal / greater or equal / any bit, return. */
    static final int LD_W_ABS = 0x20;
    static final int JEQ_K = 0x15;
    static final int JGE_K = 0x35;
    static final int JSET_K = 0x45;
    static final int RET_K = 0x06;
    /** Classic BPF: the accumulator AND a constant. */
    static final int ALU_AND_K = 0x54;

    /**
     * The refused calls by name, with their numbers on x86-64 and on arm64 (the generic table);
     * -1 where an architecture has no such call.
     */
    private static final Object[][] DENIED = {
        {"keyctl", 250, 219}, {"add_key", 248, 217}, {"request_key", 249, 218}, {"bpf", 321, 280},
        {"perf_event_open", 298, 241}, {"userfaultfd", 323, 282}, {"io_uring_setup", 425, 425},
        {"io_uring_enter", 426, 426}, {"io_uring_register", 427, 427}, {"kexec_load", 246, 104},
        {"kexec_file_load", 320, 294}, {"init_module", 175, 105}, {"finit_module", 313, 273},
        {"delete_module", 176, 106}, {"ptrace", 101, 117}, {"process_vm_readv", 310, 270},
        {"process_vm_writev", 311, 271}, {"mount", 165, 40}, {"umount2", 166, 39}, {"pivot_root", 155, 41},
        {"mount_setattr", 442, 442}, {"open_tree", 428, 428}, {"move_mount", 429, 429}, {"fsopen", 430, 430},
        {"fsconfig", 431, 431}, {"fsmount", 432, 432}, {"fspick", 433, 433}, {"name_to_handle_at", 303, 264},
        {"open_by_handle_at", 304, 265}, {"unshare", 272, 97}, {"setns", 308, 268}, {"swapon", 167, 224},
        {"swapoff", 168, 225}, {"reboot", 169, 142}, {"acct", 163, 89}, {"quotactl", 179, 60},
        {"quotactl_fd", 443, 443}, {"open_tree_attr", 467, 467},
        {"syslog", 103, 116}, {"lookup_dcookie", 212, 18}, {"settimeofday", 164, 170},
        {"clock_settime", 227, 112}, {"clock_adjtime", 305, 266}, {"adjtimex", 159, 171},
        {"iopl", 172, -1}, {"ioperm", 173, -1}, {"uselib", 134, -1},
        // Another process's descriptors: bubblewrap's init (PID 1, the job's uid) holds the eventfd
        // through which bubblewrap learns the job's exit status.
        {"pidfd_getfd", 438, 438},
        // I/O priority: a job starts in the idle class (a GPU job at best-effort 7), and an
        // unprivileged process may move itself to best-effort 0, level with the owner's programs.
        {"ioprio_set", 251, 30},
        // Compares two processes' kernel objects, with ptrace's reach; only checkpointing tools use it.
        {"kcmp", 312, 272},
    };

    /**
     * Calls answered "not supported here" (EOPNOTSUPP), as a file system without extended attributes
     * answers: setting an attribute. {@code user.*} attributes take disk space (up to a block per file
     * on ext4) that the work directory's budget, which sums file sizes, does not see. Nothing a
     * training job runs needs them, and what copies them (Python's {@code shutil.copystat}, {@code cp -a},
     * tar, pip) takes this answer as a file system without them and goes on; EPERM would read as a
     * refusal some of them report.
     */
    private static final Object[][] UNSUPPORTED = {
        {"setxattr", 188, 5}, {"lsetxattr", 189, 6}, {"fsetxattr", 190, 7}, {"setxattrat", 463, 463},
    };

    /**
     * Calls answered as done (errno 0: the filter returns 0 without the kernel running them): flushing
     * every dirty page of the machine ({@code sync}) or of a whole file system ({@code syncfs}), the
     * volunteer's files' with the job's, which in a loop kept the machine's disks busy for all its
     * programs. A job's own files still reach the disk ({@code fsync}, {@code fdatasync} stay, and the
     * kernel writes everything back in time); nothing of training depends on a system-wide flush, and
     * what calls it (package managers, {@code sync} after a download) reads success and goes on.
     *
     * <p>Round 37: {@code sched_setaffinity}. A job inherits the node's CPUs (a volunteer's {@code taskset -c 0-3
     * rhizome node}, systemd's {@code CPUAffinity=}), but the kernel lets any process widen its own affinity to every
     * CPU of its cpuset, and a job took the whole machine so. The mask lies in memory, which a filter cannot read, so
     * no call may change it: a job stays on the CPUs it was started on. What sets affinity in training is a hint
     * (OpenMP's binding, a loader's worker pinned to a core, the "undo numpy's pinning" call back to every core), and
     * reads success and goes on; {@code sched_getaffinity} tells the truth.
     *
     * <p>Round 38: the NUMA memory policy, likewise. A volunteer's {@code numactl --membind=0 rhizome node} (or
     * {@code --cpunodebind}, {@code --preferred}) is a policy its jobs inherit, but any process may set its own
     * ({@code set_mempolicy}) or a range's ({@code mbind}, {@code set_mempolicy_home_node}) to every node of its
     * cpuset, and a job moved its memory to the node the volunteer kept for their own programs. The node masks lie in
     * memory, which a filter cannot read, so no call sets a policy: each answers done, and the job's memory stays
     * where the node's policy puts it. What sets one in training is a placement hint (libnuma's binding, a loader
     * placing its buffers, CUDA's driver placing pinned host memory near its GPU), all of which read success and go
     * on; {@code get_mempolicy} tells the truth. Docker's default profile grants these calls to no container
     * without {@code CAP_SYS_NICE}, and CUDA runs there.
     */
    private static final Object[][] PRETENDED = {
        {"sync", 162, 81}, {"syncfs", 306, 267}, {"sched_setaffinity", 203, 122},
        {"set_mempolicy", 238, 237}, {"mbind", 237, 235}, {"set_mempolicy_home_node", 450, 450},
    };

    /**
     * Calls answered "not in this kernel" (ENOSYS), so that what uses them takes the road older
     * kernels need: anonymous memory files. A {@code memfd_create} file lives on the kernel's own
     * shared-memory mount, which has no size, and it is counted by no limit but a cgroup (not by
     * RLIMIT_AS unless mapped, not by {@code /dev/shm}'s size): one descriptor held any amount of
     * the machine's memory. What falls back (ZGC's heap, Python's {@code multiprocessing}) goes to
     * a file in {@code /dev/shm} or {@code /tmp}, which are sized; PyTorch never calls it. The same
     * for System V IPC's three calls that make an object.
     */
    private static final Object[][] ABSENT = {
        {"memfd_create", 319, 279}, {"memfd_secret", 447, 447},
        // System V IPC, as a kernel built without it: the job's IPC namespace has the kernel's
        // default limits (shared memory without bound, 32,000 queues and semaphore sets), and a
        // shared memory segment keeps its pages after it is detached, counted by nothing (256 MiB
        // parked by a probe under an RLIMIT_AS of 512). What training runs uses POSIX shared memory
        // and semaphores (files in /dev/shm, futexes).
        {"shmget", 29, 194}, {"msgget", 68, 186}, {"semget", 64, 190},
        // Linux AIO, as a kernel built without it: its contexts are counted against one limit for the
        // whole machine (fs.aio-max-nr, 65,536 by default), not per user or namespace, and one
        // io_setup(65536) in a job made every io_setup of the volunteer's own programs fail until it
        // ended. Training never uses it (glibc's POSIX AIO runs on threads); what does, such as
        // DeepSpeed's NVMe offload, is told there is none.
        {"io_setup", 206, 0}, {"io_destroy", 207, 1}, {"io_getevents", 208, 4}, {"io_submit", 209, 2},
        {"io_cancel", 210, 3}, {"io_pgetevents", 333, 292},
        // Its mode is in a structure the filter cannot read (see JUDGED); glibc's open does not use it,
        // and what does (systemd) falls back to openat on this answer.
        {"openat2", 437, 437},
        // inotify, as a kernel without it: its instances are counted for the job's uid on the host
        // (128 by default), the node's own user's when the node does not run as root, and a job took
        // every one, so the volunteer's file watchers (a file manager, an editor) failed while it ran.
        // Nothing of training watches files; what does either polls instead or says why it cannot watch.
        {"inotify_init", 253, -1}, {"inotify_init1", 294, 26},
        // fanotify, likewise: an unprivileged process may make groups (Linux 5.13 on), counted for its uid
        // on the host (fs.fanotify.max_user_groups, 128), and a job took all 128.
        {"fanotify_init", 300, 262},
        // POSIX message queues, as a kernel built without them: their bytes are counted for the job's
        // uid on the host too (RLIMIT_MSGQUEUE, whose part the job's own limit of 0 already takes away
        // where there is no filter). Training passes data through pipes, sockets and shared memory.
        {"mq_open", 240, 180},
        // sched_setattr (round 37), as a kernel before 3.14: besides what sched_setscheduler sets (which stays, and
        // which RLIMIT_NICE and RLIMIT_RTPRIO bound), it sets utilization clamps, which no limit bounds for an
        // unprivileged process (sched_util_clamp_min defaults to the whole 1024): a job at nice 19 asking a minimum
        // of 1024 has schedutil run its cores at their top frequency whenever it runs, the volunteer's fans and
        // battery with it. The flags lie in the structure, which the filter cannot read. Nothing of training sets
        // them; what calls it (chrt for a deadline policy, refused anyway) takes the older call on this answer.
        {"sched_setattr", 314, 274},
        // Page migration (round 38), as a kernel built without it (CONFIG_MIGRATION): migrate_pages moves a process's
        // pages from some nodes to others and move_pages named pages to named nodes, each past the node's memory
        // policy (see PRETENDED) to any node of the cpuset. Answering done would leave move_pages' per-page status
        // unwritten, read as where the pages went; ENOSYS is what libnuma and the tools that move pages read as "no
        // migration here" and go on.
        {"migrate_pages", 256, 238}, {"move_pages", 279, 239},
        // Newer calls nothing of training makes, answered as the kernel before them, whose fallback
        // (if any) is what the sandbox already shows or refuses. cachestat (6.5) tells which pages of a
        // file are in the page cache, of the host's shared files too (/usr, the JDK): the side channel
        // mincore was narrowed against in 5.0. statmount and listmount (6.8) describe mounts by id and
        // reach other mount namespaces by theirs; /proc/self/mountinfo, which libmount falls back to,
        // shows the job its own. lsm_set_self_attr (6.8) changes the process's LSM attributes, what
        // writing /proc/self/attr does, which the read-only /proc refuses. file_setattr (6.17) sets a
        // file's fsxattr: an extent size hint on XFS keeps blocks past a file's end that its size, all
        // the work directory's budget reads, does not show. listns (6.19) lists namespaces by id.
        {"cachestat", 451, 451}, {"statmount", 457, 457}, {"listmount", 458, 458},
        {"lsm_set_self_attr", 460, 460}, {"file_setattr", 469, 469}, {"listns", 470, 470},
    };

    /**
     * The calls numbered from {@link #FIRST_SHARED} on (and x86-64's last two of its own) that the
     * filter lets through, each decided: the ones not named here nor in another table are
     * unassigned numbers, and every number past {@link #NEWEST} answers ENOSYS. Not read by the
     * program (what is not refused is allowed); kept so that a newer kernel's calls are decided one by
     * one ({@code SeccompFilterTest}).
     */
    static final Object[][] ALLOWED_NEWER = {
        {"pidfd_send_signal", 424, 424}, {"pidfd_open", 434, 434}, {"clone3", 435, 435}, {"close_range", 436, 436},
        {"faccessat2", 439, 439}, {"epoll_pwait2", 441, 441},
        // The kernel's own checks hold: the job's caps are none, and no other process of its namespace is
        // one it may not already signal or trace-check (process_madvise needs ptrace access, refused).
        {"process_madvise", 440, 440}, {"process_mrelease", 448, 448},
        // Self-restriction only: a job may sandbox itself further.
        {"landlock_create_ruleset", 444, 444}, {"landlock_add_rule", 445, 445}, {"landlock_restrict_self", 446, 446},
        {"futex_waitv", 449, 449}, {"futex_wake", 454, 454}, {"futex_wait", 455, 455}, {"futex_requeue", 456, 456},
        // glibc's shadow stacks (CET) and its sealing of its own mappings.
        {"map_shadow_stack", 453, 453}, {"mseal", 462, 462},
        // Reading the process's own LSM attributes and the list of LSMs, as /proc/self/attr and
        // /sys/kernel/security/lsm (absent inside) show.
        {"lsm_get_self_attr", 459, 459}, {"lsm_list_modules", 461, 461},
        {"getxattrat", 464, 464}, {"listxattrat", 465, 465}, {"removexattrat", 466, 466},
        {"file_getattr", 468, 468},
        // x86-64 only: made by the kernel's own uprobe trampolines (anything else gets SIGILL). A filter's
        // answer broke every process the host's uprobes traced on the kernels that still filtered them.
        {"uretprobe", 335, -1}, {"uprobe", 336, -1},
    };

    /** The first number both architectures share for new calls (Linux 5.1 on). */
    static final int FIRST_SHARED = 424;
    /** The newest call the filter knows (listns, Linux 6.19); a later one answers ENOSYS. */
    static final int NEWEST = 470;

    /** The socket families a job may use, which its network namespace confines (socket's first argument). */
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int AF_NETLINK = 16;
    /** The one netlink protocol a job may open: routes and addresses, which name lookups read. */
    static final int NETLINK_ROUTE = 0;
    /**
     * The internet protocols a job may open (socket's third argument): the type's default (0), TCP,
     * UDP, and ICMP's ping sockets (which net.ipv4.ping_group_range gates beside).
     */
    static final int[] INET_PROTOCOLS = {0, 6, 17, 1, 58};
    /** The set-user-ID and set-group-ID bits of a mode. */
    static final int SPECIAL_MODE_BITS = 06000;
    /** PER_LINUX, PER_LINUX32, each with UNAME26, and 0xffffffff, which asks without setting. */
    static final int[] PERSONALITIES = {0, 0x0008, 0x20000, 0x20008, 0xffffffff};
    /** fcntl's command that sets a pipe's size, and those of open file descriptions' locks. */
    static final int F_SETPIPE_SZ = 1031;
    /** fcntl's command that watches a directory (dnotify), the one fsnotify interface inotify's and fanotify's absence left. */
    static final int F_NOTIFY = 1026;
    static final int F_OFD_GETLK = 36;
    static final int F_OFD_SETLK = 37;
    static final int F_OFD_SETLKW = 38;
    /** mmap's flag for pages of the host's huge page pool. */
    static final int MAP_HUGETLB = 0x40000;
    /**
     * ioctl's request that sets a file's fsxattr ({@code _IOW('X', 32, struct fsxattr)}), the ioctl
     * {@code file_setattr} (absent, {@link #ABSENT}) replaced: an XFS extent size hint keeps blocks
     * past a file's end that its size, all the work directory's budget reads, does not show.
     */
    static final int FS_IOC_FSSETXATTR = 0x401c5820;
    /**
     * ioctl's requests that name the file system a file lies on, answered ENOTTY, as a file system without
     * them: its label, which the volunteer chose ({@code FS_IOC_GETFSLABEL}; ext4, XFS and btrfs answer it
     * to any reader), its UUID ({@code FS_IOC_GETFSUUID}, ext4's own {@code EXT4_IOC_GETFSUUID}, btrfs's
     * {@code BTRFS_IOC_FS_INFO}; the id that {@code /etc/fstab}, the kernel's command line and {@code blkid}
     * give the disk), the block device's name ({@code FS_IOC_GETFSSYSFSPATH}) and, on btrfs, each device's
     * UUID and path ({@code BTRFS_IOC_DEV_INFO}). A job's checkout and {@code /usr} lie on the host's disks.
     * Round 34: XFS's geometry, whose answer holds the file system's UUID, in each of its three sizes
     * ({@code XFS_IOC_FSGEOMETRY_V1}, {@code _V4} and the current one, numbered from xfsprogs' structures), and
     * btrfs's {@code BTRFS_IOC_GET_SUBVOL_INFO}, which any reader may ask and which answers the subvolume's
     * UUID, its parent's and the one it was received as (what {@code btrfs subvolume list -u} and snapper's
     * records name it by); its id and generation come with them. Nothing of training asks either ({@code xfs_info}
     * and btrfs-progs do).
     */
    static final int[] FILE_SYSTEM_IDENTITY = {0x81009431, 0x80111500, 0x80811501, 0x8008662c, 0x8400941f, 0xd000941e,
        0x80705864, 0x8070587c, 0x8100587e, 0x81f8943c};
    /**
     * ioctl's requests that leave state in the file system beyond a file's bytes, answered ENOTTY likewise:
     * fscrypt's policy on a directory and its keys ({@code FS_IOC_SET_ENCRYPTION_POLICY},
     * {@code FS_IOC_ADD_ENCRYPTION_KEY}, {@code FS_IOC_REMOVE_ENCRYPTION_KEY} and its all-users twin: an
     * unprivileged owner may add a v2 key, which stays in the file system's keyring, charged to the job's uid
     * on the host, after the job ends, and a directory whose key it removed again is one whose entries the
     * node cannot move, which its delete does) and fs-verity ({@code FS_IOC_ENABLE_VERITY}: the Merkle tree
     * lies past the file's end, where the work directory's budget, reading sizes, does not look); and btrfs's
     * subvolumes and snapshots ({@code BTRFS_IOC_SUBVOL_CREATE}, {@code BTRFS_IOC_SNAP_CREATE}, each with its
     * v2, and {@code BTRFS_IOC_SUBVOL_SETFLAGS}), which any owner of the directory may make: a subvolume is a
     * file system of its own to {@code rename}, so the node's delete, which moves each directory into a trash
     * beside the tree before listing it, fails inside one (EXDEV), and one its owner set read-only refuses
     * every unlink (EROFS); a tree the node cannot delete keeps it from starting.
     */
    static final int[] FILE_SYSTEM_STATE = {0x800c6613, 0xc0506617, 0xc0406618, 0xc0406619, 0x40806685,
        0x5000940e, 0x50009418, 0x50009401, 0x50009417, 0x4008941a};
    /** fcntl's command that takes a lease: a signal to the holder whenever another process opens the file. */
    static final int F_SETLEASE = 1024;
    /** The bits of a socket's type that name the type; the rest are SOCK_NONBLOCK and SOCK_CLOEXEC. */
    static final int SOCK_TYPE_MASK = 0xf;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;

    /**
     * A socket's family (its first argument), and of a netlink socket its protocol (the third). Netlink
     * answers inside the job's network namespace, but each protocol is kernel code of its own
     * (netfilter, xfrm, audit, sock_diag, uevent, generic netlink's families: each opened in a probe),
     * and one the kernel has not loaded yet makes it load the module that serves it, for any
     * unprivileged caller. Only NETLINK_ROUTE stays, which glibc's getaddrinfo reads (AI_ADDRCONFIG)
     * and Go's net package lists interfaces by. The others answer EPROTONOSUPPORT, as a kernel built
     * without them does, not EPERM: libaudit takes that answer as "no audit here" and its callers go
     * on, rdma-core's device listing falls back to sysfs (and finds no device, as it would in any
     * network namespace), and a udev monitor reports no events. socketpair builds its sockets by the
     * same protocol before netlink refuses to pair them, so it is judged alike. An internet socket's
     * protocol likewise: TCP, UDP and ping only ({@link #INET_PROTOCOLS}). SCTP, DCCP and L2TP are
     * modules a distribution's kernel loads for any caller that names them, and UDP-Lite and MPTCP,
     * built in, are kernel code training never reaches for; each answers EPROTONOSUPPORT, as a kernel
     * without it, on which Go's MPTCP listeners fall back to TCP. Protocol 0 is the first the kernel
     * registered for the socket's type: TCP's and UDP's for a stream and a datagram, but SCTP's for
     * {@code SOCK_SEQPACKET} and DCCP's for {@code SOCK_DCCP} where those modules are loaded; so it is
     * allowed with those two types only ({@link #INET_DEFAULT}), type and protocol judged together.
     */
    private static final Allowed INET_DEFAULT = Allowed.masked(SOCK_TYPE_MASK, SOCK_STREAM, SOCK_DGRAM);
    private static final Allowed INET_SOCKETS = Allowed.only(without(INET_PROTOCOLS, 0),
            new Allowed.Narrowed(0, 1, INET_DEFAULT, EPROTONOSUPPORT));
    private static final Allowed SOCKET_FAMILIES = Allowed.only(new int[] {AF_UNIX},
            new Allowed.Narrowed(AF_INET, 2, INET_SOCKETS, EPROTONOSUPPORT),
            new Allowed.Narrowed(AF_INET6, 2, INET_SOCKETS, EPROTONOSUPPORT),
            new Allowed.Narrowed(AF_NETLINK, 2, Allowed.only(NETLINK_ROUTE), EPROTONOSUPPORT));

    /**
     * Calls judged by one argument, the low 32 bits of it (each is an int or a mode: the kernel reads
     * no more), with their numbers on x86-64 and arm64, that argument's index, what it may be, and
     * the answer otherwise.
     */
    private static final Judged[] JUDGED = {
        // FALLOC_FL_KEEP_SIZE (and the modes that need it, punching holes) reserves blocks past a
        // file's end without changing its size, which is all the work directory's budget reads, so a
        // job took any amount of disk under any budget. Mode 0 (posix_fallocate's) grows the size,
        // which is counted; what uses the others takes EOPNOTSUPP as a file system without them and writes.
        new Judged("fallocate", 285, 47, 1, Allowed.only(0), EOPNOTSUPP),
        // Families the network namespace does not confine: a virtual machine's vsock reaches its host's
        // services, Bluetooth's sockets are the host's, and the rest (AF_ALG, TIPC, RDS, ...) are kernel
        // code with a history of local exploits that no training job needs. Answered as a kernel
        // without them. AF_PACKET and AF_XDP need a capability the job has not.
        new Judged("socket", 41, 198, 0, SOCKET_FAMILIES, EAFNOSUPPORT),
        new Judged("socketpair", 53, 199, 0, SOCKET_FAMILIES, EAFNOSUPPORT),
        // No set-user-ID or set-group-ID file: the sandbox's mounts are nosuid, the host's view of the
        // checkout is not, and such a file of the job's uid ran as that uid for any local user who
        // reached it (under a root node, any process of group nobody's passes the job directory's
        // 0710). Every call that sets a mode, by where its mode is; openat2's is in a structure and
        // that call is absent (ABSENT). x86-64's older calls have no arm64 twin.
        new Judged("chmod", 90, -1, 1, Allowed.without(SPECIAL_MODE_BITS), EPERM),
        new Judged("fchmod", 91, 52, 1, Allowed.without(SPECIAL_MODE_BITS), EPERM),
        new Judged("fchmodat", 268, 53, 2, Allowed.without(SPECIAL_MODE_BITS), EPERM),
        new Judged("fchmodat2", 452, 452, 2, Allowed.without(SPECIAL_MODE_BITS), EPERM),
        new Judged("open", 2, -1, 2, Allowed.without(SPECIAL_MODE_BITS), EPERM),
        new Judged("openat", 257, 56, 3, Allowed.without(SPECIAL_MODE_BITS), EPERM),
        new Judged("creat", 85, -1, 1, Allowed.without(SPECIAL_MODE_BITS), EPERM),
        new Judged("mknod", 133, -1, 1, Allowed.without(SPECIAL_MODE_BITS), EPERM),
        new Judged("mknodat", 259, 33, 2, Allowed.without(SPECIAL_MODE_BITS), EPERM),
        // Answered as a kernel without these commands (before 2.6.35 and 3.15). A pipe grown to
        // pipe-max-size (1 MiB) takes 256 of its user's pipe pages on the host (pipe-user-pages-soft,
        // 16,384 by default), past which every new pipe of that user, the volunteer's own when the node
        // does not run as root, gets two pages and none may grow; what grows pipes for speed goes on
        // without. Locks of an open file description name no process in /proc/locks, where the node
        // counts a job's locks (FileLocks); what takes them falls back to the process's own (F_SETLK).
        // F_NOTIFY as a kernel built without dnotify: a watch with DN_ACCESS on a directory the job
        // shares with the host (/usr, the JDK) signalled the job at each read of a file there by any
        // process of the machine, the volunteer's and the node's, which the page cache's side channel
        // (cachestat, RWF_NOWAIT) was closed against; inotify and fanotify are absent already.
        // F_SETLEASE as a kernel with leases turned off (fs.leases-enable 0): a job's lease on a file of its
        // own (its checkout, on the host's disk) signalled it whenever any process of the machine opened the
        // file (the node, the volunteer's backup or virus scanner), and held that open up to
        // fs.lease-break-time (45 s) unless the job let go. File servers (Samba, NFS) take leases; training does not.
        new Judged("fcntl", 72, 25, 1,
                Allowed.anyBut(F_SETPIPE_SZ, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_NOTIFY, F_SETLEASE), EINVAL),
        // The execution domain: only Linux's own, its 32-bit uname and the query, as Docker allows. The
        // flags (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO) turn off address randomization,
        // make data executable and map page zero in what the job runs next, which exploits want and
        // training does not (a job set ADDR_NO_RANDOMIZE before).
        new Judged("personality", 135, 92, 0, Allowed.only(PERSONALITIES), EPERM),
        // Huge pages of the host's hugetlb pool (vm.nr_hugepages, and overcommitted ones past it), which
        // no rlimit or cgroup memory limit counts (only the hugetlb controller, which the node does not
        // set) and which the host reserves for its own programs (databases, VMs). Answered as a host with
        // no huge pages answers; what asks for them (allocators, DPDK) falls back to normal pages.
        // Transparent huge pages (madvise) are normal memory and stay. SHM_HUGETLB needs shmget, absent.
        new Judged("mmap", 9, 222, 3, Allowed.without(MAP_HUGETLB), ENOMEM),
        // Read by its request, whose number the kernel takes as 32 bits: FS_IOC_FSSETXATTR answers as a
        // file that has no such ioctl (ENOTTY), on which xfs_io and what sets hints go on without one.
        // The file system's identity (the volunteer's label, the disk's UUID and device) and state a file's
        // bytes do not hold (fscrypt's policies and keys, fs-verity's tree) likewise; see their tables.
        new Judged("ioctl", 16, 29, 1, Allowed.anyBut(ioctlsRefused()), ENOTTY),
        // The job's command is its PID namespace's init (BwrapCommand's --as-pid-1), and its parent-death
        // signal (bubblewrap's SIGKILL) is what ends the namespace when bubblewrap, or the node it dies
        // with, is killed: cleared, the job outlived the node. Answered as done, not refused, since
        // programs set one on their workers and some fail on an error (a worker then outlives its parent
        // until the job's end, which kills all); the other options stay.
        // Same-page merging (KSM, where the volunteer turned it on: ksmtuned, a VM host) shares a page of the
        // job's with any identical one of the machine offered to it (QEMU offers its guests' memory, systemd's
        // MemoryKSM= a service's), and a write to a merged page takes a copy, which takes measurably longer:
        // a job that offered pages of its choosing learned which of them the host's programs held, page by
        // page (the deduplication side channel). Offering all of a process's memory answers done, undone,
        // as the kernel's scanning promises nothing; the range's advice below as a kernel without KSM.
        new Judged("prctl", 157, 167, 0, Allowed.anyBut(PR_SET_PDEATHSIG, PR_SET_MEMORY_MERGE), DONE),
        new Judged("madvise", 28, 233, 2, Allowed.anyBut(MADV_MERGEABLE), EINVAL),
        // The page cache of the files a job shares with the host (/usr, the JDK) tells which of their pages
        // the volunteer's programs touched: a read that may not wait returns cached pages only, and the
        // advice to drop a file's pages works for any reader, so a job dropped a library's pages and looked
        // again, as often as it liked (the side channel mincore was narrowed against in Linux 5.0, and
        // cachestat, absent, reopened). Such a read answers as a file that cannot (EOPNOTSUPP), on which its
        // callers read as usual; the advice to drop is answered done, undone, as the kernel may ignore any
        // advice. Other flags and advice stay; a timed read still tells one page's state, once.
        new Judged("preadv2", 327, 286, 5, Allowed.without(RWF_NOWAIT), EOPNOTSUPP),
        new Judged("fadvise64", 221, 223, 3, Allowed.anyBut(POSIX_FADV_DONTNEED), DONE),
    };

    private static int[] ioctlsRefused() {
        return java.util.stream.IntStream.concat(java.util.stream.IntStream.of(FS_IOC_FSSETXATTR),
                java.util.stream.IntStream.concat(java.util.Arrays.stream(FILE_SYSTEM_IDENTITY),
                        java.util.Arrays.stream(FILE_SYSTEM_STATE))).toArray();
    }

    private static int[] without(int[] values, int value) {
        return java.util.Arrays.stream(values).filter(v -> v != value).toArray();
    }

    /** A call judged by its argument {@code argument} (0-based); -1: no such call on that architecture. */
    record Judged(String name, int x86, int arm, int argument, Allowed allowed, int errno) {
    }

    /** What a judged argument may be, as the program tests it. */
    interface Allowed {
        /** Emits the test of the loaded argument: on to {@code allow} or {@code refuse}. */
        void emit(Program p, String allow, String refuse);

        /**
         * A value of the judged argument allowed only when another argument, loaded then, passes
         * {@code allowed}; answered {@code errno} otherwise.
         */
        record Narrowed(int value, int argument, Allowed allowed, int errno) {
        }

        /** One of {@code values}, or one of {@code narrowed}'s values with its other argument allowed by it. */
        static Allowed only(int[] values, Narrowed... narrowed) {
            return new Allowed() {
                @Override
                public void emit(Program p, String allow, String refuse) {
                    for (int v : values) {
                        p.jumpIfEqual(v, allow, null);
                    }
                    String[] places = new String[narrowed.length];
                    for (int i = 0; i < narrowed.length; i++) {
                        places[i] = p.fresh("narrowed");
                        p.jumpIfEqual(narrowed[i].value(), places[i], null);
                    }
                    p.jump(refuse);
                    for (int i = 0; i < narrowed.length; i++) {
                        p.label(places[i]);
                        p.add(LD_W_ABS, 0, 0, argumentOffset(narrowed[i].argument()));
                        narrowed[i].allowed().emit(p, allow, p.returning(RET_ERRNO | narrowed[i].errno()));
                    }
                }
            };
        }

        /** One of {@code values}. */
        static Allowed only(int... values) {
            return (p, allow, refuse) -> {
                for (int v : values) {
                    p.jumpIfEqual(v, allow, null);
                }
                p.jump(refuse);
            };
        }

        /** Anything but {@code values}. */
        static Allowed anyBut(int... values) {
            return (p, allow, refuse) -> {
                for (int v : values) {
                    p.jumpIfEqual(v, refuse, null);
                }
                p.jump(allow);
            };
        }

        /** One of {@code values} once ANDed with {@code mask}, as the kernel reads it. */
        static Allowed masked(int mask, int... values) {
            return (p, allow, refuse) -> {
                p.add(ALU_AND_K, 0, 0, mask);
                for (int v : values) {
                    p.jumpIfEqual(v, allow, null);
                }
                p.jump(refuse);
            };
        }

        /** None of the bits of {@code mask} set. */
        static Allowed without(int mask) {
            return (p, allow, refuse) -> {
                p.jumpIfAnyBit(mask, refuse, null);
                p.jump(allow);
            };
        }
    }

    /** What an architecture's kernel puts in {@code seccomp_data.arch}, and its system call numbers. */
    public enum Arch {
        X86_64(0xC000003E, true, 1, 336),
        AARCH64(0xC00000B7, false, 2, 294);

        final int auditArch;
        /**
         * The last number of this architecture's own calls, before {@link #FIRST_SHARED}: the numbers
         * between answer ENOSYS, since a later kernel may yet give one to a call (x86-64 gave 335 and
         * 336 so).
         */
        final int lastOwn;
        /** x86-64 also takes x32-ABI calls: the same numbers with bit 30 set. */
        final boolean x32Bit;
        /** Refused with EPERM. */
        final Map<String, Integer> denied;
        /** Answered EOPNOTSUPP. */
        final Map<String, Integer> unsupported;
        /** Answered ENOSYS. */
        final Map<String, Integer> absent;
        /** Answered 0 without running ({@link SeccompFilter#PRETENDED}). */
        final Map<String, Integer> pretended;
        /** Let through, each decided ({@link SeccompFilter#ALLOWED_NEWER}). */
        final Map<String, Integer> allowedNewer;
        /** Judged by an argument ({@link SeccompFilter#JUDGED}), by name. */
        final Map<String, Judged> judged;
        /** Those calls' numbers here, by name. */
        final Map<String, Integer> judgedNumbers;

        Arch(int auditArch, boolean x32Bit, int column, int lastOwn) {
            this.auditArch = auditArch;
            this.lastOwn = lastOwn;
            this.x32Bit = x32Bit;
            this.denied = numbers(DENIED, column);
            this.unsupported = numbers(UNSUPPORTED, column);
            this.absent = numbers(ABSENT, column);
            this.pretended = numbers(PRETENDED, column);
            this.allowedNewer = numbers(ALLOWED_NEWER, column);
            Map<String, Judged> judged = new LinkedHashMap<>();
            Map<String, Integer> judgedNumbers = new LinkedHashMap<>();
            for (Judged call : JUDGED) {
                int nr = column == 1 ? call.x86() : call.arm();
                if (nr >= 0) {
                    judged.put(call.name(), call);
                    judgedNumbers.put(call.name(), nr);
                }
            }
            this.judged = Collections.unmodifiableMap(judged);
            this.judgedNumbers = Collections.unmodifiableMap(judgedNumbers);
        }

        private static Map<String, Integer> numbers(Object[][] table, int column) {
            Map<String, Integer> numbers = new LinkedHashMap<>();
            for (Object[] call : table) {
                if ((Integer) call[column] >= 0) {
                    numbers.put((String) call[0], (Integer) call[column]);
                }
            }
            return Collections.unmodifiableMap(numbers);
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

        public List<String> unsupportedNames() {
            return List.copyOf(unsupported.keySet());
        }
    }


    private SeccompFilter() {
    }

    /**
     * The offset of the low 32 bits of argument {@code index} in {@code seccomp_data} (little-endian,
     * as both architectures run): each argument is an int or a mode, of which the kernel reads the
     * low 32 bits of the register only, and so does the filter.
     */
    static int argumentOffset(int index) {
        return 16 + 8 * index;
    }

    /** The program, as {@code struct sock_filter} entries in the machine's (little-endian) byte order. */
    public static byte[] program(Arch arch) {
        Program p = new Program();
        p.add(LD_W_ABS, 0, 0, OFFSET_ARCH);
        p.jumpIfEqual(arch.auditArch, null, refusal(EPERM));
        p.add(LD_W_ABS, 0, 0, OFFSET_NR);
        if (arch.x32Bit) {
            p.jumpIfAtLeast(X32_SYSCALL_BIT, refusal(EPERM));
        }
        for (int nr : arch.denied.values()) {
            p.jumpIfEqual(nr, refusal(EPERM), null);
        }
        for (int nr : arch.unsupported.values()) {
            p.jumpIfEqual(nr, refusal(EOPNOTSUPP), null);
        }
        for (int nr : arch.absent.values()) {
            p.jumpIfEqual(nr, refusal(ENOSYS), null);
        }
        for (int nr : arch.pretended.values()) {
            p.jumpIfEqual(nr, refusal(0), null);
        }
        arch.judgedNumbers.forEach((name, nr) -> p.jumpIfEqual(nr, name, null));
        // Numbers the filter does not know answer as the kernel answers a call it has not: a newer
        // kernel's call is not open before it is decided, and glibc takes ENOSYS for "use the old way".
        p.jumpIfAtLeast(NEWEST + 1, refusal(ENOSYS));
        p.jumpIfAtLeast(FIRST_SHARED, "allow");
        p.jumpIfAtLeast(arch.lastOwn + 1, refusal(ENOSYS));
        p.label("allow");
        p.add(RET_K, 0, 0, RET_ALLOW);
        // The tables' answers here, before the judged calls: a classic BPF jump reaches 255 instructions forward
        // at most, and the tables' tests and the judged calls' together passed that (round 34's ioctls). Each
        // judged call ends with answers of its own.
        for (int errno : List.of(EPERM, EOPNOTSUPP, ENOSYS, 0)) {
            p.label(refusal(errno));
            p.add(RET_K, 0, 0, RET_ERRNO | errno);
        }
        arch.judged.forEach((name, call) -> {
            p.label(name);
            p.add(LD_W_ABS, 0, 0, argumentOffset(call.argument()));
            call.allowed().emit(p, p.returning(RET_ALLOW), p.returning(RET_ERRNO | call.errno()));
            p.endSection();
        });
        return p.bytes();
    }

    private static String refusal(int errno) {
        return "errno-" + errno;
    }

    /**
     * Instructions with forward jumps to named places, resolved once the program is whole (classic
     * BPF jumps forward only, at most 255 instructions; null: to the next instruction).
     */
    static final class Program {
        private final List<int[]> code = new ArrayList<>();
        private final List<String[]> targets = new ArrayList<>();
        private final Map<String, Integer> labels = new HashMap<>();
        /** The returns {@link #returning} promised, by value, each at its place's name, until {@link #endSection}. */
        private final Map<Integer, String> returns = new LinkedHashMap<>();
        private int fresh;

        void add(int code, int jt, int jf, int k) {
            this.code.add(new int[] {code, jt, jf, k});
            targets.add(new String[] {null, null});
        }

        void jumpIfEqual(int k, String ifEqual, String otherwise) {
            code.add(new int[] {JEQ_K, 0, 0, k});
            targets.add(new String[] {ifEqual, otherwise});
        }

        void jumpIfAnyBit(int k, String ifAny, String otherwise) {
            code.add(new int[] {JSET_K, 0, 0, k});
            targets.add(new String[] {ifAny, otherwise});
        }

        /** Always to {@code target}: a test whose two ways lead there. */
        void jump(String target) {
            jumpIfEqual(0, target, target);
        }

        void jumpIfAtLeast(int k, String ifAtLeast) {
            code.add(new int[] {JGE_K, 0, 0, k});
            targets.add(new String[] {ifAtLeast, null});
        }

        void label(String name) {
            if (labels.putIfAbsent(name, code.size()) != null) {
                throw new IllegalStateException("two places named " + name);
            }
        }

        /** The name of a place that returns {@code value}, emitted at the next {@link #endSection}. */
        String returning(int value) {
            String place = returns.get(value);
            if (place == null) {
                place = fresh("return");
                returns.put(value, place);
            }
            return place;
        }

        /** Emits the returns promised since the last section's end, so that its jumps to them stay short. */
        void endSection() {
            returns.forEach((value, place) -> {
                label(place);
                add(RET_K, 0, 0, value);
            });
            returns.clear();
        }

        /** A name no place has yet, for a place emitted more than once (a table judged by two calls). */
        String fresh(String base) {
            return base + "-" + fresh++;
        }

        byte[] bytes() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int pc = 0; pc < code.size(); pc++) {
                int[] insn = code.get(pc);
                int jt = jump(pc, targets.get(pc)[0], insn[1]);
                int jf = jump(pc, targets.get(pc)[1], insn[2]);
                bytes.write(insn[0] & 0xff);
                bytes.write((insn[0] >> 8) & 0xff);
                bytes.write(jt);
                bytes.write(jf);
                for (int shift = 0; shift < 32; shift += 8) {
                    bytes.write((insn[3] >>> shift) & 0xff);
                }
            }
            return bytes.toByteArray();
        }

        private int jump(int pc, String target, int fixed) {
            if (target == null) {
                return fixed;
            }
            Integer to = labels.get(target);
            if (to == null || to <= pc) {
                throw new IllegalStateException("no place " + target + " after instruction " + pc);
            }
            int offset = to - pc - 1;
            if (offset > 255) {
                throw new IllegalStateException("a BPF jump reaches at most 255 instructions");
            }
            return offset;
        }
    }
}
