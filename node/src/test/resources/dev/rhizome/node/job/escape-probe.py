# A hostile job: tries the classic ways out of a Linux sandbox, one route at a time, and says of
# each "HELD <route>: <how>" or "ESCAPED <route>: <what it got>". Run by EscapeProbeTest inside the
# real sandbox. Each call is made with arguments that would work outside, so that a success is a
# real escape. Inputs (environment): PROBE_KEY, the node's key file by its host path; PROBE_DATA,
# the node's data directory; PROBE_PORT, a port the test listens on on every address of the host;
# PROBE_HOSTS, the host's addresses; PROBE_TAG, a tag for the process meant to outlive the job.
import ctypes, errno, fcntl, mmap, os, platform, signal, socket, struct, resource, termios, time

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
X86 = platform.machine() == 'x86_64'
KEY = os.environ['PROBE_KEY']
DATA = os.environ['PROBE_DATA']

# name: (x86-64, arm64)
NR = {
    'name_to_handle_at': (303, 264), 'open_by_handle_at': (304, 265), 'add_key': (248, 217),
    'request_key': (249, 218), 'keyctl': (250, 219), 'io_uring_setup': (425, 425), 'bpf': (321, 280),
    'perf_event_open': (298, 241), 'userfaultfd': (323, 282), 'ptrace': (101, 117),
    'process_vm_readv': (310, 270), 'unshare': (272, 97), 'clone': (56, 220), 'clone3': (435, 435),
    'setns': (308, 268), 'mount': (165, 40), 'umount2': (166, 39), 'pivot_root': (155, 41),
    'fsopen': (430, 430), 'open_tree': (428, 428), 'chroot': (161, 51), 'kcmp': (312, 272),
    'personality': (135, 92), 'clock_settime': (227, 112), 'settimeofday': (164, 170),
    'adjtimex': (159, 171), 'reboot': (169, 142), 'swapon': (167, 224), 'kexec_load': (246, 104),
    'kexec_file_load': (320, 294), 'init_module': (175, 105), 'finit_module': (313, 273),
    'delete_module': (176, 106), 'syslog': (103, 116), 'mknodat': (259, 33), 'setuid': (105, 146),
    'pidfd_open': (434, 434), 'pidfd_getfd': (438, 438), 'memfd_create': (319, 279),
    'acct': (163, 89), 'quotactl': (179, 60), 'iopl': (172, -1), 'ioperm': (173, -1),
    'io_uring_enter': (426, 426), 'io_uring_register': (427, 427), 'process_vm_writev': (311, 271),
    'move_mount': (429, 429), 'fsmount': (432, 432), 'fspick': (433, 433), 'mount_setattr': (442, 442),
    'sched_setattr': (314, 274), 'rt_tgsigqueueinfo': (297, 240), 'pidfd_send_signal': (424, 424),
    'process_madvise': (440, 440),
}
results = []


def say(ok, route, how):
    line = ('HELD ' if ok else 'ESCAPED ') + route + ': ' + how
    results.append(line)
    print(line, flush=True)


