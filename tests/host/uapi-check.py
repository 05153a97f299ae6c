#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check uapi/linux/fastpath.h against uapi/fastpath.yaml.

The names and values the kernel's YNL generator would emit are derived from
the YAML (FASTPATH_<ENUM>_<ENTRY>, FASTPATH_A_<SET>_<ATTR>, FASTPATH_CMD_<OP>,
__..._MAX and ..._MAX, the family and group names) and compared with the
header: every FASTPATH_ name the header defines must be expected and every
expected one defined, and the values, read by compiling and running a C
program generated from the YAML, must match.

Every cross-reference in the YAML is resolved (nested sets, enums, the
attributes an operation names, multicast groups).  With --ynl DIR
(scripts/ynl-extract's output), the YAML is also validated against the
kernel's schema for its protocol (genetlink-legacy.yaml, ...) and loaded by
YNL's own spec parser.

Usage: uapi-check.py [--ynl DIR] SPEC HEADER
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import yaml


def c_name(*parts):
    return "_".join(p.upper().replace("-", "_") for p in parts)


def enum_values(entries, start):
    """Entries of a YAML enum or list: (name, value), counting on from start."""
    value = start
    for e in entries:
        if isinstance(e, dict):
            value = e.get("value", value)
            name = e["name"]
        else:
            name = e
        yield name, value
        value += 1


def expected(spec):
    """{C name: int or str} as the kernel's generator names them."""
    fam = spec["name"]
    want = {
        c_name(fam, "family-name"): fam,
        c_name(fam, "family-version"): spec.get("version", 1),
    }
    for d in spec.get("definitions", []):
        if d["type"] == "const":
            want[c_name(fam, d["name"])] = d["value"]
        elif d["type"] == "enum":
            for name, value in enum_values(d["entries"], 0):
                want[c_name(fam, d["name"], name)] = value
        elif d["type"] == "flags":
            for name, bit in enum_values(d["entries"], d.get("value-start", 0)):
                want[c_name(fam, d["name"], name)] = 1 << bit
    for s in spec["attribute-sets"]:
        last = 0
        for name, value in enum_values(s["attributes"], 1):
            want[c_name(fam, "a", s["name"], name)] = last = value
        want["__" + c_name(fam, "a", s["name"], "max")] = last + 1
        want[c_name(fam, "a", s["name"], "max")] = last
    last = 0
    for name, value in enum_values(spec["operations"]["list"], 1):
        want[c_name(fam, "cmd", name["name"] if isinstance(name, dict) else name)] = value
        last = value
    want["__" + c_name(fam, "cmd", "max")] = last + 1
    want[c_name(fam, "cmd", "max")] = last
    for g in spec.get("mcast-groups", {}).get("list", []):
        want[c_name(fam, "mcgrp", g["name"])] = g["name"]
    return want


def header_names(path, prefix):
    """Every enumerator and macro the header defines under the prefix."""
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    names = set(re.findall(r"^\s*#\s*define\s+(_*%s\w*)" % prefix, text, re.M))
    names |= set(re.findall(r"^\s*(_*%s\w*)\s*[=,]" % prefix, text, re.M))
    names.discard("_UAPI_LINUX_%sH" % prefix)
    return names


def header_values(header, want):
    """Compile a program printing each expected name; {name: value}."""
    lines = ["#include <stdio.h>", '#include "%s"' % os.path.abspath(header),
             "int main(void)", "{"]
    for name, value in want.items():
        if isinstance(value, str):
            lines.append('\tprintf("%s %%s\\n", %s);' % (name, name))
        else:
            lines.append('\tprintf("%s %%lld\\n", (long long)%s);' % (name, name))
    lines += ["\treturn 0;", "}"]
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "values.c"), os.path.join(tmp, "values")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        cc = subprocess.run(["cc", "-Wall", "-Werror", "-o", exe, src],
                            capture_output=True, text=True)
        if cc.returncode:
            return None, cc.stderr
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    got = {}
    for line in out.splitlines():
        name, value = line.split(" ", 1)
        got[name] = value if isinstance(want[name], str) else int(value)
    return got, None


