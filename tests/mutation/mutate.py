#!/usr/bin/env python3
"""mutate.py — jnet's mutation run (make mutate; see tests/mutation/README.md).

Generates mutants of the library's C sources (api/, backends/, sim/, tools/)
with the classic operators, builds each one in a copy of the tree (one copy
and build directory per worker, built once, then rebuilt incrementally:
only the mutated file is recompiled and the programs relinked), runs the
ctest suite against it with a time bound, and reports, per file, how many
mutants were killed, survived, timed out or did not compile, with the diff
of every survivor. The source tree is never written to.

Test selection by coverage (the default): once per source snapshot, a copy
of the tree is built with --coverage and every ctest case is run alone in
it; the lines of api/, backends/, sim/ and tools/ each one reaches are kept
in build/mutation/covmap.json. A mutant then runs only the cases that reach
its line(s) (a case cannot see a change on a line it never executes); a
mutant no case reaches is "uncovered" (survived, nothing run). --full runs
every case for every mutant instead.

  python3 tests/mutation/mutate.py [--build build] [--sample N --seed S]
      [--jobs J] [--files REGEX] [--tests REGEX] [--ids ID,...|@FILE]
      [--rerun-survivors] [--full] [--list] [--rescore]

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
          error code (-22, -EINVAL on Linux; -12, -ENOMEM, when the
          original already returns EINVAL, so the mutant changes something)

Standard library only; no network.
"""

import argparse
import difflib
import hashlib
import json
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
# The ret operator's code when the original already is EINVAL (the same
# value as -22 on Linux): -ENOMEM, so that mutant is not equivalent by
# construction.
OTHER_ERROR_CODE = "-12"
EINVAL_SPELLINGS = ("-22", "JNET_EINVAL", "-EINVAL", "(-22)", "(-EINVAL)")
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
            code = ERROR_CODE
            if expr.replace(" ", "") in EINVAL_SPELLINGS:
                code = OTHER_ERROR_CODE
            add("ret", i + 1, j - 1, code)
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


# A coverage marker appended to a line (/* LCOV_EXCL_BR_LINE: reason */)
# does not change the code, so it must not change the mutant's id either:
# ids hash the line without it, and equivalents, reports and
# --rerun-survivors keep matching after a line is marked.
LCOV_MARK = re.compile(r"\s*(/\*\s*LCOV_EXCL.*?\*/|//\s*LCOV_EXCL.*$)")


def unmarked(line):
    return LCOV_MARK.sub("", line).strip()


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
            key = (unmarked(lines[m.line - 1]), unmarked("\n".join(new_line)),
                   m.op)
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


def generator():
    """Ninja when installed: a mutant's rebuild checks every target, which
    costs make ~45 s of a loaded machine and ninja ~1 s."""
    return "Ninja" if shutil.which("ninja") else "Unix Makefiles"


def clean_env():
    env = dict(os.environ)
    env.pop("CI", None)  # -Werror would turn a mutant's warning into a DNC
    env.pop("CK_RUN_CASE", None)
    return env


def tree_files(root):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"],
                           cwd=root, stdout=subprocess.PIPE, check=True)
    return sorted(rel for rel in files.stdout.decode().splitlines()
                  if os.path.isfile(os.path.join(root, rel)))


def tree_key(root):
    """A hash of every file of the tree (names and contents; not this
    script nor its notes, which no test reads): the coverage map and the
    baseline times are reused only for the same snapshot."""
    h = hashlib.sha1()
    for rel in tree_files(root):
        if rel.startswith("tests/mutation/"):
            continue  # the script, its notes and the equivalents: no test
        with open(os.path.join(root, rel), "rb") as f:
            h.update(rel.encode() + b"\0" + hashlib.sha1(f.read()).digest())
    return h.hexdigest()


def copy_tree(root, dst):
    """Make dst a copy of root's tree, writing only the files that differ
    (so a build directory already there rebuilds incrementally) and
    removing the files root no longer has."""
    want = set(tree_files(root))
    for rel in sorted(want):
        s = os.path.join(root, rel)
        d = os.path.join(dst, rel)
        if os.path.isfile(d):
            with open(s, "rb") as a, open(d, "rb") as b:
                if a.read() == b.read():
                    continue
        os.makedirs(os.path.dirname(d), exist_ok=True)
        # a fresh mtime, never the checkout's: an object built from a
        # mutant left in the copy is then older than the restored file
        shutil.copyfile(s, d)
        shutil.copymode(s, d)
    for dirpath, _, names in os.walk(dst):
        for n in names:
            rel = os.path.relpath(os.path.join(dirpath, n), dst)
            if rel not in want:
                os.unlink(os.path.join(dirpath, n))