def call(name, *args):
    nr = NR[name][0 if X86 else 1]
    if nr < 0:
        return -1, errno.ENOSYS
    ctypes.set_errno(0)
    r = libc.syscall(nr, *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return r, ctypes.get_errno()


def refused(route, name, *args):
    r, e = call(name, *args)
    if r == 0 and name in ('clone', 'clone3'):
        os._exit(0)  # the child of a clone that worked: the parent reports it
    say(r < 0, route, '%s -> %d %s' % (name, r, errno.errorcode.get(e, e)))
    if r > 0 and name in ('clone', 'clone3'):
        os.waitpid(r, 0x40000000)  # __WALL: whatever its exit signal


def buf(size):
    return ctypes.create_string_buffer(size)


AT_FDCWD = -100
# File handles: the "Shocker" way out of a bind mount.
handle = buf(8 + 128)
struct.pack_into('I', handle, 0, 128)
mount_id = ctypes.c_int()
refused('handles', 'name_to_handle_at', AT_FDCWD, b'/', handle, ctypes.byref(mount_id), 0)
refused('handles', 'open_by_handle_at', AT_FDCWD, handle, os.O_RDONLY)
# Kernel keyrings are per uid on the host.
refused('keyrings', 'add_key', b'user', b'rhizome-probe', b'payload', 7, -4)  # KEY_SPEC_USER_KEYRING
refused('keyrings', 'keyctl', 0, -4, 0)  # KEYCTL_GET_KEYRING_ID
refused('keyrings', 'keyctl', 1, 0)  # KEYCTL_JOIN_SESSION_KEYRING
refused('keyrings', 'request_key', b'user', b'rhizome-probe', 0, 0)
refused('io_uring', 'io_uring_setup', 4, buf(120))
attr = buf(128)
struct.pack_into('IIII', attr, 0, 2, 4, 8, 1)  # BPF_MAP_TYPE_ARRAY, key 4, value 8, 1 entry
refused('bpf', 'bpf', 0, attr, 128)  # BPF_MAP_CREATE
perf = buf(128)
struct.pack_into('II', perf, 0, 1, 128)  # PERF_TYPE_SOFTWARE, size
refused('perf_events', 'perf_event_open', perf, 0, -1, -1, 0)
refused('userfaultfd', 'userfaultfd', os.O_CLOEXEC)
for dev in ('/dev/userfaultfd', '/dev/mem', '/dev/kmem', '/dev/port', '/dev/kmsg', '/dev/kvm', '/dev/fuse',
            '/dev/net/tun', '/dev/vsock', '/dev/vhost-vsock', '/dev/sda', '/dev/vda', '/dev/nvme0n1', '/dev/loop0',
            '/dev/loop-control', '/dev/mapper/control', '/dev/cpu/0/msr', '/dev/input/event0', '/dev/dri/card0'):
    try:
        os.close(os.open(dev, os.O_RDONLY))
        say(False, 'devices', 'opened ' + dev)
    except OSError as e:
        say(True, 'devices', '%s %s' % (dev, errno.errorcode.get(e.errno)))
# Other processes' memory: bubblewrap's init is the only process not the job's own here.
refused('ptrace', 'ptrace', 16, 1, 0, 0)  # PTRACE_ATTACH
refused('ptrace', 'ptrace', 0x4206, 1, 0, 0)  # PTRACE_SEIZE
local, remote = buf(16), buf(16)
data = buf(64)
struct.pack_into('QQ', local, 0, ctypes.addressof(data), 64)
struct.pack_into('QQ', remote, 0, ctypes.addressof(data), 64)
refused('ptrace', 'process_vm_readv', 1, local, 1, remote, 1, 0)
try:
    with open('/proc/1/mem', 'rb') as m:
        m.seek(0x400000)
        got = m.read(16)
    say(not got, 'ptrace', '/proc/1/mem read %d bytes' % len(got))
except OSError as e:
    say(True, 'ptrace', '/proc/1/mem ' + str(errno.errorcode.get(e.errno)))
refused('pidfd', 'pidfd_getfd', call('pidfd_open', 1, 0)[0], 3, 0)
# Namespaces: no new user namespace by any call, no joining another.
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWTIME = 0x10000000, 0x20000, 0x40000000, 0x20000000, 0x80
for flags in (CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWTIME):
    refused('namespaces', 'unshare', flags)
refused('namespaces', 'clone', CLONE_NEWUSER | signal.SIGCHLD, 0, 0, 0, 0)
refused('namespaces', 'clone', CLONE_NEWUSER | CLONE_NEWNS | signal.SIGCHLD, 0, 0, 0, 0)
args = buf(88)
struct.pack_into('QQQQQ', args, 0, CLONE_NEWUSER, 0, 0, 0, signal.SIGCHLD)
refused('namespaces', 'clone3', args, 88)
for ns in ('user', 'mnt', 'net', 'pid', 'ipc', 'uts', 'cgroup', 'time'):
    try:
        fd = os.open('/proc/1/ns/' + ns, os.O_RDONLY)
        refused('namespaces', 'setns', fd, 0)
        os.close(fd)
    except OSError as e:
        say(True, 'namespaces', '/proc/1/ns/%s %s' % (ns, errno.errorcode.get(e.errno)))
# Mounts and the root.
os.makedirs('/tmp/mnt', exist_ok=True)
refused('mounts', 'mount', b'none', b'/tmp/mnt', b'tmpfs', 0, 0)
refused('mounts', 'mount', b'/', b'/tmp/mnt', 0, 0x1000, 0)  # MS_BIND
refused('mounts', 'mount', b'none', b'/', 0, 0x20, 0)  # MS_REMOUNT of the read-only root
refused('mounts', 'mount', b'cgroup2', b'/tmp/mnt', b'cgroup2', 0, 0)
refused('mounts', 'umount2', b'/proc', 2)  # MNT_DETACH: what lies under bubblewrap's mounts
refused('mounts', 'pivot_root', b'/tmp', b'/tmp/mnt')
refused('mounts', 'fsopen', b'tmpfs', 0)
refused('mounts', 'open_tree', AT_FDCWD, b'/', 1)  # OPEN_TREE_CLONE
refused('mounts', 'chroot', b'/tmp')
refused('kcmp', 'kcmp', os.getpid(), 1, 0, 0, 0)  # KCMP_FILE
refused('personality', 'personality', 0x0040000)  # ADDR_NO_RANDOMIZE
refused('personality', 'personality', 0x0400000)  # READ_IMPLIES_EXEC
# Same-page merging: pages offered to it are shared with identical ones of the host's, and a write's copy
# times which. madvise(MADV_MERGEABLE) of a range, then prctl(PR_SET_MEMORY_MERGE) of all memory, read back.
merged = mmap.mmap(-1, 1 << 20)
ctypes.set_errno(0)
r = libc.madvise(ctypes.c_void_p(ctypes.addressof(ctypes.c_char.from_buffer(merged))), ctypes.c_size_t(1 << 20), 12)
say(r < 0, 'merging', 'madvise(MADV_MERGEABLE) -> %d %s' % (r, errno.errorcode.get(ctypes.get_errno(), '')))
libc.prctl(67, 1, 0, 0, 0)  # PR_SET_MEMORY_MERGE
r = libc.prctl(68, 0, 0, 0, 0)  # PR_GET_MEMORY_MERGE: 1 once set; -1 on a kernel before it
say(r != 1, 'merging', 'PR_GET_MEMORY_MERGE after setting it -> %d' % r)
# The machine's clock, its power, its swap, its kernel.
now = buf(16)
struct.pack_into('qq', now, 0, int(time.time()), 0)  # the time it is: no harm done were it set
refused('clock', 'clock_settime', 0, now)
refused('clock', 'settimeofday', now, 0)
timex = buf(208)
struct.pack_into('I', timex, 0, 0x0001)  # ADJ_OFFSET
refused('clock', 'adjtimex', timex)
refused('reboot', 'reboot', 0xfee1dead, 672274793, 0)  # LINUX_REBOOT_CMD_CAD_OFF
with open('/tmp/swap', 'wb') as f:
    f.write(b'\0' * 65536)
refused('swap', 'swapon', b'/tmp/swap', 0)
refused('kexec', 'kexec_load', 0, 0, 0, 0)
refused('kexec', 'kexec_file_load', -1, -1, 0, b'', 0)
refused('modules', 'init_module', buf(64), 64, b'')
exe = os.open('/proc/self/exe', os.O_RDONLY)
refused('modules', 'finit_module', exe, b'', 0)
os.close(exe)
refused('modules', 'delete_module', b'loop', 0o4000)
refused('kernel log', 'syslog', 3, buf(64), 64)  # SYSLOG_ACTION_READ_ALL
refused('accounting', 'acct', b'/tmp/acct')
if X86:
    refused('ports', 'iopl', 3)
    refused('ports', 'ioperm', 0x80, 1, 1)
refused('devices', 'mknodat', AT_FDCWD, b'/tmp/mem', 0o020600, (1 << 8) | 1)  # char 1:1, /dev/mem
refused('root', 'setuid', 0)
# Writes to the kernel's settings and to sysfs and cgroupfs.
for path in ('/proc/sys/kernel/hostname', '/proc/sys/vm/drop_caches', '/proc/sysrq-trigger',
             '/proc/sys/kernel/core_pattern', '/proc/sys/fs/pipe-user-pages-soft', '/proc/self/oom_score_adj',
             '/proc/1/oom_score_adj', '/proc/self/setgroups', '/proc/self/uid_map', '/sys/kernel/uevent_helper',
             '/sys/fs/cgroup/cgroup.procs', '/sys/fs/cgroup/cgroup.subtree_control', '/sys/power/state',
             '/sys/class/net/lo/mtu', '/sys/block/sda/queue/scheduler'):
    try:
        with open(path, 'w') as f:
            f.write('1\n')
        say(False, 'settings', 'wrote ' + path)
    except OSError as e:
        say(True, 'settings', '%s %s' % (path, errno.errorcode.get(e.errno)))
say(not os.path.exists('/sys/fs/cgroup/cgroup.procs'), 'settings', 'no cgroupfs')
# The node's key and data, by any path.
candidates = [KEY, '/proc/self/root' + KEY, '/proc/1/root' + KEY, '/proc/1/cwd/' + os.path.relpath(KEY, os.getcwd()),
              os.path.relpath(KEY, os.getcwd()), '/proc/self/cwd/' + os.path.relpath(KEY, os.getcwd())]
for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
    for fd in os.listdir('/proc/%s/fd' % pid) if os.access('/proc/%s/fd' % pid, os.R_OK) else []:
        try:
            target = os.readlink('/proc/%s/fd/%s' % (pid, fd))
        except OSError:
            continue
        say(DATA not in target, 'key', 'descriptor %s of %s leads to %s' % (fd, pid, target))
        if target.startswith('/'):  # not the pipes the job's log leaves by: reading them would eat it
            candidates.append('/proc/%s/fd/%s' % (pid, fd))
for path in candidates:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            got = os.read(fd, 200)
        except OSError:
            got = b''
        os.close(fd)
        say(b'SECRET-' not in got, 'key', 'read %d bytes of %s' % (len(got), path))
    except OSError as e:
        say(True, 'key', '%s %s' % (path, errno.errorcode.get(e.errno)))
try:
    os.listdir(DATA)
    say(False, 'key', 'listed ' + DATA)
except OSError as e:
    say(True, 'key', '%s %s' % (DATA, errno.errorcode.get(e.errno)))
with open('/proc/self/mountinfo') as f:
    say(DATA not in f.read(), 'key', 'mountinfo names no part of the data directory')
# Other processes of the machine: only the job's own are in its /proc.
for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
    for what in ('cmdline', 'environ'):
        try:
            with open('/proc/%s/%s' % (pid, what), 'rb') as f:
                text = f.read()
            say(b'SECRET-' not in text, 'processes', '%s of %s: %s' % (what, pid, text[:60]))
        except OSError as e:
            say(True, 'processes', '%s of %s %s' % (what, pid, errno.errorcode.get(e.errno)))
# The network: its own loopback only.
with open('/proc/net/dev') as f:
    interfaces = [l.split(':')[0].strip() for l in f.read().splitlines()[2:]]
say(interfaces == ['lo'], 'network', 'interfaces %s' % interfaces)
port = int(os.environ['PROBE_PORT'])
for host in ['127.0.0.1', '10.0.2.2', '169.254.169.254', '1.1.1.1'] + os.environ['PROBE_HOSTS'].split():
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((host, port))
        say(False, 'network', 'connected to %s:%d' % (host, port))
    except OSError as e:
        say(True, 'network', '%s:%d %s' % (host, port, errno.errorcode.get(e.errno, e)))
    finally:
        s.close()
for family, kind, proto in ((socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), (socket.AF_PACKET, socket.SOCK_RAW, 0),
                            (socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)):
    try:
        socket.socket(family, kind, proto).close()
        say(False, 'network', 'opened a socket %d/%d/%d' % (family, kind, proto))
    except OSError as e:
        say(True, 'network', 'socket %d/%d/%d %s' % (family, kind, proto, errno.errorcode.get(e.errno)))
# Typing into a terminal through an inherited descriptor.
for fd in [int(f) for f in os.listdir('/proc/self/fd')]:
    try:
        fcntl.ioctl(fd, termios.TIOCSTI, b'x')
        say(False, 'terminal', 'TIOCSTI on %d' % fd)
    except OSError as e:
        say(True, 'terminal', 'TIOCSTI on %d %s' % (fd, errno.errorcode.get(e.errno)))
# Watching the host read: dnotify's DN_ACCESS on a directory shared with the host (/usr, the JDK)
# signals at each read of a file there by any process of the machine (round 32; inotify and
# fanotify are absent already).
for shared in ('/usr/lib', '/usr/bin', '/etc/python3'):
    try:
        d = os.open(shared, os.O_RDONLY)
    except OSError:
        continue
    try:
        fcntl.fcntl(d, fcntl.F_NOTIFY, fcntl.DN_ACCESS | fcntl.DN_MULTISHOT)
        say(False, 'notify', 'a watch of the host\'s reads in %s' % shared)
    except OSError as e:
        say(True, 'notify', 'F_NOTIFY on %s %s' % (shared, errno.errorcode.get(e.errno)))
    finally:
        os.close(d)
# Privileges: none, none to regain, and the filter on.
with open('/proc/self/status') as f:
    status = dict(l.split(':', 1) for l in f.read().splitlines() if ':' in l)
for field in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'):
    say(int(status[field], 16) == 0, 'privileges', '%s %s' % (field, status[field].strip()))
say(status['NoNewPrivs'].strip() == '1', 'privileges', 'no new privileges')
say(status['Seccomp'].strip() == '2', 'privileges', 'seccomp filter')
# A set-user-id program of the host's (su, mount, passwd in /usr/bin) runs as the job: every mount is nosuid.
with open('/proc/self/mountinfo') as f:
    for line in f.read().splitlines():
        fields = line.split()
        say('nosuid' in fields[5].split(','), 'privileges', '%s mounted %s' % (fields[4], fields[5]))
# Core dumps: none, and none allowed back.
say(resource.getrlimit(resource.RLIMIT_CORE) == (0, 0), 'core dumps', 'RLIMIT_CORE %s' % (resource.getrlimit(resource.RLIMIT_CORE),))
try:
    resource.setrlimit(resource.RLIMIT_CORE, (1 << 20, 1 << 20))
    say(False, 'core dumps', 'raised RLIMIT_CORE')
except (OSError, ValueError) as e:
    say(True, 'core dumps', 'raising RLIMIT_CORE: %s' % e)
# The rest of each route: every setup and register path, each flag, each keyring.
for op in (0, 2, 4, 9, 10, 20):  # buffers, files, eventfd, probe, restrictions, ring fds
    refused('io_uring', 'io_uring_register', 3, op, buf(64), 1)
refused('io_uring', 'io_uring_enter', 3, 1, 1, 1, 0, 0)
for cmd in (5, 7, 17, 11):  # BPF_PROG_LOAD, BPF_OBJ_GET, BPF_PROG_QUERY, BPF_PROG_GET_NEXT_ID
    refused('bpf', 'bpf', cmd, buf(128), 128)
for kind in (0, 2, 1):  # hardware, tracepoint, software: of PID 1, of every CPU
    struct.pack_into('II', perf, 0, kind, 128)
    refused('perf_events', 'perf_event_open', perf, 1, -1, -1, 0)
    refused('perf_events', 'perf_event_open', perf, -1, 0, -1, 0)
for ring in (-1, -2, -3, -4, -5):  # thread, process, session, user, user session keyrings
    refused('keyrings', 'keyctl', 11, ring, buf(256), 256)  # KEYCTL_READ
    refused('keyrings', 'keyctl', 6, ring, buf(256), 256)  # KEYCTL_DESCRIBE
for name in ('/proc/keys', '/proc/key-users'):
    try:
        with open(name) as f:
            listed = f.read()
        say(not listed.strip(), 'keyrings', '%s lists %r' % (name, listed[:200]))
    except OSError as e:
        say(True, 'keyrings', '%s %s' % (name, errno.errorcode.get(e.errno)))
for dev in ('/dev/tty', '/dev/console', '/dev/tty0', '/dev/tty1', '/dev/ttyS0', '/dev/vcs', '/dev/vcsa', '/dev/rtc0',
            '/dev/hpet', '/dev/watchdog', '/dev/uinput', '/dev/hidraw0', '/dev/snd/timer', '/dev/sg0', '/dev/autofs',
            '/dev/btrfs-control', '/dev/dri/renderD128', '/dev/nvidiactl', '/dev/nvidia0', '/dev/nvidia-uvm',
            '/dev/mqueue', '/dev/hugepages', '/dev/bus/usb', '/dev/ptmx', '/dev/pts/ptmx', '/dev/pts/0'):
    try:
        os.close(os.open(dev, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK))
        say(False, 'devices', 'opened ' + dev)
    except OSError as e:
        say(True, 'devices', '%s %s' % (dev, errno.errorcode.get(e.errno)))
minimal = {'null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'ptmx', 'shm', 'fd', 'stdin', 'stdout', 'stderr',
           'core'}
say(set(os.listdir('/dev')) <= minimal, 'devices', '/dev holds %s' % sorted(os.listdir('/dev')))
say(os.environ['PROBE_SHM'] not in os.listdir('/dev/shm'), 'devices', "/dev/shm is not the host's: %s" % os.listdir('/dev/shm'))
# Other processes: the node's, by their pids on the host; writes to another's memory.
for pid in [int(p) for p in os.environ['PROBE_NODE_PIDS'].split()]:
    try:
        os.kill(pid, signal.SIGTERM)
        say(False, 'signals', 'SIGTERM to %d' % pid)
    except OSError as e:
        say(True, 'signals', 'SIGTERM to %d %s' % (pid, errno.errorcode.get(e.errno)))
    r, e = call('pidfd_open', pid, 0)
    say(r < 0, 'signals', 'pidfd_open %d -> %d %s' % (pid, r, errno.errorcode.get(e, e)))
refused('ptrace', 'process_vm_writev', 1, local, 1, remote, 1, 0)
refused('ptrace', 'ptrace', 0, 0, 0, 0)  # PTRACE_TRACEME
for what in ('root/', 'cwd/', 'exe', 'task/1/root/'):
    try:
        listed = os.listdir('/proc/1/' + what) if what.endswith('/') else [os.readlink('/proc/1/' + what)]
        say(DATA not in str(listed), 'ptrace', '/proc/1/%s: %s' % (what, listed[:8]))
    except OSError as e:
        say(True, 'ptrace', '/proc/1/%s %s' % (what, errno.errorcode.get(e.errno)))
for pid in ('1', 'self'):  # its mappings' files, by their addresses: maps lists them, opening takes a capability
    try:
        for area in os.listdir('/proc/%s/map_files' % pid)[:3]:
            os.close(os.open('/proc/%s/map_files/%s' % (pid, area), os.O_RDONLY))
            say(False, 'ptrace', 'opened /proc/%s/map_files/%s' % (pid, area))
    except OSError as e:
        say(True, 'ptrace', '/proc/%s/map_files %s' % (pid, errno.errorcode.get(e.errno)))
# Namespaces by every flag, nested user namespaces, and clone3 into another cgroup.
CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_INTO_CGROUP = 0x08000000, 0x04000000, 0x02000000, 0x200000000
every = (CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME)
for flags in every + (0x400 | 0x200 | 0x40000,):  # and CLONE_FILES | CLONE_FS | CLONE_SYSVSEM
    refused('namespaces', 'unshare', flags)
for flags in every:
    if flags != CLONE_NEWTIME:  # clone's low byte is the exit signal: only clone3 and unshare take it
        refused('namespaces', 'clone', flags | signal.SIGCHLD, 0, 0, 0, 0)
    struct.pack_into('QQQQQ', args, 0, flags | CLONE_NEWUSER, 0, 0, 0, signal.SIGCHLD)
    refused('namespaces', 'clone3', args, 88)
for target in ('/sys/fs/cgroup', '/proc/self/cgroup', '/'):
    try:
        group = os.open(target, os.O_RDONLY)
    except OSError:
        continue
    struct.pack_into('QQQQQQQQQQQ', args, 0, CLONE_INTO_CGROUP, 0, 0, 0, signal.SIGCHLD, 0, 0, 0, 0, 0, group)
    refused('namespaces', 'clone3', args, 88)
    os.close(group)
refused('mounts', 'mount', b'proc', b'/tmp/mnt', b'proc', 0, 0)
refused('mounts', 'mount', b'none', b'/proc', 0, 0x40000 | 0x4000, 0)  # MS_PRIVATE | MS_REC
refused('mounts', 'mount', b'none', b'/tmp', 0, 0x20 | 0x1000, 0)  # a bind's remount
refused('mounts', 'move_mount', -1, b'', AT_FDCWD, b'/tmp/mnt', 4)
refused('mounts', 'fspick', AT_FDCWD, b'/', 0)
refused('mounts', 'mount_setattr', AT_FDCWD, b'/', 0, buf(32), 32)
# Sockets of the host: abstract ones (the network namespace is the job's own, and so are they)
# and those with a path (X11, D-Bus, systemd, Docker), which are not in the job's tree.
abstract = ['\0' + os.environ['PROBE_ABSTRACT'], '\0/tmp/.X11-unix/X0', '\0/tmp/.X11-unix/X1',
            '\0/org/freedesktop/systemd1/notify', '\0/tmp/dbus-probe']
with open('/proc/net/unix') as f:
    abstract += ['\0' + l.split()[-1][1:] for l in f.read().splitlines()[1:] if l.split()[-1].startswith('@')]
paths = ['/tmp/.X11-unix/X0', '/run/dbus/system_bus_socket', '/var/run/dbus/system_bus_socket', '/run/systemd/private',
         '/run/systemd/notify', '/run/systemd/journal/socket', '/var/run/docker.sock', '/run/containerd/containerd.sock',
         '/run/user/0/bus', '/run/user/1000/bus']
# The node's own control socket, where NodeLayout keeps it (the test listens there), by its path and through PID 1's root.
control = os.path.join(DATA, 'run', 'control.sock')
paths += [control, '/proc/1/root' + control, '/proc/self/root' + control]
for address in abstract + paths:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(address)
        say(False, 'sockets', 'connected to %r' % address)
    except OSError as e:
        say(True, 'sockets', '%r %s' % (address, errno.errorcode.get(e.errno, e)))
    finally:
        s.close()
# sysfs, the host's files, and the terminal's other ioctls.
say(not os.path.exists('/sys') or not os.listdir('/sys'), 'settings', 'sysfs is absent')
for path in ('/etc/shadow', '/etc/machine-id', '/var/lib/dbus/machine-id', '/root', '/home', '/var', '/run', '/srv',
             '/etc/ssh', '/mnt', '/opt', '/media'):
    say(not os.path.exists(path), 'key', 'no %s' % path)
for fd in [int(f) for f in os.listdir('/proc/self/fd')]:
    for name, request, arg in (('TIOCLINUX', 0x541C, b'\x02' + b'\0' * 9), ('TIOCCONS', 0x541D, 0), ('TIOCSCTTY', 0x540E, 1)):
        try:
            fcntl.ioctl(fd, request, arg)
            say(False, 'terminal', '%s on %d' % (name, fd))
        except OSError as e:
            say(True, 'terminal', '%s on %d %s' % (name, fd, errno.errorcode.get(e.errno)))
# What the node left open: every descriptor of the job's and of PID 1's is a pipe, its checkout's, or
# the kernel's own (an eventfd, a signalfd); nothing of the node's (its lock, its key, a socket).
for pid in ('self', '1'):
    for fd in os.listdir('/proc/%s/fd' % pid):
        try:
            target = os.readlink('/proc/%s/fd/%s' % (pid, fd))
        except OSError:
            continue
        ok = target.startswith(('pipe:', 'anon_inode:', '/dev/null', os.getcwd(), '/proc/')) or target == '/dev/pts/ptmx'
        say(ok, 'descriptors', 'descriptor %s of %s leads to %s' % (fd, pid, target))
# Environment: nothing of the node's (its data directory, its key, its secrets) but what the test gave.
for pid in ('self', '1'):
    with open('/proc/%s/environ' % pid, 'rb') as f:
        env = [e for e in f.read().split(b'\0') if e and not e.startswith(b'PROBE_')]
    leaked = [e for e in env if DATA.encode() in e or b'SECRET-' in e or b'/root' in e]
    say(not leaked, 'environment', '%s: %s' % (pid, sorted(e.split(b'=')[0].decode() for e in env)))
# Scheduling that takes a core from the host: real-time classes and SCHED_DEADLINE, nice below the job's.
for policy, name in ((1, 'SCHED_FIFO'), (2, 'SCHED_RR')):
    try:
        os.sched_setscheduler(0, policy, os.sched_param(1))
        say(False, 'scheduling', name)
    except OSError as e:
        say(True, 'scheduling', '%s %s' % (name, errno.errorcode.get(e.errno)))
deadline = buf(56)
struct.pack_into('IIQiIQQQ', deadline, 0, 56, 6, 0, 0, 0, 10000000, 30000000, 30000000)  # SCHED_DEADLINE
refused('scheduling', 'sched_setattr', 0, deadline, 0)
try:
    os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) - 1)
    say(False, 'scheduling', 'nice lowered')
