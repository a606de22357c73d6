# A hostile job that forks as many tasks as it may (HOARD_FORKS at most) and has each hold every
# standard signal it can, in its thread's queue and its process's: the kernel queues them past the
# job's RLIMIT_SIGPENDING and counts each for the job's uid on the host, the node user's own when the
# node is not root. Prints FORK REFUSED <errno> when a fork was refused (RLIMIT_NPROC), FORKED <n>
# before the signals are sent (the node may stop the job before it reads its count), then, after
# HOARD_WAIT seconds, SIGQ <n>: the pending signals of its user namespace, which it then holds for
# HOARD_HOLD seconds. Shared by HostCountsTest and SharedBudgetTest.
import ctypes, os, signal, struct, time

libc = ctypes.CDLL(None, use_errno=True)
FORKS = int(os.environ.get('HOARD_FORKS', '200'))
WAIT = float(os.environ.get('HOARD_WAIT', '2'))
HOLD = float(os.environ.get('HOARD_HOLD', '0'))
TGSIGQUEUEINFO = 297 if os.uname().machine == 'x86_64' else 240
STANDARD = [s for s in range(1, 32) if s not in (signal.SIGKILL, signal.SIGSTOP)]
signal.pthread_sigmask(signal.SIG_BLOCK, STANDARD)
info = ctypes.create_string_buffer(128)
children = []
try:
    for i in range(FORKS):
        child = os.fork()
        if child == 0:
            for s in STANDARD:  # to itself, private to its thread, si_code 1
                struct.pack_into('iii', info, 0, s, 0, 1)
                libc.syscall(TGSIGQUEUEINFO, os.getpid(), os.getpid(), s, info)
            time.sleep(WAIT + HOLD + 30)
            os._exit(0)
        children.append(child)
except OSError as e:
    print('FORK REFUSED', e.errno)
print('FORKED', len(children), flush=True)
for child in children:
    for s in STANDARD:  # to its process, shared by its threads
        os.kill(child, s)
time.sleep(WAIT)  # for the children's own, and for the other jobs that run at once
print('SIGQ', open('/proc/self/status').read().split('SigQ:')[1].split('/')[0].strip(), flush=True)
time.sleep(HOLD)
