# A hostile job of a node of an ordinary user (job_uid own: a subordinate uid in the node's jobs'
# user namespace), run by SubordinateEscapeTest through the node's own launcher. It tries what is
# the node's user's and the other slots', and says of each route "HELD <route>: <how>" or
# "ESCAPED <route>: <what it got>", then "ESCAPES <n>". Each call is made with arguments that
# would work outside, so that a success is a real escape. Inputs (environment): PROBE_KEY, the
# node's 0600 key; PROBE_DATA, its 0700 data directory; PROBE_HOME, the volunteer's home (0751,
# shown read-only: uid and group must hold, not only the mounts); PROBE_GROUP_FILE, a 0640 file of
# the volunteer's primary group there; PROBE_RUNTIME, its $XDG_RUNTIME_DIR (0700) holding the id
# leases; PROBE_OTHER, another slot's checkout (its job running, a secret in it); PROBE_SECRET, what
# that job holds in its checkout, command line and environment (in hex); PROBE_TARGETS, host pids of the
# node, its descriptor helper and the other slot's job; PROBE_ABSTRACT, an abstract unix socket the
# node listens on; PROBE_PORT, a TCP port the node listens on on every address; PROBE_HOSTS, the
# host's addresses.
import ctypes, errno, os, platform, signal, socket, stat, subprocess

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
X86 = platform.machine() == 'x86_64'
NR = {'add_key': (248, 217), 'keyctl': (250, 219), 'request_key': (249, 218), 'ptrace': (101, 117),
      'pidfd_open': (434, 434), 'process_vm_readv': (310, 270), 'kcmp': (312, 272)}
E = os.environ
SECRET = bytes.fromhex(E['PROBE_SECRET']).decode()  # in hex: this job's own environment must not hold it
escapes = 0


def held(route, how):
    print('HELD %s: %s' % (route, how), flush=True)


def escaped(route, what):
    global escapes
    escapes += 1
    print('ESCAPED %s: %s' % (route, what), flush=True)


