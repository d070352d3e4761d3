#!/usr/bin/env python3
"""mutate.py — jnet's mutation run (make mutate; see tests/mutation/README.md).

Generates mutants of the library's C sources (api/, backends/, sim/, tools/)
with the classic operators, builds each one in a copy of the tree (one copy
and build directory per worker, built once, then rebuilt incrementally:
only the mutated file is recompiled and the programs relinked), runs the
ctest suite against it with a time bound, and reports, per file, how many
mutants were killed, survived, timed out or did not compile, with the diff
of every survivor. The source tree is never written to.

  python3 tests/mutation/mutate.py [--build build] [--sample N --seed S]
      [--jobs J] [--files REGEX] [--tests REGEX] [--list]

Operators (name: what it does):
  rel     a relational operator negated (< to >=, <= to >, > to <=, >= to <)
  bound   a boundary moved by one (< to <=, <= to <, > to >=, >= to >)
  eq      == to != and != to ==
  logic   && to || and || to &&
  neg     the condition of an if/while negated
  call    a call to a function returning void deleted (deallocations are
          left alone: a leak is only seen under ASan or valgrind)
  const   an integer constant replaced: 0 by 1, 1 by 0, others by 0, -1
  ret     `return <expr>;` of an int-returning function made to return an
          error code (-22, -EINVAL on Linux)

Standard library only; no network.
"""

import argparse
import difflib
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIRS = ("api", "backends", "sim", "tools")
ERROR_CODE = "-22"
# ctest cases left out of every run: bench-guard counts instructions under
# callgrind (a benchmark guard, not behaviour, and slow).
EXCLUDE_TESTS = ("bench-guard",)
# Deallocations: deleting one leaks, which a plain build cannot see.
NO_DELETE = re.compile(r"(^|_)(free|destroy|release|drain|close_all)$|^free$")

# ---------------------------------------------------------------- lexing --

TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<comment>/\*.*?\*/|//[^\n]*)
      | (?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
      | (?P<num>0[xX][0-9a-fA-F]+[uUlL]*|\d+\.\d*(?:[eE][-+]?\d+)?[fFlL]?
                |\d+[eE][-+]?\d+[fFlL]?|\.\d+(?:[eE][-+]?\d+)?[fFlL]?|\d+[uUlL]*)
      | (?P<id>[A-Za-z_]\w*)
      | (?P<op><<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^!~<>=?:;,.(){}\[\]#\\])
      | (?P<other>.)""",
    re.S | re.X,
)


class Tok:
    __slots__ = ("kind", "text", "start", "end", "line")

    def __init__(self, kind, text, start, end, line):
        self.kind, self.text, self.start, self.end, self.line = (
            kind, text, start, end, line)


def blank_preprocessor(src):
    """src with every preprocessor line (and its continuations) blanked to
    spaces, offsets and newlines kept."""
    out = []
    cont = False
    for line in src.split("\n"):
        if cont or line.lstrip().startswith("#"):
            cont = line.endswith("\\")
            out.append(" " * len(line))
        else:
            out.append(line)
    return "\n".join(out)


def tokenize(src):
    """Code tokens of src (no whitespace, comments or preprocessor lines)."""
    code = blank_preprocessor(src)
    toks = []
    line = 1
    pos = 0
    while pos < len(code):
        m = TOKEN.match(code, pos)
        kind = m.lastgroup
        text = m.group(kind)
        if kind not in ("ws", "comment"):
            toks.append(Tok(kind, text, m.start(), m.end(), line))
        line += text.count("\n")
        pos = m.end()
    return toks


def function_bodies(toks):
    """For each token index: the name and return type of the function whose
    body holds it, or None outside function bodies."""
    owner = [None] * len(toks)
    depth = 0
    current = None
    for i, t in enumerate(toks):
        if t.text == "{":
            if depth == 0 and i > 0 and toks[i - 1].text == ")":
                current = function_header(toks, i)
            depth += 1
        elif t.text == "}":
            depth -= 1
            if depth == 0:
                current = None
                continue
        if depth > 0 and current is not None:
            owner[i] = current
    return owner


def function_header(toks, brace):
    """(name, return-type words) of the function whose body opens at brace."""
    # walk back over the parameter list to the name
    j = brace - 1
    level = 0
    while j >= 0:
        if toks[j].text == ")":
            level += 1
        elif toks[j].text == "(":
            level -= 1
            if level == 0:
                break
        j -= 1
    name = toks[j - 1].text if j > 0 else "?"
    k = j - 2
    words = []
    while k >= 0 and toks[k].text not in (";", "}", ")", "{"):
        words.insert(0, toks[k].text)
        k -= 1
    return name, words


def void_functions(paths):
    names = set()
    decl = re.compile(r"(?:^|[\s;{}(])void\s+(\w+)\s*\(", re.M)
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            src = f.read()
        for m in decl.finditer(src):
            names.add(m.group(1))
    names.discard("main")
    return names


# ------------------------------------------------------------- mutants --

class Mutant:
    __slots__ = ("file", "line", "op", "start", "end", "new", "old", "id",
                 "status", "killer", "diff", "secs")

    def __init__(self, file, line, op, start, end, new, old):
        self.file, self.line, self.op = file, line, op
        self.start, self.end, self.new, self.old = start, end, new, old
        self.id = None
        self.status = None
        self.killer = ""
        self.diff = ""
        self.secs = 0.0

    def apply(self, src):
        return src[: self.start] + self.new + src[self.end:]


REL = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}
BOUND = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
EQ = {"==": "!=", "!=": "=="}
LOGIC = {"&&": "||", "||": "&&"}
INT_RETURNS = {"int", "ssize_t", "long", "int64_t", "int32_t"}


def matching(toks, i, open_, close):
    level = 0
    for j in range(i, len(toks)):
        if toks[j].text == open_:
            level += 1
        elif toks[j].text == close:
            level -= 1
            if level == 0:
                return j
    return None


def int_value(text):
    t = text.rstrip("uUlL")
    try:
        return int(t, 16) if t.lower().startswith("0x") else int(t, 10)
    except ValueError:
        return None


def mutants_of(rel, src, voids):
    toks = tokenize(src)
    owner = function_bodies(toks)
    out = []

    def add(op, t0, t1, new):
        out.append(Mutant(rel, toks[t0].line, op, toks[t0].start, toks[t1].end,
                          new, src[toks[t0].start:toks[t1].end]))

    for i, t in enumerate(toks):
        fn = owner[i]
        if fn is None:
            continue
        x = t.text
        if x in REL:
            add("rel", i, i, REL[x])
            add("bound", i, i, BOUND[x])
        elif x in EQ:
            add("eq", i, i, EQ[x])
        elif x in LOGIC:
            add("logic", i, i, LOGIC[x])
        elif x in ("if", "while") and i + 1 < len(toks) and toks[i + 1].text == "(":
            j = matching(toks, i + 1, "(", ")")
            if j is not None and j > i + 2:
                inner = src[toks[i + 2].start:toks[j - 1].end]
                add("neg", i + 2, j - 1, "!(" + inner + ")")
        elif t.kind == "num":
            v = int_value(x)
            if v is None:
                continue
            prev = toks[i - 1].text if i > 0 else ""
            if prev in ("[", "case") or (i + 1 < len(toks) and toks[i + 1].text == "]"):
                continue  # array sizes and case labels: rarely compile
            for nv in ((1,) if v == 0 else (0,) if v == 1 else (0, -1)):
                add("const", i, i, "(%d)" % nv)
        elif t.kind == "id" and x in voids and not NO_DELETE.search(x):
            prev = toks[i - 1].text if i > 0 else ""
            if prev not in (";", "{", "}", ")", "else"):
                continue
            if prev == ")" and not is_control_paren(toks, i - 1):
                continue
            if i + 1 < len(toks) and toks[i + 1].text == "(":
                j = matching(toks, i + 1, "(", ")")
                if j is not None and j + 1 < len(toks) and toks[j + 1].text == ";":
                    add("call", i, j, "(void)0")
        elif x == "return":
            name, words = fn
            if not any(w in INT_RETURNS for w in words) or "*" in words:
                continue
            j = i + 1
            while j < len(toks) and toks[j].text != ";":
                j += 1
            if j == i + 1 or j >= len(toks):
                continue
            expr = src[toks[i + 1].start:toks[j - 1].end]
            if expr.replace(" ", "") == ERROR_CODE:
                continue
            add("ret", i + 1, j - 1, ERROR_CODE)
    return out


def is_control_paren(toks, close):
    """True if the ')' at close ends an if/while/for condition."""
    level = 0
    for j in range(close, -1, -1):
        if toks[j].text == ")":
            level += 1
        elif toks[j].text == "(":
            level -= 1
            if level == 0:
                return j > 0 and toks[j - 1].text in ("if", "while", "for")
    return False


def source_files(root, files_re):
    out = []
    for d in DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            for n in sorted(names):
                if n.endswith(".c"):
                    rel = os.path.relpath(os.path.join(dirpath, n), root)
                    if files_re is None or re.search(files_re, rel):
                        out.append(rel)
    return sorted(out)


def all_mutants(root, files_re):
    files = source_files(root, files_re)
    headers = []
    for d in DIRS:
        for dirpath, _, names in os.walk(os.path.join(root, d)):
            headers += [os.path.join(dirpath, n) for n in names
                        if n.endswith((".h", ".c"))]
    voids = void_functions(sorted(headers))
    muts = []
    for rel in files:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            src = f.read()
        ms = mutants_of(rel, src, voids)
        lines = src.split("\n")
        seen = {}
        for m in ms:
            new_src = m.apply(src)
            new_line = new_src.split("\n")[m.line - 1: m.line - 1 + m.old.count("\n") + 1]
            key = (lines[m.line - 1].strip(), "\n".join(new_line).strip(), m.op)
            seen[key] = seen.get(key, 0) + 1
            h = hashlib.sha1(("%s\0%s\0%s\0%d" % (key + (seen[key],))).encode())
            m.id = "%s:%s" % (rel, h.hexdigest()[:10])
        muts += ms
    return muts


def read_equivalents(path):
    eq = {}
    if not os.path.exists(path):
        return eq
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            eq[parts[0]] = parts[1] if len(parts) > 1 else ""
    return eq


def diff_of(m, src):
    new = m.apply(src)
    d = difflib.unified_diff(src.splitlines(True), new.splitlines(True),
                             "a/" + m.file, "b/" + m.file, n=1)
    return "".join(d)


# ------------------------------------------------------------ building --

def run(cmd, cwd, timeout, log=None, env=None):
    """Run cmd in its own process group; kill that group on timeout.
    Returns (rc or None on timeout, output)."""
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True,
                         env=env)
    try:
        out, _ = p.communicate(timeout=timeout)
        kill_strays(cwd)  # a test ctest timed out may leave Check's child
        return p.returncode, out.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = p.communicate()
        kill_strays(cwd)
        return None, out.decode("utf-8", "replace")


def kill_strays(root):
    """Kill what a timed-out run left behind under root: ctest gives each
    test a process group of its own, so killing ctest's group misses a test
    (and the children Check forks) that hangs. Only processes whose program
    or working directory is inside this worker's copy are touched."""
    root = os.path.realpath(root) + os.sep
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        for link in ("exe", "cwd"):
            try:
                target = os.readlink(os.path.join("/proc", pid, link))
            except OSError:
                continue
            if (target + os.sep).startswith(root):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
                break


def clean_env():
    env = dict(os.environ)
    env.pop("CI", None)  # -Werror would turn a mutant's warning into a DNC
    env.pop("CK_RUN_CASE", None)
    return env


def copy_tree(root, dst):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"],
                           cwd=root, stdout=subprocess.PIPE, check=True)
    for rel in files.stdout.decode().splitlines():
        s = os.path.join(root, rel)
        if not os.path.isfile(s):
            continue
        d = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        shutil.copy2(s, d)


class Worker:
    def __init__(self, base, k, args):
        self.dir = os.path.join(base, "w%d" % k)
        self.src = os.path.join(self.dir, "src")
        self.build = os.path.join(self.dir, "build")
        self.args = args

    def prepare(self, jobs):
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        copy_tree(ROOT, self.src)
        env = clean_env()
        rc, out = run(["cmake", "-S", self.src, "-B", self.build,
                       "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DJNET_SIM=ON"],
                      self.dir, 600, env=env)
        if rc != 0:
            raise SystemExit("mutate: configure failed in %s:\n%s" % (self.dir, out))
        rc, out = run(["cmake", "--build", self.build, "-j", str(jobs)],
                      self.dir, 3600, env=env)
        if rc != 0:
            raise SystemExit("mutate: the unmutated tree does not build:\n%s" % out[-4000:])

    def build_now(self):
        return run(["cmake", "--build", self.build, "-j", "1"], self.dir,
                   self.args.build_timeout, env=clean_env())

    def ctest(self, name, timeout):
        rc, out = run(["ctest", "-R", "^%s$" % re.escape(name), "--timeout",
                       str(int(timeout)), "--output-on-failure"], self.build,
                      timeout + 30, env=clean_env())
        if rc is None or "***Timeout" in out:
            return "timeout", out
        return ("pass" if rc == 0 else "fail"), out


def ctest_times(out):
    """{test: seconds} of the tests that passed, from ctest's output."""
    times, failed = {}, set()
    for m in re.finditer(r"Test +#\d+: (\S+) \.+ *(\S.*?) +([\d.]+) sec", out):
        if m.group(2).startswith("Passed"):
            times[m.group(1)] = float(m.group(3))
        else:
            failed.add(m.group(1))
    return times, failed


# ---------------------------------------------------------------- main --

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build",
                    help="build dir whose mutation/ subdir gets the results")
    ap.add_argument("--sample", type=int, default=0,
                    help="run a random subset of N mutants (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="mutants built and tested at once")
    ap.add_argument("--files", help="only source files matching this regex")
    ap.add_argument("--tests", help="only ctest cases matching this regex")
    ap.add_argument("--timeout-factor", type=float, default=5.0,
                    help="a test times out after max(20 s, factor x baseline)")
    ap.add_argument("--build-timeout", type=int, default=900)
    ap.add_argument("--list", action="store_true",
                    help="print the chosen mutants and stop")
    ap.add_argument("--rescore", action="store_true",
                    help="rewrite the report of the last run from its "
                    "mutants.tsv with the current equivalents file (after a "
                    "review), running nothing")
    ap.add_argument("--source", default=ROOT,
                    help="the tree to mutate (default: this checkout); "
                    "--rescore after the sources moved on can point it at "
                    "the run's copy, build/mutation/work/w0/src")
    ap.add_argument("--equivalents",
                    default=os.path.join(ROOT, "tests/mutation/equivalents.txt"))
    args = ap.parse_args()

    src_root = os.path.abspath(args.source)
    muts = all_mutants(src_root, args.files)
    total_generated = len(muts)
    if args.sample and args.sample < len(muts):
        muts = random.Random(args.seed).sample(muts, args.sample)
        muts.sort(key=lambda m: (m.file, m.start, m.op, m.new))
    equivalents = read_equivalents(args.equivalents)
    sources = {}
    for m in muts:
        if m.file not in sources:
            with open(os.path.join(src_root, m.file), encoding="utf-8") as f:
                sources[m.file] = f.read()
        m.diff = diff_of(m, sources[m.file])
    if args.rescore:
        return rescore(args, muts, equivalents, total_generated)
    if args.list:
        for m in muts:
            print("%s line %d %s%s" % (m.id, m.line, m.op,
                  " (equivalent)" if m.id in equivalents else ""))
            print(m.diff)
        print("%d of %d generated mutants" % (len(muts), total_generated))
        return 0

    if src_root != ROOT:
        raise SystemExit("mutate: --source is for --list and --rescore; a run "
                         "mutates a copy of this checkout")
    out_dir = out_dir_of(args)
    os.makedirs(out_dir, exist_ok=True)
    work = os.path.join(out_dir, "work")
    jobs = max(1, min(args.jobs, len(muts) or 1))
    workers = [Worker(work, k, args) for k in range(jobs)]
    t0 = time.time()
    print("mutate: %d mutants (of %d generated), %d workers; preparing copies "
          "in %s" % (len(muts), total_generated, jobs, work), flush=True)
    for w in workers:  # one after another: the first build takes the cores
        w.prepare(os.cpu_count() or 1)
    # Baseline: the whole suite on the unmutated copy, one test at a time.
    rc, out = run(["ctest", "-N"], workers[0].build, 60)
    names = re.findall(r"Test +#\d+: (\S+)", out)
    names = [n for n in names if n not in EXCLUDE_TESTS and
             (args.tests is None or re.search(args.tests, n))]
    base = {}
    for n in names:
        t1 = time.time()
        st, o = workers[0].ctest(n, 900)
        if st == "pass":
            base[n] = time.time() - t1
        else:
            print("mutate: %s fails on the unmutated tree; left out" % n)
    order = sorted(base, key=lambda n: base[n])
    print("mutate: baseline %d tests, %.0f s one after another" %
          (len(order), sum(base.values())), flush=True)

    pending = [m for m in muts if m.id not in equivalents]
    for m in muts:
        if m.id in equivalents:
            m.status = "equivalent"
    progress = os.path.join(out_dir, "mutants.tsv")
    with open(progress, "w", encoding="utf-8") as f:
        f.write("id\tfile\tline\top\tstatus\tkiller\tseconds\n")
    lock = threading.Lock()
    free = list(workers)
    done = [0]

    def one(m):
        with lock:
            w = free.pop()
        t1 = time.time()
        path = os.path.join(w.src, m.file)
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(m.apply(sources[m.file]))
            rc, bout = w.build_now()
            if rc != 0:
                m.status = "dnc" if rc is not None else "timeout"
            else:
                m.status = "survived"
                for n in order:
                    st, _ = w.ctest(n, max(20.0, args.timeout_factor * base[n]))
                    if st != "pass":
                        m.status = "killed" if st == "fail" else "timeout"
                        m.killer = n
                        break
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(sources[m.file])
            m.secs = time.time() - t1
            with lock:
                free.append(w)
                done[0] += 1
                print("[%d/%d] %-9s %s line %d %s%s (%.0f s) %s" % (
                    done[0], len(pending), m.status, m.file, m.line, m.op,
                    " by " + m.killer if m.killer else "", m.secs, m.id),
                    flush=True)
                # kept as it goes, so an interrupted run can be rescored
                with open(progress, "a", encoding="utf-8") as f:
                    f.write("%s\t%s\t%d\t%s\t%s\t%s\t%.1f\n" % (
                        m.id, m.file, m.line, m.op, m.status, m.killer, m.secs))

    with ThreadPoolExecutor(max_workers=jobs) as ex:
        list(ex.map(one, pending))
    report(muts, equivalents, out_dir, total_generated, args, time.time() - t0)
    return 0


def out_dir_of(args):
    b = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
    return os.path.join(b, "mutation")


def rescore(args, muts, equivalents, total_generated):
    """Statuses from the last run's mutants.tsv; equivalents re-applied."""
    out_dir = out_dir_of(args)
    by_id = {m.id: m for m in muts}
    picked = []
    with open(os.path.join(out_dir, "mutants.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            mid, _, _, _, status, killer, secs = line.rstrip("\n").split("\t")
            m = by_id.get(mid)
            if m is None:
                print("mutate: %s no longer generated (the source changed); "
                      "left out" % mid)
                continue
            m.status, m.killer, m.secs = status, killer, float(secs)
            if mid in equivalents:
                if status != "survived":  # a flaky test, or a wrong entry
                    print("mutate: %s is listed equivalent but was %s%s: "
                          "counted equivalent; check the entry" % (
                              mid, status, " by " + killer if killer else ""))
                m.status = "equivalent"
            picked.append(m)
    report(picked, equivalents, out_dir, total_generated, args,
           sum(m.secs for m in picked))
    return 0


def report(muts, equivalents, out_dir, total_generated, args, secs):
    kinds = ("killed", "timeout", "survived", "dnc", "equivalent")
    per = {}
    for m in muts:
        per.setdefault(m.file, {k: 0 for k in kinds})[m.status] += 1
    rows = []

    def score(c):
        live = c["killed"] + c["timeout"] + c["survived"]
        return (100.0 * (c["killed"] + c["timeout"]) / live) if live else float("nan")

    tot = {k: 0 for k in kinds}
    for f in sorted(per):
        c = per[f]
        for k in kinds:
            tot[k] += c[k]
        rows.append((f, sum(c.values()), c, score(c)))
    with open(os.path.join(out_dir, "score.tsv"), "w") as f:
        f.write("file\tmutants\tkilled\ttimeout\tsurvived\tdnc\tequivalent\tscore%\n")
        for name, n, c, s in rows + [("total", sum(tot.values()), tot, score(tot))]:
            f.write("%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\n" % (
                name, n, c["killed"], c["timeout"], c["survived"], c["dnc"],
                c["equivalent"], s))
    lines = []
    lines.append("jnet mutation run: %d mutants%s of %d generated, %.0f s" % (
        len(muts), " (sample --seed %d)" % args.seed if args.sample else "",
        total_generated, secs))
    lines.append("score = (killed + timed out) / (mutants - equivalents - "
                 "did not compile)")
    lines.append("")
    lines.append("%-28s %5s %6s %7s %8s %4s %5s %7s" % (
        "file", "all", "killed", "timeout", "survived", "dnc", "equiv", "score"))
    for name, n, c, s in rows + [("total", sum(tot.values()), tot, score(tot))]:
        lines.append("%-28s %5d %6d %7d %8d %4d %5d %6.1f%%" % (
            name, n, c["killed"], c["timeout"], c["survived"], c["dnc"],
            c["equivalent"], s))
    surv = [m for m in muts if m.status == "survived"]
    lines.append("")
    lines.append("survivors (%d): add a test that kills each, or list it in "
                 "tests/mutation/equivalents.txt with the reason" % len(surv))
    for m in surv:
        lines.append("")
        lines.append("-- %s (line %d, %s)" % (m.id, m.line, m.op))
        lines.append(m.diff.rstrip("\n"))
    killers = {}
    for m in muts:
        if m.killer:
            killers[m.killer] = killers.get(m.killer, 0) + 1
    lines.append("")
    lines.append("first test to notice, per test: " + ", ".join(
        "%s %d" % kv for kv in sorted(killers.items(), key=lambda kv: -kv[1])))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "report.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(out_dir, "mutants.tsv"), "w") as f:
        f.write("id\tfile\tline\top\tstatus\tkiller\tseconds\n")
        for m in muts:
            f.write("%s\t%s\t%d\t%s\t%s\t%s\t%.1f\n" % (
                m.id, m.file, m.line, m.op, m.status, m.killer, m.secs))
    print(text)
    print("mutate: wrote %s/{score.tsv,report.txt,mutants.tsv}" % out_dir)


if __name__ == "__main__":
    sys.exit(main())
