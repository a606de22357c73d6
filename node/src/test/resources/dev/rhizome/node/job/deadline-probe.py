# A hostile job that means to outlive its deadline, run by DeadlineProbeTest in the real sandbox: its
# main process ignores every signal it may, and it leaves behind a process that ignores them too, one
# in a session of its own orphaned by a double fork, and one stopped (SIGSTOP), each a shell whose
# command line carries outlive-<PROBE_TAG> for the test to look for on the host. Then it waits for ever.
import os, signal, time

TAG = 'outlive-' + os.environ['PROBE_TAG']
LOOP = 'trap "" TERM INT HUP QUIT USR1 USR2; while :; do sleep 1; done'
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
          signal.SIGALRM, signal.SIGPIPE, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
    signal.signal(s, signal.SIG_IGN)


def shell(kind):
    pid = os.fork()
    if pid == 0:
        if kind == 'session':
            os.setsid()
            if os.fork():
                os._exit(0)
        # The stopped one stops itself once it is the tagged shell (stopped before its exec, it was python).
        os.execv('/bin/sh', ['/bin/sh', '-c', ('kill -STOP $$; ' if kind == 'stopped' else '') + LOOP, TAG + '-' + kind])
    if kind == 'session':
        os.waitpid(pid, 0)
    return pid


shell('plain')
shell('session')
shell('stopped')
print('READY', flush=True)
while True:
    time.sleep(1)
