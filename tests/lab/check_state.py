#!/usr/bin/env python3
"""check_state.py - assertions on libclat's discovery state, for run-discovery.sh.

  check_state.py json FILE EXPR...     FILE holds `clatrun --status --json` output;
                                       EXPR sees it as j
  check_state.py cache FILE EXPR...    FILE is a prefix cache file (lines "key value");
                                       EXPR sees c: key -> value, except c["prefix"],
                                       the list of prefix lines in order
  check_state.py set FILE KEY=VALUE... rewrite those lines of a cache file in place
                                       (same inode, owner and mode); VALUE "now-N"
                                       or "now+N" is the Unix time N seconds off

Each EXPR is a Python expression; exit 0 when all are true, else 1 with the
object and every false EXPR on stdout. Also in scope: pfx(x), a prefix string
or list of them in canonical form (for comparisons); now, the Unix time; E, the
environment.
"""
import ipaddress
import json
import os
import sys
import time


def pfx(x):
    if isinstance(x, str):
        return str(ipaddress.IPv6Network(x, strict=False))
    return [pfx(p) for p in x]


def read_cache(path):
    c = {"prefix": []}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            if key == "prefix":
                c["prefix"].append(value)
            elif key:
                c[key] = value
    return c


def check(obj, name, exprs, shown):
    scope = {"pfx": pfx, "now": time.time(), "E": os.environ, name: obj}
    failed = []
    for e in exprs:
        try:
            if not eval(e, scope):
                failed.append(f"false: {e}")
        except Exception as ex:  # a missing key, a null where a number belongs
            failed.append(f"error: {e}: {type(ex).__name__}: {ex}")
    if failed:
        print(shown)
        print("\n".join(failed))
        return 1
    return 0


def set_lines(path, assignments):
    now = int(time.time())
    values = {}
    for a in assignments:
        key, _, value = a.partition("=")
        if value.startswith("now-"):
            value = str(now - int(value[4:]))
        elif value.startswith("now+"):
            value = str(now + int(value[4:]))
        values[key] = value
    with open(path, "r+") as f:
        lines = f.read().splitlines()
        out = []
        for line in lines:
            key = line.partition(" ")[0]
            out.append(f"{key} {values[key]}" if key in values else line)
        f.seek(0)
        f.truncate()
        f.write("\n".join(out) + "\n")
    return 0


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("json", "cache", "set"):
        sys.exit(__doc__)
    mode, path, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "set":
        return set_lines(path, rest)
    try:
        with open(path) as f:
            text = f.read()
    except OSError as ex:
        print(f"cannot read {path}: {ex}")
        return 1
    if mode == "cache":
        return check(read_cache(path), "c", rest, f"cache file {path}:\n{text}")
    try:
        j = json.loads(text)
    except ValueError as ex:
        print(f"not JSON ({ex}):\n{text}")
        return 1
    if not isinstance(j, dict):
        print(f"not a JSON object:\n{text}")
        return 1
    return check(j, "j", rest, json.dumps(j, indent=1))


if __name__ == "__main__":
    sys.exit(main())
