# A hostile job that reads what it can of its host, run by HostTraceProbeTest inside the real sandbox.
# It is told nothing of the host (its environment is the node's, with no hint), so it cannot look for
# the host's secrets itself: it writes everything it found, each item under a "== name" line, to
# trace.txt in its working directory, and the test, outside, looks there for what must not be found.
import os, pwd, socket

out = []


def item(name, value):
    out.append('== ' + name + '\n' + str(value) + '\n')


def read(path, limit=1 << 20):
    try:
        with open(path, 'rb') as f:
            return f.read(limit).decode('utf-8', 'replace')
    except OSError as e:
        return 'unreadable: ' + (e.strerror or str(e))


def link(path):
    try:
        return os.readlink(path)
    except OSError as e:
        return 'unreadable: ' + (e.strerror or str(e))


u = os.uname()
item('uname', ' '.join([u.sysname, u.nodename, u.release, u.version, u.machine]))
item('gethostname', socket.gethostname())
try:
    item('fqdn', socket.getfqdn())
except OSError as e:
    item('fqdn', e)
item('environment', '\n'.join('%s=%s' % kv for kv in sorted(os.environ.items())))
item('ids', 'uid %d euid %d gid %d groups %s' % (os.getuid(), os.geteuid(), os.getgid(), os.getgroups()))
try:
    item('passwd entry', pwd.getpwuid(os.getuid()))
except KeyError:
    item('passwd entry', 'none')
try:
    item('login', os.getlogin())
except OSError as e:
    item('login', e)
for pid in ('self', '1'):
    for name in ('cgroup', 'cpuset', 'loginuid', 'sessionid', 'environ', 'cmdline', 'status', 'mountinfo',
                 'mounts', 'mountstats', 'attr/current', 'uid_map', 'gid_map', 'setgroups', 'comm', 'stat',
                 'autogroup', 'sched', 'timens_offsets', 'net/unix', 'net/tcp', 'net/tcp6', 'net/udp',
                 'net/dev', 'net/route', 'net/fib_trie'):
        item('/proc/%s/%s' % (pid, name), read('/proc/%s/%s' % (pid, name)).replace('\0', ' '))
    for name in ('cwd', 'root', 'exe'):
        item('/proc/%s/%s ->' % (pid, name), link('/proc/%s/%s' % (pid, name)))
    try:
        fds = os.listdir('/proc/%s/fd' % pid)
    except OSError as e:
        fds = []
        item('/proc/%s/fd' % pid, e)
    for fd in fds:
        item('/proc/%s/fd/%s ->' % (pid, fd), link('/proc/%s/fd/%s' % (pid, fd)))
for path in ('/etc/passwd', '/etc/group', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/machine-id',
             '/proc/sys/kernel/hostname', '/proc/sys/kernel/domainname', '/proc/sys/kernel/random/boot_id',
             '/proc/self/net/if_inet6', '/proc/keys', '/proc/key-users', '/proc/cgroups', '/proc/swaps',
             '/proc/sys/fs/binfmt_misc/status', '/proc/sys/kernel/core_pattern', '/proc/version'):
    item(path, read(path))
# Every name the job can list in the directories a job would look through first.
for top in ('/', '/tmp', '/dev', '/dev/shm', '/run', '/home', '/root', '/var', '/var/tmp', '/mnt', '/media',
            '/opt', '/srv', os.path.expanduser('~'), os.getcwd()):
    try:
        item('ls ' + top, ' '.join(sorted(os.listdir(top))))
    except OSError as e:
        item('ls ' + top, e)

with open('trace.txt', 'w') as f:
    f.write(''.join(out))
print('TRACED %d items' % len(out), flush=True)
