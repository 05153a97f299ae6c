#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check that the module reads no request attribute its op's policy lacks.

genetlink allocates an op's attribute array with maxattr + 1 entries, taken
from the generated policy (kernel/fastpath-nl.c), so a handler that reads
tb[X] for an X the YAML does not list in that op's request reads past the
array.  For every generated op, follow its handler through the functions of
kernel/netlink.c it calls and collect the attributes of the op's set that
are read: tb[X] / attrs[X], GENL_REQ_ATTR_CHECK(info, X), or X passed to a
function that indexes tb with that parameter.  Every one must be in the
op's policy.

Usage: nl-reads-check.py NETLINK_C GENERATED_C
"""
import re
import sys


def functions(src):
    """name -> (parameter names, body) of every top-level C function."""
    out = {}
    for m in re.finditer(r"^(?:static )?[\w \*]+?\b(\w+)\(([^;{]*?)\)\n\{\n(.*?)^\}\n",
                         src, re.S | re.M):
        params = [re.findall(r"(\w+)\s*(?:\[[^\]]*\])?\s*$", p.strip())[0]
                  for p in m.group(2).split(",") if p.strip() not in ("", "void")]
        out[m.group(1)] = (params, m.group(3))
    return out


def calls(body):
    """(callee, [argument texts]) for each call in body (one nesting level)."""
    for m in re.finditer(r"\b(\w+)\(((?:[^()]|\([^()]*\))*)\)", body):
        yield m.group(1), [a.strip() for a in m.group(2).split(",")]


def indexing_params(fns):
    """Function name -> positions of parameters it uses as tb[param]."""
    out = {}
    for name, (params, body) in fns.items():
        pos = [i for i, p in enumerate(params)
               if re.search(r"(?:tb|attrs)\[%s\]" % re.escape(p), body)]
        if pos:
            out[name] = pos
    return out


def reads(fn, fns, idx, seen):
    if fn in seen or fn not in fns:
        return set()
    seen.add(fn)
    body = fns[fn][1]
    found = set(re.findall(r"(?:tb|attrs)\[(FASTPATH_A_\w+)\]", body))
    found |= set(re.findall(r"GENL_REQ_ATTR_CHECK\(\w+,\s*(FASTPATH_A_\w+)\)", body))
    for callee, args in calls(body):
        for i in idx.get(callee, []):
            if i < len(args) and args[i].startswith("FASTPATH_A_"):
                found.add(args[i])
        found |= reads(callee, fns, idx, seen)
    return found


def main():
    nl, gen = (open(p).read() for p in sys.argv[1:3])
    policies = {}
    for m in re.finditer(r"nla_policy (\w+)\[\w+ \+ 1\] = \{(.*?)\};", gen, re.S):
        policies[m.group(1)] = set(re.findall(r"\[(FASTPATH_A_\w+)\]", m.group(2)))
    fns = functions(nl)
    idx = indexing_params(fns)
    bad = 0
    ops = []
    for cmd, block in re.findall(r"\{\s*\.cmd\s*= (FASTPATH_CMD_\w+),(.*?)\}", gen, re.S):
        handler = re.search(r"\.(?:doit|dumpit)\s*= (\w+),", block)
        policy = re.search(r"\.policy\s*= (\w+),", block)
        if handler and policy:
            ops.append((cmd, handler.group(1), policy.group(1)))
    if not ops:
        sys.exit("no ops with a policy found in " + sys.argv[2])
    for cmd, handler, policy in ops:
        if handler not in fns:
            sys.exit(f"{handler} ({cmd}) not found in {sys.argv[1]}")
        pol = policies[policy]
        prefixes = {re.match(r"FASTPATH_A_[A-Z]+_", a).group(0) for a in pol}
        for attr in sorted(reads(handler, fns, idx, set())):
            if any(attr.startswith(p) for p in prefixes) and attr not in pol:
                print(f"{cmd}: {handler} reads {attr}, not in {policy}")
                bad += 1
    print(f"{len(ops)} ops checked")
    sys.exit(1 if bad else 0)


main()