class Worker:
    def __init__(self, base, k, args):
        self.dir = os.path.join(base, k if isinstance(k, str) else "w%d" % k)
        self.src = os.path.join(self.dir, "src")
        self.build = os.path.join(self.dir, "build")
        self.args = args

    def prepare(self, jobs, flags=()):
        """Bring the copy up to date with the checkout and build it (only
        what changed since the copy's last build)."""
        copy_tree(ROOT, self.src)
        env = clean_env()
        cache = os.path.join(self.build, "CMakeCache.txt")
        if generator() == "Ninja" and os.path.exists(cache):
            with open(cache, encoding="utf-8", errors="replace") as f:
                if "CMAKE_GENERATOR:INTERNAL=Ninja\n" not in f.read():
                    shutil.rmtree(self.build)  # made before ninja was there
        if not os.path.exists(cache):
            rc, out = run(["cmake", "-G", generator(), "-S", self.src, "-B",
                           self.build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                           "-DJNET_SIM=ON"] + list(flags), self.dir, 600, env=env)
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


# ----------------------------------------------------- coverage map --

COV_FLAGS = "--coverage -O0"


def coverage_worker(out_dir, args):
    w = Worker(os.path.join(out_dir, "work"), "cov", args)
    return w


def prepare_coverage_build(w, jobs):
    """The --coverage copy: every program links tests/coverage/gcov_exit.c
    (a child leaving with _exit writes its counters) and
    tests/mutation/gcov_signal.c (so does one dying of a signal)."""
    os.makedirs(w.dir, exist_ok=True)
    objs = []
    for rel in ("tests/coverage/gcov_exit.c", "tests/mutation/gcov_signal.c"):
        obj = os.path.join(w.dir, os.path.basename(rel) + ".o")
        rc, out = run(["cc", "-O0", "-c", os.path.join(ROOT, rel), "-o", obj],
                      w.dir, 120)
        if rc != 0:
            raise SystemExit("mutate: cannot compile %s:\n%s" % (rel, out))
        objs.append(obj)
    w.prepare(jobs, [
        "-DCMAKE_BUILD_TYPE=Debug", "-DCMAKE_C_FLAGS=" + COV_FLAGS,
        "-DCMAKE_EXE_LINKER_FLAGS=--coverage -Wl,--wrap=_exit " + " ".join(objs),
        "-DCMAKE_SHARED_LINKER_FLAGS=--coverage"])


def gcda_files(build):
    out = []
    for dirpath, _, names in os.walk(build):
        out += [os.path.join(dirpath, n) for n in names if n.endswith(".gcda")]
    return sorted(out)


def gcov_lines(w):
    """{file: {line: count}} of the library's .c files (relative to the
    copy), from every .gcda the last test left in the coverage build."""
    lines = {}
    src = os.path.realpath(w.src) + os.sep
    files = gcda_files(w.build)
    tmp = os.path.join(w.dir, "gcov")
    os.makedirs(tmp, exist_ok=True)
    for k in range(0, len(files), 64):
        p = subprocess.run(["gcov", "--json-format", "--stdout"] + files[k:k + 64],
                           cwd=tmp, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        for doc in p.stdout.decode("utf-8", "replace").splitlines():
            doc = doc.strip()
            if not doc.startswith("{"):
                continue
            for f in json.loads(doc).get("files", []):
                path = os.path.realpath(f["file"])
                if not path.startswith(src) or not path.endswith(".c"):
                    continue
                rel = path[len(src):]
                if rel.split(os.sep)[0] not in DIRS:
                    continue
                d = lines.setdefault(rel, {})
                for ln in f["lines"]:
                    n = ln["line_number"]
                    d[n] = d.get(n, 0) + ln["count"]
    return lines


def coverage_map(out_dir, args, key, names):
    """{"tests": {name: {"status", "secs", "lines": {file: [line...]}}},
    "code": {file: [every instrumented line]}}, measured once per snapshot
    (key) and cached in covmap.json."""
    path = os.path.join(out_dir, "covmap.json")
    with open(os.path.join(ROOT, "tests/mutation/gcov_signal.c"), "rb") as f:
        key += hashlib.sha1(f.read()).hexdigest()[:12]  # it shapes the map
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            cm = json.load(f)
        if cm.get("key") == key and all(n in cm["tests"] for n in names):
            print("mutate: coverage map of this snapshot reused (%s)" % path,
                  flush=True)
            return cm
    w = coverage_worker(out_dir, args)
    t0 = time.time()
    print("mutate: building the --coverage copy in %s" % w.dir, flush=True)
    prepare_coverage_build(w, args.jobs)
    env = clean_env()
    env["CK_TIMEOUT_MULTIPLIER"] = "4"  # -O0 and counters: slower
    cm = {"key": key, "tests": {}, "code": {}}
    code = {}
    for n in names:
        for g in gcda_files(w.build):
            os.unlink(g)
        t1 = time.time()
        rc, out = run(["ctest", "-R", "^%s$" % re.escape(n),
                       "--output-on-failure"], w.build, 1800, env=env)
        secs = time.time() - t1
        status = "pass" if rc == 0 and "***Timeout" not in out else "fail"
        lines = gcov_lines(w)
        reached = {}
        for f, d in lines.items():
            code.setdefault(f, set()).update(d)
            hit = sorted(ln for ln, c in d.items() if c > 0)
            if hit:
                reached[f] = hit
        cm["tests"][n] = {"status": status, "secs": round(secs, 1),
                          "lines": reached}
        print("mutate: coverage of %-28s %s %5.0f s, %d lines of %d files" % (
            n, status, secs, sum(len(v) for v in reached.values()),
            len(reached)), flush=True)
    cm["code"] = {f: sorted(v) for f, v in code.items()}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cm, f)
    print("mutate: coverage map of %d tests in %.0f s -> %s" % (
        len(names), time.time() - t0, path), flush=True)
    return cm


