#!/usr/bin/python3
"""tests/mutants/run.py [--check] [--head] [--only REGEX] [--timeout S] [--min PCT] [--keep]

Our own mutation testing: plant one small, plausible bug at a time (a
"mutant") and see whether the tests that cover that code notice.

The mutants are the rows of tests/mutants/*.tsv (the format is in the
header of tests/mutants/mutants.tsv).  For each one this script:
  1. writes the changed file into a COPY of the source tree,
  2. rebuilds the copy (make, its own build directory),
  3. runs the row's tests against the copy, each run bounded in time,
  4. puts the file back,
and prints the mutant as "caught" (a test failed, or timed out) or
"SURVIVED" (every test passed: they cannot tell the bug from the code).
The score is caught / (caught + survived).

It never writes to the work tree: the copy is made in a temporary
directory from the tracked and untracked-but-not-ignored files of the work
tree (--head: from the last commit, `git archive HEAD`), and removed at the
end, also on Ctrl-C or SIGTERM.  `git status` is the same afterwards.

Before any mutant, the untouched copy is built and every test the
selected rows name is run (a failure is retried once): a test that fails
already cannot catch anything, so its rows are reported as "baseline
fails" and left out of the score.  A row whose text is not found exactly once in its file, or whose
mutant does not build, is an error of the table (reported, not scored).

  --check        only validate the table against the work tree (fast: no
                 copy, no build); exit 1 on a bad row
  --head         copy the last commit instead of the work tree (its table
                 of mutants too: rows and code from the same commit)
  --only REGEX   only the rows whose id matches
  --timeout S    bound for one mutant's tests together (default 240)
  --min PCT      exit 1 when the score is below PCT (default 80)
  --keep         keep the temporary copy (for debugging a row)
Environment: MAKEFLAGS as usual; JOBS (default: CPUs) for make -j.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLES = os.path.join(ROOT, "tests", "mutants")


class Row:
    def __init__(self, where, cols):
        self.where = where
        self.id, self.file, find, replace, tests, self.filter, self.why = cols
        self.find = unescape(find)
        self.replace = unescape(replace)
        self.tests = tests.split()
        self.filter = None if self.filter == "-" else self.filter


def unescape(text):
    """The table's escapes: \\n newline, \\t tab, \\\\ backslash; '-' alone is empty."""
    if text == "-":
        return ""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(text[i + 1], "\\" + text[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def read_tables(base=ROOT):
    """The rows of base/tests/mutants/*.tsv, and the format errors."""
    rows, errors = [], []
    for path in sorted(glob.glob(os.path.join(base, "tests", "mutants", "*.tsv"))):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                cols = line.split("\t")
                where = "%s:%d" % (os.path.relpath(path, base), n)
                if len(cols) != 7:
                    errors.append("%s: %d columns, want 7 (separated by one TAB)" % (where, len(cols)))
                    continue
                rows.append(Row(where, cols))
    seen = set()
    for r in rows:
        if r.id in seen:
            errors.append("%s: id %s used twice" % (r.where, r.id))
        seen.add(r.id)
    return rows, errors


def check_row(r, tree):
    """Problems of a row against a source tree (list of strings)."""
    problems = []
    path = os.path.join(tree, r.file)
    if not os.path.isfile(path):
        return ["%s %s: no file %s" % (r.where, r.id, r.file)]
    text = open(path).read()
    n = text.count(r.find)
    if n != 1:
        problems.append("%s %s: the code to change occurs %d times in %s (want once)"
                        % (r.where, r.id, n, r.file))
    if r.find == r.replace:
        problems.append("%s %s: the change changes nothing" % (r.where, r.id))
    if not r.tests:
        problems.append("%s %s: no tests" % (r.where, r.id))
    for t in r.tests:
        if t.startswith("unit:"):
            src = os.path.join(tree, "tests", "unit", t[5:] + ".c")
        else:
            src = os.path.join(tree, t)
        if not os.path.isfile(src):
            problems.append("%s %s: no test %s" % (r.where, r.id, t))
    return problems


# ---------------------------------------------------------------- processes

def session_pids(sid):
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 3 and int(fields[3]) == sid:
            pids.append(int(d))
    return pids


def remove_named_objects(pids):
    """Named IPC objects whose name carries one of these (killed) pids."""
    uid = os.getuid()
    for pid in pids:
        for pattern in ("/dev/shm/proclab-%d-%d-*", "/dev/mqueue/proclab-%d-%d-*",
                        "/tmp/proclab-%d-%d-*"):
            for p in glob.glob(pattern % (uid, pid)):
                shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else _unlink(p)


def _unlink(p):
    try:
        os.unlink(p)
    except OSError:
        pass


def remove_dead_leftovers(before):
    """What a mutant's run left in /tmp (a private directory, the record of a
    System V object that died with the run's IPC namespace) and whose
    creator no longer runs: removed, so the machine ends as it started."""
    for path in set(glob.glob("/tmp/proclab-%d-*" % os.getuid())) - before:
        m = re.match(r"/tmp/proclab-\d+-(\d+)-", path)
        if m and not os.path.exists("/proc/%s" % m.group(1)):
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else _unlink(path)


def kill_session(sid):
    """SIGKILL everything left in a test run's session (it has its own)."""
    killed = []
    for _ in range(5):
        pids = [p for p in session_pids(sid) if p != os.getpid()]
        if not pids:
            break
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
                killed.append(p)
            except OSError:
                pass
        time.sleep(0.1)
    remove_named_objects(set(killed))


RUNNING = []    # sessions of test runs in progress (for cleanup on a signal)


def run_limited(cmd, cwd, env, limit):
    """(exit status or 'timeout', output).  The command gets a session of
    its own (the tests' stray-process check looks there) and everything in
    it is killed at the end."""
    before = set(glob.glob("/tmp/proclab-%d-*" % os.getuid()))
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        RUNNING.append(p.pid)
        try:
            status = p.wait(timeout=max(1, limit))
        except subprocess.TimeoutExpired:
            status = "timeout"
        finally:
            kill_session(p.pid)
            p.wait()
            RUNNING.remove(p.pid)
            remove_dead_leftovers(before)
        out.seek(0)
        return status, out.read().decode(errors="replace")


# ---------------------------------------------------------------- the work

def copy_tree(dest, head):
    if head:
        archive = subprocess.run(["git", "-C", ROOT, "archive", "HEAD"], check=True,
                                 stdout=subprocess.PIPE).stdout
        subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
        return
    names = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], check=True,
                           stdout=subprocess.PIPE).stdout.decode().split("\0")
    for name in sorted(set(n for n in names if n)):
        src = os.path.join(ROOT, name)
        if not os.path.isfile(src) or os.path.islink(src):
            continue            # deleted in the work tree, or not a file
        dst = os.path.join(dest, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


def build(tree, jobs):
    cmd = ["make", "--no-print-directory", "-j%d" % jobs, "O=build", "all"]
    return subprocess.run(cmd, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL)


def test_env(tree):
    env = dict(os.environ)
    env["PATH"] = "/usr/bin:" + env.get("PATH", "")
    env["PROCLAB_BIN"] = os.path.join(tree, "build", "bin")
    env["BATS_LIB_PATH"] = env.get("BATS_LIB_PATH", "/usr/lib/bats")
    env["BATS_TEST_TIMEOUT"] = "60"
    env["CMOCKA_MESSAGE_OUTPUT"] = "TAP"
    return env


# As root, each run gets an IPC namespace of its own (System V objects and
# POSIX queues, with its own /dev/mqueue mounted in a private mount
# namespace): what a mutant's program leaves there, or a run killed at its
# time bound, ends with the namespace instead of staying on the machine.
ISOLATE = ["unshare", "--ipc", "--mount", "--fork", "--", "sh", "-c",
           "mount --make-rprivate / && mount -t mqueue mqueue /dev/mqueue && exec \"$@\"",
           "isolate"]
_isolate_ok = None


def isolated(cmd):
    global _isolate_ok
    if _isolate_ok is None:
        _isolate_ok = os.getuid() == 0 and shutil.which("unshare") is not None and \
            subprocess.run(ISOLATE + ["true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL).returncode == 0
    return ISOLATE + cmd if _isolate_ok else cmd


def run_test(tree, test, filt, limit):
    """(passed?, one line saying why not)."""
    if test.startswith("unit:"):
        cmd = [os.path.join(tree, "build", "tests", test[5:])]
    else:
        cmd = ["bats", "--tap"] + (["--filter", filt] if filt else []) + [test]
    status, out = run_limited(isolated(cmd), tree, test_env(tree), limit)
    if status == "timeout":
        return False, "%s: no result within %d s" % (test, limit)
    bad = [l for l in out.splitlines() if l.startswith("not ok")]
    if status != 0 or bad:
        return False, "%s: %s" % (test, bad[0] if bad else "exit %s" % status)
    if not re.search(r"^ok ", out, re.M):
        return False, "%s: no test ran (filter %r matches nothing?)" % (test, filt)
    return True, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--head", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--timeout", type=int, default=240)
    ap.add_argument("--min", type=float, default=80.0)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    if args.check:
        rows, errors = read_tables()
        if args.only:
            rows = [r for r in rows if re.search(args.only, r.id)]
        for r in rows:
            errors += check_row(r, ROOT)
        for e in errors:
            print("table: " + e)
        print("%d mutants in %d files, %d problems"
              % (len(rows), len(glob.glob(os.path.join(TABLES, "*.tsv"))), len(errors)))
        return 1 if errors else 0

    jobs = int(os.environ.get("JOBS", os.cpu_count() or 2))
    tmp = tempfile.mkdtemp(prefix="proclab-mutants-")
    tree = os.path.join(tmp, "src")
    os.mkdir(tree)

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    started = time.time()
    try:
        print("# copying the %s into %s" % ("last commit" if args.head else "work tree", tree),
              flush=True)
        copy_tree(tree, args.head)
        # The table comes with the copy: --head uses the last commit's rows
        # for the last commit's code.
        rows, errors = read_tables(tree)
        for e in errors:
            print("table: " + e)
        if errors:
            return 2
        if args.only:
            rows = [r for r in rows if re.search(args.only, r.id)]
        if not rows:
            print("no mutant matches")
            return 2
        usable = []
        for r in rows:
            bad = check_row(r, tree)
            for e in bad:
                print("table: " + e)
            if not bad:
                usable.append(r)
        invalid_rows = len(rows) - len(usable)
        rows = usable

        print("# building the untouched copy", flush=True)
        b = build(tree, jobs)
        if b.returncode != 0:
            print(b.stdout.decode(errors="replace")[-3000:])
            print("the untouched copy does not build: nothing to measure")
            return 2
        specs = sorted({(t, r.filter) for r in rows for t in r.tests}, key=str)
        print("# baseline: %d test runs on the untouched copy" % len(specs), flush=True)
        baseline_bad = {}
        for t, f in specs:
            ok, why = run_test(tree, t, f, args.timeout)
            if not ok:          # once more: a busy machine makes some tests flaky
                ok, _ = run_test(tree, t, f, args.timeout)
                print("baseline %s: %s" % ("flaky, passed on retry" if ok else "fails", why),
                      flush=True)
            if not ok:
                baseline_bad[(t, f)] = why

        caught = survived = skipped = 0
        invalid = invalid_rows
        survivors = []
        for i, r in enumerate(rows, 1):
            path = os.path.join(tree, r.file)
            original = open(path).read()
            label = "[%d/%d] %-32s" % (i, len(rows), r.id)
            if any((t, r.filter) in baseline_bad for t in r.tests):
                print("%s baseline fails: not scored" % label, flush=True)
                skipped += 1
                continue
            try:
                with open(path, "w") as f:
                    f.write(original.replace(r.find, r.replace, 1))
                b = build(tree, jobs)
                if b.returncode != 0:
                    err = [l for l in b.stdout.decode(errors="replace").splitlines()
                           if "error" in l][:1]
                    print("%s INVALID: does not build (%s)" % (label, err[0] if err else "?"),
                          flush=True)
                    invalid += 1
                    continue
                deadline = time.time() + args.timeout
                verdict = None
                for t in r.tests:
                    left = int(deadline - time.time())
                    if left <= 0:
                        verdict = "%s: the mutant's time bound (%d s) passed" % (t, args.timeout)
                        break
                    ok, why = run_test(tree, t, r.filter, left)
                    if not ok:
                        verdict = why
                        break
            finally:
                with open(path, "w") as f:
                    f.write(original)
            if verdict:
                caught += 1
                print("%s caught    by %s" % (label, verdict[:150]), flush=True)
            else:
                survived += 1
                survivors.append(r)
                print("%s SURVIVED  %s (%s)" % (label, r.why, " ".join(r.tests)), flush=True)

        scored = caught + survived
        score = 100.0 * caught / scored if scored else 0.0
        print()
        print("mutants: %d caught, %d survived, %d not scored (baseline fails), "
              "%d invalid; %.0f s" % (caught, survived, skipped, invalid, time.time() - started))
        print("score: %d of %d caught = %.0f %%" % (caught, scored, score))
        for r in survivors:
            print("  survived: %s  %s: %s" % (r.id, r.file, r.why))
        return 0 if scored and score >= args.min and not invalid else 1
    except KeyboardInterrupt:
        print("\ninterrupted: removing the copy", file=sys.stderr)
        return 130
    finally:
        for sid in list(RUNNING):
            kill_session(sid)
        if args.keep:
            print("# kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
