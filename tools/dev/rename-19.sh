#!/bin/sh
# rename-19.sh — give jnet's internal names the prefix of their layer
# (issue 19, item 5). Run at the top of a jnet checkout:
#
#     sh /work/wt/rename-19.sh [--dry-run] [--no-format]
#
# The rule (CONTRIBUTING.md, "Names"): one jnet prefix everywhere, so a
# static libjnet.a never clashes with a user's names, and a layer word after
# it that says where a name lives:
#
#   api/, common/      jnet__    JNET__       (the API and the shared vocabulary)
#   sim/               jnet__sim_   JNET__SIM_   (the network model)
#   backends/uv/       jnet__uv_    JNET__UV_
#   backends/sim/      jnet__simbk_ JNET__SIMBK_ (the adapter onto the model)
#   backends/faults/   jnet__fbk_   JNET__FBK_
#   history/           jnet__hist_  JNET__HIST_
#   tools/             jnet__run_   JNET__RUN_   (the scenario runner)
#
# Nothing is hard-coded but these rules: the names come from the tree as it
# is (ctags lists what each layer declares), so the script can be run again
# on a tree that has gained code since. It is idempotent (a name that has
# its layer's prefix is left alone) and deterministic (sorted everywhere).
#
#  1. A jnet__/JNET__ name declared in a layer's folder and not in api/ or
#     common/ gets the layer's prefix, in every tracked text file of the tree
#     (sources, tests, bench, docs). A name declared by two layers (two
#     different things) is renamed only inside its layer's folder.
#  2. A few stems lose a legacy letter the prefix now says: faults_X, fs_X
#     (a faulted socket: sock_X), fX for the fault backend's own types;
#     history_X, hevent, hproc for the history.
#  3. Bare family tokens in comments (`jnet__tcp_*`, `JNET__P_##x`) follow
#     their family when every declared member of it is renamed alike.
#  4. Two names one underscore apart get names that say what they are: the
#     API's record of a backend node, jnet__node, is jnet__nodestate; the
#     model's host, the public opaque struct jnet_node, is called
#     jnet__sim_host inside sim/ (a typedef in sim/model.h).
#
# Any new name that would collide with one already declared stops the run
# before a file is written. Needs ctags (universal-ctags), python3, git;
# git clang-format (optional) re-wraps the lines the rename made long.
set -eu

DRY=0
FORMAT=1
for a in "$@"; do
  case "$a" in
  --dry-run) DRY=1 ;;
  --no-format) FORMAT=0 ;;
  *) echo "usage: $0 [--dry-run] [--no-format]" >&2; exit 2 ;;
  esac
done