def mutant_lines(m, code):
    """The lines whose execution a test needs to see mutant m: the lines it
    spans that carry code; if gcov put none of them on record (a statement
    continued from the line above, a static initializer), the nearest
    recorded line before and after it as well."""
    first, last = m.line, m.line + m.old.count("\n")
    rec = code.get(m.file, [])
    own = [ln for ln in rec if first <= ln <= last]
    if own:
        return own
    before = [ln for ln in rec if ln < first]
    after = [ln for ln in rec if ln > last]
    return ([before[-1]] if before else []) + ([after[0]] if after else [])


def tests_reaching(m, cm, order):
    """The cases (in run order) that can notice m: those that reach one of
    its lines, and every case that failed in the coverage build (its
    record may be short, so it is never left out)."""
    want = set(mutant_lines(m, cm["code"]))
    out = []
    for n in order:
        t = cm["tests"].get(n)
        if t is None or t["status"] != "pass":
            out.append(n)
        elif want & set(t["lines"].get(m.file, ())):
            out.append(n)
    return out


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
    ap.add_argument("--ids", help="only these mutants: id,id,... or @FILE "
                    "(one id a line, first column)")
    ap.add_argument("--rerun-survivors", action="store_true",
                    help="run again the mutants the last run's mutants.tsv "
                    "says survived (after adding tests) and merge the "
                    "results into it")
    ap.add_argument("--full", action="store_true",
                    help="run every ctest case for every mutant (no test "
                    "selection by coverage)")
    ap.add_argument("--timeout-factor", type=float, default=5.0,
                    help="a test times out after max(20 s, factor x baseline)")
    ap.add_argument("--build-timeout", type=int, default=900)
    ap.add_argument("--list", action="store_true",
                    help="print the chosen mutants and stop")
    ap.add_argument("--rescore", action="store_true",
                    help="rewrite the report of the last run from its "
                    "mutants.tsv with the current equivalents file (after a "
                    "review), running nothing")
    ap.add_argument("--table", default="mutants.tsv",
                    help="the table --rescore reads, in build/mutation: "
                    "mutants.tsv of a finished run, progress.tsv of one "
                    "stopped before its end")
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
    out_dir = out_dir_of(args)
    previous = []
    if args.rerun_survivors:
        previous = read_table(os.path.join(out_dir, "mutants.tsv"))
        again = {r["id"] for r in previous
                 if r["status"] in ("survived", "uncovered")}
        muts = [m for m in muts if m.id in again]
    elif args.ids:
        ids = args.ids
        if ids.startswith("@"):
            with open(ids[1:], encoding="utf-8") as f:
                ids = ",".join(ln.split()[0] for ln in f
                               if ln.strip() and not ln.startswith("#"))
        want = set(ids.split(","))
        muts = [m for m in muts if m.id in want]
        missing = want - {m.id for m in muts}
        if missing:
            print("mutate: not generated (source changed?): %s" %
                  " ".join(sorted(missing)))
    elif args.sample and args.sample < len(muts):
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
    os.makedirs(out_dir, exist_ok=True)
    work = os.path.join(out_dir, "work")
    jobs = max(1, min(args.jobs, len(muts) or 1))
    workers = [Worker(work, k, args) for k in range(jobs)]
    t0 = time.time()
    key = tree_key(ROOT)
    print("mutate: %d mutants (of %d generated), %d workers, %s; preparing "
          "copies in %s" % (len(muts), total_generated, jobs,
                            "every test for each (--full)" if args.full else
                            "the tests that reach each mutant", work),
          flush=True)
    for w in workers:  # one after another: the first build takes the cores
        w.prepare(args.jobs)
    rc, out = run(["ctest", "-N"], workers[0].build, 60)
    names = re.findall(r"Test +#\d+: (\S+)", out)
    names = [n for n in names if n not in EXCLUDE_TESTS and
             (args.tests is None or re.search(args.tests, n))]
    base = baseline(workers[0], out_dir, key, names)
    order = sorted(base, key=lambda n: base[n])
    print("mutate: baseline %d tests, %.0f s one after another" %
          (len(order), sum(base.values())), flush=True)
    cm = None if args.full else coverage_map(out_dir, args, key, names)

    pending = [m for m in muts if m.id not in equivalents]
    for m in muts:
        if m.id in equivalents:
            m.status = "equivalent"
    progress = os.path.join(out_dir, "progress.tsv")
    with open(progress, "w", encoding="utf-8") as f:
        f.write("id\tfile\tline\top\tstatus\tkiller\tseconds\n")
    lock = threading.Lock()
    free = list(workers)
    done = [0]

    def one(m):
        t1 = time.time()
        tests = order if cm is None else tests_reaching(m, cm, order)
        if not tests:
            m.status = "uncovered"
            w = None
        else:
            with lock:
                w = free.pop()
        try:
            if w is not None:
                run_mutant(w, m, sources, tests, base, args)
        finally:
            m.secs = time.time() - t1
            with lock:
                if w is not None:
                    free.append(w)
                done[0] += 1
                print("[%d/%d] %-9s %s line %d %s%s (%d tests, %.0f s) %s" % (
                    done[0], len(pending), m.status, m.file, m.line, m.op,
                    " by " + m.killer if m.killer else "", len(tests), m.secs,
                    m.id), flush=True)
                # kept as it goes, so an interrupted run can be looked at
                with open(progress, "a", encoding="utf-8") as f:
                    f.write("%s\t%s\t%d\t%s\t%s\t%s\t%.1f\n" % (
                        m.id, m.file, m.line, m.op, m.status, m.killer, m.secs))

    with ThreadPoolExecutor(max_workers=jobs) as ex:
        list(ex.map(one, pending))
    if previous:  # --rerun-survivors: the other rows of the last run stay
        muts = merge_previous(previous, muts, src_root, args.files)
    report(muts, equivalents, out_dir, total_generated, args, time.time() - t0)
    return 0