except OSError as e:
    say(True, 'scheduling', 'nice lowered %s' % errno.errorcode.get(e.errno))
# Limits: each the sandbox sets is its hard one too, so none can be raised back to the node's.
for name in ('RLIMIT_NPROC', 'RLIMIT_CORE', 'RLIMIT_RTPRIO', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_SIGPENDING',
             'RLIMIT_MSGQUEUE', 'RLIMIT_MEMLOCK'):
    which = getattr(resource, name)
    soft, hard = resource.getrlimit(which)
    say(soft == hard and hard != resource.RLIM_INFINITY, 'limits', '%s %d/%d' % (name, soft, hard))
    try:
        resource.setrlimit(which, (hard + 1, hard + 1))
        say(False, 'limits', 'raised %s to %d' % (name, hard + 1))
    except (OSError, ValueError) as e:
        say(True, 'limits', 'raising %s: %s' % (name, e))
# prctl: nothing that takes a capability, and no way to make PID 1 (bubblewrap, of the job's uid)
# its child's reaper, tracer or target.
for option, args, what in ((35, (1, 0), 'PR_SET_MM'), (47, (2, 21), 'PR_CAP_AMBIENT_RAISE CAP_SYS_ADMIN'),
                           (28, (0,), 'PR_SET_SECUREBITS'), (38, (0,), 'PR_SET_NO_NEW_PRIVS 0'),
                           (57, (1,), 'PR_SET_IO_FLUSHER')):
    ctypes.set_errno(0)
    r = libc.prctl(option, *[ctypes.c_ulong(a) for a in args], *[ctypes.c_ulong(0)] * (4 - len(args)))
    say(r < 0, 'privileges', '%s -> %d %s' % (what, r, errno.errorcode.get(ctypes.get_errno())))