[ -f include/jnet/jnet.h ] && [ -d sim ] && [ -d api ] || {
  echo "rename-19: run at the top of a jnet checkout" >&2
  exit 2
}
command -v ctags >/dev/null || { echo "rename-19: needs ctags" >&2; exit 2; }
ctags --version 2>/dev/null | grep -q Universal ||
  { echo "rename-19: needs universal-ctags" >&2; exit 2; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# What each layer declares: macros, enumerators, functions, prototypes,
# structs, typedefs, variables, extern variables.
for layer in common api sim backends/uv backends/sim backends/faults history tools; do
  out="$TMP/$(echo "$layer" | tr / _).tags"
  if [ -d "$layer" ]; then
    ctags -R --langmap=C:.c.h --languages=C --kinds-C=+px -f - "$layer" |
      cut -f1 | grep -E '^(jnet__|JNET__)[A-Za-z0-9_]+$' | LC_ALL=C sort -u >"$out" || true
  else
    : >"$out"
  fi
done

git ls-files -z >"$TMP/files"

DRY=$DRY TMP=$TMP python3 - <<'PY'
import os, re, sys

TMP = os.environ["TMP"]
DRY = os.environ["DRY"] == "1"

def tags(layer):
    with open(os.path.join(TMP, layer.replace("/", "_") + ".tags")) as f:
        return sorted(set(l.strip() for l in f if l.strip()))

KEEP = set(tags("common")) | set(tags("api"))  # jnet__ stays jnet__
COMMON = set(tags("common"))
# (folder, word): the layers whose names get a word after jnet__
LAYERS = [("sim", "sim"), ("backends/uv", "uv"), ("backends/sim", "simbk"),
          ("backends/faults", "fbk"), ("history", "hist"), ("tools", "run")]
DECL = {d: set(tags(d)) for d, _ in LAYERS}
ALL_DECL = set(KEEP)
for d in DECL.values():
    ALL_DECL |= d

# Rule 2: stems that lose a legacy letter (first match wins).
STEM_RULES = {
    "fbk": [(r"^faults_rule$", "rule_for"), (r"^faults_", ""),
            (r"^fs_", "sock_"),
            (r"^f(addr|chunk|rng|rule|slot|timer)(?=_|$)", r"\1"),
            (r"^FCH_", "CHUNK_"), (r"^FS_", "SOCK_")],
    "hist": [(r"^history_", ""), (r"^h(event|proc)$", r"\1")],
}

def new_name(name, word):
    upper = name.startswith("JNET__")
    stem = name[6:]
    w = word.upper() if upper else word
    if stem == w or stem.startswith(w + "_"):
        return name  # has its prefix already
    for pat, rep in STEM_RULES.get(word, []):
        s2 = re.sub(pat, rep, stem)
        if s2 != stem:
            stem = s2
            break
    return ("JNET__" if upper else "jnet__") + w + "_" + stem

# scope: None = the whole tree, else a folder
renames = {}  # (scope, old) -> new
owners = {}
for d, _ in LAYERS:
    for n in DECL[d]:
        owners.setdefault(n, []).append(d)
notes = []
for d, word in LAYERS:
    for n in sorted(DECL[d]):
        if n in COMMON:
            continue
        nn = new_name(n, word)
        if nn == n:
            continue
        shared = n in KEEP or len(owners[n]) > 1
        scope = d if shared else None
        if shared:
            notes.append("%s: declared in %s too; renamed in %s/ only" %
                         (n, ", ".join(sorted(set(owners[n] +
                          (["api"] if n in KEEP else [])) - {d})), d))
        renames[(scope, n)] = nn

# Rule 4: the API's node record (declared in api/).
API = set(tags("api"))
for old, new in (("jnet__node", "jnet__nodestate"),
                 ("jnet__node_get", "jnet__nodestate_get")):
    if old in API:
        renames[(None, old)] = new

# Rule 3: bare family tokens ("jnet__tcp_" before a non-name character).
families = {}
for (scope, old), new in renames.items():
    if scope is not None:
        continue
    stem = old[6:]
    for i, c in enumerate(stem):
        if c == "_" and i > 0:
            fam = old[:6 + i + 1]
            nfam_old = fam
            # the family's new spelling, from this member
            if new.endswith(stem[i + 1:]) and len(stem[i + 1:]) > 0:
                nfam = new[:len(new) - len(stem[i + 1:])]
            else:
                continue
            families.setdefault(nfam_old, set()).add(nfam)
fam_renames = {}
for fam, news in sorted(families.items()):
    members = [n for n in ALL_DECL if n.startswith(fam)]
    if len(news) != 1:
        continue
    nfam = next(iter(news))
    if nfam == fam:
        continue
    # every declared member renamed tree-wide with that same family spelling
    if all((None, m) in renames and renames[(None, m)].startswith(nfam)
           for m in members):
        fam_renames[fam] = nfam

# Collisions: a new name must be new, and one per old name per scope.
errors = []
final = {}
for (scope, old), new in sorted(renames.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
    if new in ALL_DECL and new != old:
        errors.append("%s -> %s: already declared" % (old, new))
    key = (scope, new)
    if key in final and final[key] != old:
        errors.append("%s and %s -> %s" % (final[key], old, new))
    final[key] = old
if errors:
    print("rename-19: collisions, nothing written:", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)

def alternation(names):
    names = sorted(names, key=lambda s: (-len(s), s))
    return "|".join(re.escape(n) for n in names)

def compile_map(m, family=False):
    if not m:
        return None
    tail = r"(?![A-Za-z0-9_])"
    return re.compile(r"(?<![A-Za-z0-9_])(" + alternation(m) + ")" + tail)

tree_map = {old: new for (scope, old), new in renames.items() if scope is None}
scoped = {}
for (scope, old), new in renames.items():
    if scope is not None:
        scoped.setdefault(scope, {})[old] = new
RX_TREE = compile_map(tree_map)
RX_FAM = compile_map(fam_renames)
RX_SCOPED = {s: compile_map(m) for s, m in scoped.items()}
# Rule 4, the model's host: jnet_node in sim/ but `struct jnet_node`.
RX_HOST = re.compile(r"(?<!struct )(?<![A-Za-z0-9_])jnet_node(?![A-Za-z0-9_])")
HOST_TYPEDEF = ("/* The model's host is the public opaque struct jnet_node (jnet_sim.h);\n"
                " * inside sim/ it goes by the name of what it is. */\n"
                "typedef struct jnet_node jnet__sim_host;\n")

SELF = re.compile(r"^tools/dev/rename-\d+\.sh$")
with open(os.path.join(TMP, "files"), "rb") as f:
    files = sorted(p.decode() for p in f.read().split(b"\0") if p)

changed = []
for path in files:
    if SELF.match(path) or not os.path.isfile(path) or os.path.islink(path):
        continue
    if os.path.getsize(path) > 4 << 20:
        continue
    with open(path, "rb") as f:
        raw = f.read()
    if b"\0" in raw:
        continue
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        continue
    t = text
    if RX_TREE is not None:
        t = RX_TREE.sub(lambda m: tree_map[m.group(1)], t)
    if RX_FAM is not None:
        t = RX_FAM.sub(lambda m: fam_renames[m.group(1)], t)
    for scope, rx in sorted(RX_SCOPED.items()):
        if path.startswith(scope + "/") and rx is not None:
            t = rx.sub(lambda m, s=scope: scoped[s][m.group(1)], t)
    if path.startswith("sim/") and path.endswith((".c", ".h")):
        t = RX_HOST.sub("jnet__sim_host", t)
        if path == "sim/model.h" and "typedef struct jnet_node jnet__sim_host;" not in t:
            anchor = "#include <jnet/jnet_sim.h>\n"
            if anchor not in t:
                print("rename-19: sim/model.h lacks %r" % anchor, file=sys.stderr)
                sys.exit(1)
            t = t.replace(anchor, anchor + "\n" + HOST_TYPEDEF, 1)
    if t != text:
        changed.append(path)
        if not DRY:
            with open(path, "w", encoding="utf-8") as f:
                f.write(t)

with open(os.path.join(TMP, "changed"), "w") as f:
    f.write("".join(p + "\n" for p in changed))
n_tree = len(tree_map)
print("rename-19: %d names renamed tree-wide, %d in their layer only, "
      "%d family tokens; %d files %s" %
      (n_tree, sum(len(m) for m in scoped.values()), len(fam_renames),
       len(changed), "would change" if DRY else "changed"))
for old in sorted(tree_map):
    print("  %s -> %s" % (old, tree_map[old]))
for s in sorted(scoped):
    for old in sorted(scoped[s]):
        print("  %s -> %s (in %s/)" % (old, scoped[s][old], s))
for fam in sorted(fam_renames):
    print("  %s* -> %s*" % (fam, fam_renames[fam]))
for n in notes:
    print("  note: " + n)
PY

# Re-wrap only the lines the rename touched (names grew), if we can.
if [ "$DRY" = 0 ] && [ "$FORMAT" = 1 ] && [ -s "$TMP/changed" ] &&
  git clang-format -h >/dev/null 2>&1; then
  grep -E '\.(c|h)$' "$TMP/changed" >"$TMP/cfiles" || true
  if [ -s "$TMP/cfiles" ]; then
    # git clang-format formats the lines that differ from HEAD in the index
    xargs git add -- <"$TMP/cfiles"
    xargs git clang-format -q -- <"$TMP/cfiles" >/dev/null || true
    xargs git add -- <"$TMP/cfiles"
  fi
fi