def run_mutant(w, m, sources, tests, base, args):
    """Build mutant m in worker w's copy and run tests (fastest first) until
    one fails; the copy's file is put back whatever happens."""
    path = os.path.join(w.src, m.file)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(m.apply(sources[m.file]))
        rc, _ = w.build_now()
        if rc != 0:
            m.status = "dnc" if rc is not None else "timeout"
            return
        m.status = "survived"
        for n in tests:
            st, _ = w.ctest(n, max(20.0, args.timeout_factor * base[n]))
            if st != "pass":
                m.status = "killed" if st == "fail" else "timeout"
                m.killer = n
                return
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(sources[m.file])


def baseline(w, out_dir, key, names):
    """{test: seconds} of every case that passes on the unmutated copy,
    cached per snapshot in baseline.json; a failing case is left out."""
    path = os.path.join(out_dir, "baseline.json")
    cached = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        if d.get("key") == key:
            cached = d
    base = {}
    for n in names:
        if n in cached.get("pass", {}):
            base[n] = cached["pass"][n]
            continue
        if n in cached.get("fail", []):
            print("mutate: %s fails on the unmutated tree; left out" % n)
            continue
        t1 = time.time()
        st, _ = w.ctest(n, 900)
        if st == "pass":
            base[n] = time.time() - t1
        else:
            cached.setdefault("fail", []).append(n)
            print("mutate: %s fails on the unmutated tree; left out" % n)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"key": key, "pass": dict(cached.get("pass", {}), **base),
                   "fail": cached.get("fail", [])}, f)
    return base


