#!/usr/bin/python3
"""tests/helpers/subreaper.py CMD [ARG...]: run CMD as a child subreaper.

Becomes a child subreaper (prctl PR_SET_CHILD_SUBREAPER), runs CMD and
waits for it; any descendant that CMD left behind -- a child it never
reaped (zombie) or one still running when it exited -- is re-parented to
us, and we reap it.  Prints "orphans: N" (and one line per orphan) on
stderr and exits with CMD's status (128+N if a signal ended it).  That
makes "the lab reaps every child" a deterministic check: a child nobody
waited for is counted whether it had exited yet or not."""

import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


def main():
    if len(sys.argv) < 2:
        print("Usage: subreaper.py CMD [ARG...]", file=sys.stderr)
        return 2
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("prctl: %s" % os.strerror(ctypes.get_errno()), file=sys.stderr)
        return 2
    proc = subprocess.Popen(sys.argv[1:])
    status = proc.wait()
    orphans = []
    while True:     # the caller bounds this in time (orphans still running)
        try:
            pid, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        orphans.append((pid, st))
    for pid, st in orphans:
        how = ("exit %d" % os.WEXITSTATUS(st) if os.WIFEXITED(st)
               else "signal %d" % os.WTERMSIG(st))
        print("orphan %d reaped by the subreaper: %s" % (pid, how), file=sys.stderr)
    print("orphans: %d" % len(orphans), file=sys.stderr)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