init, e = call('pidfd_open', 1, 0)
if init >= 0:
    for s in (signal.SIGKILL, signal.SIGSTOP, signal.SIGTERM):
        call('pidfd_send_signal', init, s, 0, 0)
    time.sleep(0.2)
    with open('/proc/1/stat') as f:
        state = f.read().rsplit(')', 1)[1].split()[0]
    say(state in ('S', 'R'), 'init', 'PID 1 signalled KILL, STOP and TERM through a pidfd: state %s' % state)
    iov = (ctypes.c_ulong * 2)(0x400000, 4096)
    refused('init', 'process_madvise', init, iov, 1, 21, 0)  # MADV_PAGEOUT of PID 1's memory
else:
    say(True, 'init', 'pidfd_open(1) -> %s' % errno.errorcode.get(e, e))
# Round 31's pass. The node's processes by their host pids: no trace, no memory, no /proc entry (its PID
# namespace has none of them; a pid the job's own namespace also has is no node's).
own = set(p for p in os.listdir('/proc') if p.isdigit())
for pid in [int(p) for p in os.environ['PROBE_NODE_PIDS'].split() if p not in own]:
    refused('ptrace', 'ptrace', 16, pid, 0, 0)  # PTRACE_ATTACH
    refused('ptrace', 'ptrace', 0x4206, pid, 0, 0)  # PTRACE_SEIZE
    refused('ptrace', 'process_vm_readv', pid, local, 1, remote, 1, 0)
    say(not os.path.exists('/proc/%d' % pid), 'ptrace', '/proc/%d exists: %s' % (pid, os.path.exists('/proc/%d' % pid)))
# Its own child: the filter refuses ptrace whoever the target, so no process of the job traces another
# (nor, through one, bubblewrap's init or anything it could reach).
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
refused('ptrace', 'ptrace', 16, child, 0, 0)
refused('ptrace', 'ptrace', 0x4206, child, 0, 0)
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
# Outliving the job: a process in a session of its own that ignores every signal it can.
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for s in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        libc.prctl(1, 0)  # PR_SET_PDEATHSIG: none
        os.execv('/bin/sh', ['/bin/sh', '-c', 'trap "" HUP TERM; sleep 300', 'outlive-' + os.environ['PROBE_TAG']])
    os._exit(0)
os.wait()
print('PROBED', len(results), 'ESCAPES', sum(1 for r in results if r.startswith('ESCAPED')), flush=True)