def read_table(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        head = next(f).rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(head, line.rstrip("\n").split("\t"))))
    return rows


def merge_previous(previous, rerun, src_root, files_re):
    """The last run's rows, with the re-run mutants' new results."""
    by_id = {m.id: m for m in all_mutants(src_root, files_re)}
    new = {m.id: m for m in rerun}
    out = []
    for r in previous:
        m = new.get(r["id"]) or by_id.get(r["id"])
        if m is None:
            print("mutate: %s no longer generated; left out" % r["id"])
            continue
        if m.id not in new:
            m.status, m.killer, m.secs = r["status"], r["killer"], float(r["seconds"])
        out.append(m)
    with_diff = {}
    for m in out:
        if not m.diff:
            if m.file not in with_diff:
                with open(os.path.join(src_root, m.file), encoding="utf-8") as f:
                    with_diff[m.file] = f.read()
            m.diff = diff_of(m, with_diff[m.file])
    return out


def out_dir_of(args):
    b = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
    return os.path.join(b, "mutation")


def rescore(args, muts, equivalents, total_generated):
    """Statuses from the last run's mutants.tsv; equivalents re-applied."""
    out_dir = out_dir_of(args)
    by_id = {m.id: m for m in muts}
    picked = []
    with open(os.path.join(out_dir, args.table), encoding="utf-8") as f:
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
                if status not in ("survived", "uncovered", "equivalent"):
                    # a flaky test, or a wrong entry
                    print("mutate: %s is listed equivalent but was %s%s: "
                          "counted equivalent; check the entry" % (
                              mid, status, " by " + killer if killer else ""))
                m.status = "equivalent"
            picked.append(m)
    report(picked, equivalents, out_dir, total_generated, args,
           sum(m.secs for m in picked))
    return 0


def report(muts, equivalents, out_dir, total_generated, args, secs):
    kinds = ("killed", "timeout", "survived", "uncovered", "dnc", "equivalent")
    per = {}
    for m in muts:
        per.setdefault(m.file, {k: 0 for k in kinds})[m.status] += 1
    rows = []

    def score(c):
        live = c["killed"] + c["timeout"] + c["survived"] + c["uncovered"]
        return (100.0 * (c["killed"] + c["timeout"]) / live) if live else float("nan")

    tot = {k: 0 for k in kinds}
    for f in sorted(per):
        c = per[f]
        for k in kinds:
            tot[k] += c[k]
        rows.append((f, sum(c.values()), c, score(c)))
    with open(os.path.join(out_dir, "score.tsv"), "w") as f:
        f.write("file\tmutants\tkilled\ttimeout\tsurvived\tuncovered\tdnc"
                "\tequivalent\tscore%\n")
        for name, n, c, s in rows + [("total", sum(tot.values()), tot, score(tot))]:
            f.write("%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\n" % (
                name, n, c["killed"], c["timeout"], c["survived"] + c["uncovered"],
                c["uncovered"], c["dnc"], c["equivalent"], s))
    lines = []
    lines.append("jnet mutation run: %d mutants%s of %d generated, %.0f s" % (
        len(muts), " (sample --seed %d)" % args.seed if args.sample else "",
        total_generated, secs))
    lines.append("score = (killed + timed out) / (mutants - equivalents - "
                 "did not compile)")
    lines.append("survived counts the uncovered ones (uncov: no test reaches "
                 "the line, nothing was run)")
    lines.append("")
    lines.append("%-28s %5s %6s %7s %8s %5s %4s %5s %7s" % (
        "file", "all", "killed", "timeout", "survived", "uncov", "dnc",
        "equiv", "score"))
    for name, n, c, s in rows + [("total", sum(tot.values()), tot, score(tot))]:
        lines.append("%-28s %5d %6d %7d %8d %5d %4d %5d %6.1f%%" % (
            name, n, c["killed"], c["timeout"], c["survived"] + c["uncovered"],
            c["uncovered"], c["dnc"], c["equivalent"], s))
    surv = [m for m in muts if m.status in ("survived", "uncovered")]
    lines.append("")
    lines.append("survivors (%d): add a test that kills each, or list it in "
                 "tests/mutation/equivalents.txt with the reason" % len(surv))
    for m in surv:
        lines.append("")
        lines.append("-- %s (line %d, %s%s)" % (
            m.id, m.line, m.op,
            ", not covered" if m.status == "uncovered" else ""))
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