def check_header(spec, header):
    errors = []
    want = expected(spec)
    prefix = c_name(spec["name"]) + "_"
    have = header_names(header, prefix)
    for name in sorted(set(want) - have):
        errors.append("%s: missing %s (expected %r)" % (header, name, want[name]))
    for name in sorted(have - set(want)):
        errors.append("%s: %s is not in the YAML" % (header, name))
    present = {n: v for n, v in want.items() if n in have}
    got, err = header_values(header, present)
    if got is None:
        return errors + ["%s: does not compile:\n%s" % (header, err)]
    for name, value in present.items():
        if got[name] != value:
            errors.append("%s: %s is %r, the YAML says %r" % (header, name, got[name], value))
    return errors


def check_refs(spec, spec_path):
    """Names the schema cannot check: nests, enums, op attributes, groups."""
    errors = []
    sets = {s["name"]: {a["name"] for a in s["attributes"]} for s in spec["attribute-sets"]}
    enums = {d["name"] for d in spec.get("definitions", []) if d["type"] in ("enum", "flags")}
    ops = {o["name"]: o for o in spec["operations"]["list"]}
    groups = {g["name"] for g in spec.get("mcast-groups", {}).get("list", [])}

    def bad(what):
        errors.append("%s: %s" % (spec_path, what))

    for s in spec["attribute-sets"]:
        for a in s["attributes"]:
            where = "attribute %s/%s" % (s["name"], a["name"])
            if "nested-attributes" in a and a["nested-attributes"] not in sets:
                bad("%s nests unknown set %s" % (where, a["nested-attributes"]))
            if "enum" in a and a["enum"] not in enums:
                bad("%s uses unknown enum %s" % (where, a["enum"]))
    for o in ops.values():
        aset = o.get("attribute-set")
        if "notify" in o:
            if o["notify"] not in ops:
                bad("op %s notifies as unknown op %s" % (o["name"], o["notify"]))
            aset = ops.get(o["notify"], {}).get("attribute-set")
        if aset not in sets:
            bad("op %s uses unknown attribute set %s" % (o["name"], aset))
            continue
        if "mcgrp" in o and o["mcgrp"] not in groups:
            bad("op %s sends to unknown group %s" % (o["name"], o["mcgrp"]))
        for mode in ("do", "dump", "event"):
            parts = [o.get(mode, {})] if mode == "event" else \
                [o.get(mode, {}).get("request", {}), o.get(mode, {}).get("reply", {})]
            for part in parts:
                for a in part.get("attributes", []):
                    if a not in sets[aset]:
                        bad("op %s %s names %s, not in set %s" % (o["name"], mode, a, aset))
    return errors


def check_schema(spec_path, ynl):
    """The kernel's schema for the spec's protocol and YNL's parser accept it."""
    import jsonschema

    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    schema_path = os.path.join(ynl, "Documentation/netlink",
                               spec.get("protocol", "genetlink") + ".yaml")
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    errors = ["%s: %s: %s" % (spec_path, "/".join(map(str, e.absolute_path)), e.message)
              for e in jsonschema.Draft7Validator(schema).iter_errors(spec)]
    if errors:
        return errors
    sys.path.insert(0, os.path.join(ynl, "tools/net/ynl"))
    from lib import SpecFamily
    try:
        SpecFamily(spec_path, schema_path="")
    except Exception as e:  # the parser raises plain exceptions
        return ["%s: YNL cannot load it: %r" % (spec_path, e)]
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ynl", help="directory made by scripts/ynl-extract")
    ap.add_argument("spec")
    ap.add_argument("header")
    args = ap.parse_args()
    with open(args.spec) as f:
        spec = yaml.safe_load(f)
    errors = check_header(spec, args.header) + check_refs(spec, args.spec)
    if args.ynl:
        errors += check_schema(args.spec, args.ynl)
    for e in errors:
        print(e, file=sys.stderr)
    if not errors:
        print("%s and %s agree (%d names)" % (args.spec, args.header, len(expected(spec))))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
