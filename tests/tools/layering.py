#!/usr/bin/env python3
"""The layering of lib/ (ARCHITECTURE.md, "Pieces"): calls and includes go
downwards only, hooks -> translate -> state -> discover -> sys, core uses
nothing but core, and no two files depend on each other in a circle.

Edges are the files' #include lines plus the calls between the built
objects (nm: a symbol one object uses and another defines).

Also: libclat.so imports only what ARCHITECTURE.md ("Idle cost") lists,
since the loader binds every import in every process at start (-z now);
anything else goes through sys/lazy_libc.h.

Usage: layering.py SRC_LIB_DIR BUILD_LIB_DIR"""
import collections
import os
import re
import subprocess
import sys

# ARCHITECTURE.md, "Idle cost": crt symbols, errno, dlsym, __sigsetjmp and
# what the secure-mode constructor calls (environ has its alias too).
EAGER_IMPORTS = {"_ITM_deregisterTMCloneTable", "_ITM_registerTMCloneTable",
                 "__cxa_finalize", "__gmon_start__", "__errno_location", "dlsym",
                 "__sigsetjmp", "getauxval", "environ", "__environ", "strncmp"}

RANK = {"hooks": 5, "translate": 4, "state": 3, "discover": 2, "sys": 1, "core": 0}


def rank(module):
    top = module.split("/")[0]
    return RANK.get(top, RANK["sys"])  # export.h sits beside the folders


def modules(src):
    found = set()
    for d, _, files in os.walk(src):
        for f in files:
            if f.endswith((".c", ".h")):
                found.add(os.path.relpath(os.path.join(d, f), src).rsplit(".", 1)[0])
    return found


def include_edges(src, mods):
    edges = set()
    for m in mods:
        for ext in (".c", ".h"):
            path = os.path.join(src, m + ext)
            if not os.path.exists(path):
                continue
            for inc in re.findall(r'#include "([^"]+)"', open(path).read()):
                target = inc if "/" in inc else os.path.join(os.path.dirname(m), inc)
                target = target.rsplit(".", 1)[0]
                if target in mods and target != m:
                    edges.add((m, target, "includes"))
    return edges


def object_module(build, obj):
    rel = os.path.relpath(obj, build).replace("/.libs/", "/").replace(".libs/", "")
    base = re.sub(r"^libclat(_core|_discover)?_la-", "", os.path.basename(rel)[:-2])
    return os.path.join(os.path.dirname(rel), base)


def symbols(obj, defined):
    args = ["nm", "--defined-only", obj] if defined else ["nm", "-u", obj]
    for line in subprocess.check_output(args, text=True).splitlines():
        parts = line.split()
        if defined and len(parts) == 3 and parts[1] in "TDBR":
            yield parts[2]
        elif not defined and parts:
            yield parts[-1]


def call_edges(build, mods):
    # Objects of files that exist now: a build tree may keep objects of
    # files since renamed or removed.
    objs = [os.path.join(d, f) for d, _, fs in os.walk(build) for f in fs
            if f.endswith(".o") and d.endswith("/.libs")]
    objs = [o for o in objs if object_module(build, o) in mods]
    owner = {}
    for o in objs:
        for s in symbols(o, True):
            owner[s] = object_module(build, o)
    edges = set()
    for o in objs:
        m = object_module(build, o)
        for s in symbols(o, False):
            if s in owner and owner[s] != m:
                edges.add((m, owner[s], "calls"))
    return edges, len(objs)


def circles(edges, mods):
    graph = collections.defaultdict(set)
    for a, b, _ in edges:
        graph[a].add(b)
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(mods):
        if v not in index:
            visit(v)
    return found


def main():
    src, build = sys.argv[1], sys.argv[2]
    mods = modules(src)
    calls, nobjs = call_edges(build, mods)
    edges = include_edges(src, mods) | calls
    results = []

    def check(ok, desc, detail=""):
        results.append(ok)
        print(("ok" if ok else "not ok") + f" {len(results)} - {desc}")
        if not ok and detail:
            print("# " + detail.replace("\n", "\n# "))

    check(len(mods) > 30 and nobjs > 30 and len(calls) > 50,
          f"the graph was read ({len(mods)} files, {nobjs} objects, {len(calls)} call edges)")
    upward = sorted((a, b, how) for a, b, how in edges if rank(b) > rank(a))
    check(not upward, "nothing calls or includes a layer above its own",
          "\n".join(f"{a} {how} {b}" for a, b, how in upward))
    core_out = sorted((a, b, how) for a, b, how in edges
                      if a.startswith("core/") and not b.startswith("core/"))
    check(not core_out, "core/ depends on nothing outside core/",
          "\n".join(f"{a} {how} {b}" for a, b, how in core_out))
    found = circles(edges, mods)
    check(not found, "no circle of files depending on each other",
          "\n".join(" -> ".join(c) for c in found))
    hooks_in = sorted((a, b, how) for a, b, how in edges
                      if b.startswith("hooks/") and not a.startswith("hooks/"))
    check(not hooks_in, "nothing below the hooks calls an exported hook",
          "\n".join(f"{a} {how} {b}" for a, b, how in hooks_in))
    # Sanitizer builds import their runtime's interceptors as well.
    if not os.environ.get("CLAT_SANITIZERS"):
        lib = os.path.join(build, ".libs", "libclat.so")
        out = subprocess.run(["nm", "-D", "--undefined-only", lib], capture_output=True,
                             text=True, check=False).stdout
        imports = {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}
        extra = sorted(imports - EAGER_IMPORTS)
        check(len(imports) > 5 and not extra,
              f"libclat.so binds only the listed imports at start ({len(imports)})",
              "not in ARCHITECTURE.md's list (bind them through sys/lazy_libc.h): " +
              " ".join(extra))
    failed = results.count(False)
    print(f"layering: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
