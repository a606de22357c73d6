# A hostile job that tries to leave something for the next job (or the node) to find, run twice by
# HostTraceProbeTest in the real sandbox. With PROBE_MODE=leave it walks every directory it can see
# (but /proc, the kernel's) and tries to make a file, a directory and a unix socket in each, saying
# "WROTE <dir>" where one stayed; with PROBE_MODE=find it walks the same and says "FOUND <path>" of
# anything named as the first left it, then "FOUND <n>" in all.
import os, socket, stat

MODE = os.environ['PROBE_MODE']
NAME = 'rhizome-left-' + os.environ['PROBE_TAG']
SKIP = ('/proc',)


def dirs():
    for top, subdirs, files in os.walk('/', onerror=lambda e: None):
        subdirs[:] = [d for d in subdirs if os.path.join(top, d) not in SKIP
                      and not os.path.islink(os.path.join(top, d))]
        yield top, subdirs, files


if MODE == 'leave':
    wrote = set()
    for top, subdirs, files in list(dirs()):
        for make in (lambda p: open(p, 'w').write('left'), os.mkdir,
                     lambda p: socket.socket(socket.AF_UNIX).bind(p)):
            path = os.path.join(top, NAME + '-' + str(len(wrote)) + '-' + make.__class__.__name__)
            try:
                make(path)
            except OSError:
                continue
            if os.path.lexists(path):
                wrote.add(top)
    for top in sorted(wrote):
        print('WROTE ' + top, flush=True)
else:
    found = 0
    for top, subdirs, files in dirs():
        for n in subdirs + files:
            if n.startswith(NAME):
                found += 1
                print('FOUND ' + os.path.join(top, n), flush=True)
    print('FOUND %d' % found, flush=True)