def sys(name, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(NR[name][0 if X86 else 1]), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return r, ctypes.get_errno()


def tries(route, what, f):
    """f() succeeding is an escape; an OSError is the route held."""
    try:
        got = f()
    except OSError as e:
        held(route, '%s: %s' % (what, e.strerror))
        return
    escaped(route, '%s: %r' % (what, got)[:300])


def read(p):
    with open(p, 'rb') as f:
        return f.read(200)


# The node's key and data directory, and the volunteer's home, shown read-only: uid and gid must hold.
tries('key', 'the node key', lambda: read(E['PROBE_KEY']))
tries('data', 'its data directory listed', lambda: os.listdir(E['PROBE_DATA']))
tries('data', 'a file in it', lambda: read(os.path.join(E['PROBE_DATA'], 'state')))
tries('home', 'the home listed', lambda: os.listdir(E['PROBE_HOME']))
tries('group files', 'a 0640 file of the volunteer\'s group', lambda: read(E['PROBE_GROUP_FILE']))
tries('leases', 'the runtime directory listed', lambda: os.listdir(E['PROBE_RUNTIME']))
lease_dir = os.path.join(E['PROBE_RUNTIME'], 'rhizome-job-ids-' + E['PROBE_NODE_UID'])
tries('leases', 'the id lease directory listed', lambda: os.listdir(lease_dir))
tries('leases', 'a lease file opened to lock it', lambda: os.open(os.path.join(lease_dir, 'x.lock'), os.O_RDWR | os.O_CREAT))
print('IDS %d %d %s' % (os.getuid(), os.getgid(), os.getgroups()), flush=True)
if os.getgid() == 0 or 0 in os.getgroups():
    escaped('group', 'the job runs with the namespace\'s gid 0, the node\'s own group on the host')
else:
    held('group', 'gid %d, no supplementary group' % os.getgid())

# Another slot's checkout, by its host path and through /proc.
other = E['PROBE_OTHER']
tries('other slot', 'its checkout listed', lambda: os.listdir(other))
tries('other slot', 'its secret', lambda: read(os.path.join(other, 'secret')))

# /proc: only this job's processes; nothing of the node's, the helper's or the other slot's job.
seen = []
for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
    for f in ('cmdline', 'environ'):
        try:
            with open('/proc/%s/%s' % (pid, f), 'rb') as h:
                text = h.read()
        except OSError:
            continue
        for mark in (SECRET.encode(), b'java', b'JobFdHelper', b'unshare', b'nsenter'):
            if mark in text and (f == 'cmdline' or mark == SECRET.encode()):
                escaped('proc', '/proc/%s/%s holds %r' % (pid, f, mark))
    seen.append(pid)
held('proc', 'only this job\'s own processes: %s' % ' '.join(sorted(seen, key=int)))
targets = [int(p) for p in E['PROBE_TARGETS'].split()]
for pid in targets:
    if os.path.exists('/proc/%d/cmdline' % pid):
        try:
            line = read('/proc/%d/cmdline' % pid)
        except OSError as e:
            line = b''
        if b'java' in line or SECRET.encode() in line or b'sleep' in line:
            escaped('proc', 'host pid %d is visible: %r' % (pid, line))

# Signals, ptrace, pidfds and kcmp to the node, its helper and the other slot's job by their host pids.
for pid in targets:
    if os.path.exists('/proc/%d' % pid):
        continue  # a process of this job's own namespace that happens to have the number
    try:
        os.kill(pid, signal.SIGKILL)
        escaped('signals', 'SIGKILL sent to host pid %d' % pid)
    except OSError as e:
        held('signals', 'host pid %d: %s' % (pid, e.strerror))
    r, err = sys('ptrace', 16, pid, 0, 0)
    (escaped if r == 0 else held)('ptrace', 'PTRACE_ATTACH to host pid %d: %s' % (pid, os.strerror(err)))
    r, err = sys('pidfd_open', pid, 0)
    (escaped if r >= 0 else held)('pidfd', 'pidfd_open of host pid %d: %s' % (pid, os.strerror(err)))

# The descriptor helper: every descriptor of every process here, for the test to compare with the
# helper's own pipes; and a walk of / asked of each descriptor this job may write.
links = []
for pid in seen:
    try:
        for fd in os.listdir('/proc/%s/fd' % pid):
            try:
                links.append(os.readlink('/proc/%s/fd/%s' % (pid, fd)))
            except OSError:
                pass
    except OSError:
        pass
print('FD_LINKS ' + ' '.join(sorted(set(l for l in links if l.startswith(('pipe:', 'socket:'))))), flush=True)
for fd in range(3, 64):
    try:
        os.write(fd, b'walk 1000000000 1000000 /\n0 0 1\n')
        print('WROTE_FD %d %s' % (fd, os.readlink('/proc/self/fd/%d' % fd)), flush=True)
    except OSError:
        pass
held('helper', 'no descriptor of the helper\'s here (the test compares FD_LINKS with its pipes)')

# Set-user-ID programs, newuidmap itself: no-new-privileges and nosuid mounts, so they run as the job.
status = open('/proc/self/status').read()
nnp = [l for l in status.splitlines() if l.startswith('NoNewPrivs:')]
(held if nnp and nnp[0].split()[1] == '1' else escaped)('setuid', 'no_new_privs: %s' % nnp)
for prog in ('/usr/bin/newuidmap', '/usr/bin/newgidmap'):
    if not os.path.exists(prog):
        held('newuidmap', '%s is absent' % prog)
        continue
    # Map the host's root, and the node's uid, into this job's own namespace (PID 1's, bubblewrap's).
    for args in (['1', '0', '0', '1'], [str(os.getpid()), '0', E['PROBE_NODE_UID'], '1']):
        r = subprocess.run([prog] + args, capture_output=True, text=True)
        (escaped if r.returncode == 0 else held)('newuidmap', '%s %s: exit %d %s'
                                                 % (prog, ' '.join(args), r.returncode, r.stderr.strip()[:160]))
for prog in ('/usr/bin/su', '/usr/bin/sudo', '/usr/bin/passwd', '/usr/bin/chfn', '/usr/bin/gpasswd',
             '/usr/bin/mount', '/usr/bin/pkexec'):
    if os.path.exists(prog) and os.stat(prog).st_mode & stat.S_ISUID:
        r = subprocess.run(['/bin/sh', '-c', 'exec "$0" --help </dev/null >/dev/null 2>&1; ', prog])
        held('setuid', '%s is set-user-ID on the host and ran as the job (exit %d)' % (prog, r.returncode))
        break
mounts = open('/proc/self/mountinfo').read().splitlines()
usr = [m for m in mounts if m.split()[4] == '/usr']
(held if usr and 'nosuid' in usr[0].split()[5] else escaped)('setuid', '/usr mounted %s' % (usr[0].split()[5] if usr else 'absent'))

# Keyrings: the kernel's keys of the job's uid and of the node's user.
r, err = sys('add_key', b'user', b'probe', b'payload', 7, -4)
(escaped if r >= 0 else held)('keyctl', 'add_key to the user keyring: %s' % os.strerror(err))
r, err = sys('keyctl', 0, -4, 0)
(escaped if r >= 0 else held)('keyctl', 'KEYCTL_GET_KEYRING_ID of the user keyring: %s' % os.strerror(err))
r, err = sys('request_key', b'user', b'probe', 0, 0)
(escaped if r >= 0 else held)('keyctl', 'request_key: %s' % os.strerror(err))
tries('keyctl', '/proc/keys listed', lambda: read('/proc/keys') or (_ for _ in ()).throw(OSError(errno.ENODATA, 'empty')))

# The node's abstract unix socket, its TCP port on loopback and on every host address.
s = socket.socket(socket.AF_UNIX)
tries('abstract sockets', 'the node\'s @' + E['PROBE_ABSTRACT'], lambda: s.connect('\0' + E['PROBE_ABSTRACT']))
for addr in ['127.0.0.1'] + E.get('PROBE_HOSTS', '').split():
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    c = socket.socket(fam)
    c.settimeout(3)
    tries('network', '%s port %s' % (addr, E['PROBE_PORT']), lambda: c.connect((addr, int(E['PROBE_PORT']))))
print('INTERFACES %s' % [n for _, n in socket.if_nameindex()], flush=True)

print('ESCAPES %d' % escapes, flush=True)
