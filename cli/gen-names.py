#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write cli/names.c, fpctl's name tables, from uapi/fastpath.yaml.

fpctl prints and parses the contract's names: every enum's entries (rule
actions, removal reasons), every flags set's bits (families), the
attributes of the "exceptions" set (one counter per reason) and of the
"config" set (the settings of "config set", with the limits of their
checks).  They are generated so that the spec
stays their only source; the output is committed, so building fpctl needs
no Python, and tests/host/cli.bats fails when it is stale.

Usage: gen-names.py SPEC > cli/names.c   (make -C cli names)
"""
import sys

import yaml

# Attribute sets whose names fpctl uses, and whether it needs their limits.
NAMED_SETS = {"exceptions": False, "config": True}

TYPE_MAX = {"u8": 0xff, "u16": 0xffff, "u32": 0xffffffff}


def c_name(*parts):
    return "_".join(p.upper().replace("-", "_") for p in parts)


def c_ident(name):
    return name.replace("-", "_")


def c_limit(fam, value):
    """A check's limit: a number, or the name of one of the spec's consts."""
    return "%dU" % value if isinstance(value, int) else c_name(fam, value)


def entries(items, start):
    """(name, value) of enum entries, counting on from start."""
    value = start
    for e in items:
        name = e["name"] if isinstance(e, dict) else e
        if isinstance(e, dict):
            value = e.get("value", value)
        yield name, value
        value += 1


def enum_table(fam, enum):
    ident = "fp_%s_names" % c_ident(enum["name"])
    lines = ["const char *const %s[] = {" % ident]
    for name, value in entries(enum["entries"], 0):
        lines.append('\t[%s] = "%s",' % (c_name(fam, enum["name"], name), name))
    lines += ["};", "const size_t %s_count = ARRAY_SIZE(%s);" % (ident[:-len("_names")], ident)]
    return lines


def flags_table(fam, flags):
    """Names indexed by bit number (flags entries are bits from 0 on)."""
    ident = "fp_%s_names" % c_ident(flags["name"])
    lines = ["const char *const %s[] = {" % ident]
    asserts = []
    for name, bit in entries(flags["entries"], flags.get("value-start", 0)):
        lines.append('\t[%d] = "%s",' % (bit, name))
        asserts.append('_Static_assert(%s == 1U << %d, "%s");' % (
            c_name(fam, flags["name"], name), bit, name))
    lines += ["};", "const size_t %s_count = ARRAY_SIZE(%s);" % (ident[:-len("_names")], ident)]
    return lines + asserts


def set_tables(fam, aset, limits):
    """Names indexed by attribute - 1, NULL-terminated; limits alike.

    Pad attributes (alignment of 64-bit values) have no name and come last.
    """
    attrs = [a for a in aset["attributes"] if a["type"] != "pad"]
    if aset["attributes"][:len(attrs)] != attrs:
        sys.exit("%s: a pad attribute is not last" % aset["name"])
    ident = "fp_%s" % c_ident(aset["name"])
    names = ["const char *const %s_names[] = {" % ident]
    ranges = ["const struct fp_range %s_ranges[] = {" % ident]
    for attr in attrs:
        index = "%s - 1" % c_name(fam, "a", aset["name"], attr["name"])
        names.append('\t[%s] = "%s",' % (index, attr["name"]))
        if limits:
            checks = attr.get("checks", {})
            ranges.append("\t[%s] = { %s, %s }," % (
                index, c_limit(fam, checks.get("min", 0)),
                c_limit(fam, checks.get("max", TYPE_MAX[attr["type"]]))))
    names += ["\tNULL", "};"]
    return names + ([""] + ranges + ["};"] if limits else [])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(sys.argv[1]) as f:
        spec = yaml.safe_load(f)
    fam = spec["name"]
    out = ["// SPDX-License-Identifier: GPL-2.0-only",
           "/* Generated from uapi/fastpath.yaml by cli/gen-names.py: do not edit. */",
           "#include <linux/fastpath.h>", "", '#include "fpctl.h"']
    for d in spec.get("definitions", []):
        if d["type"] == "enum":
            out += [""] + enum_table(fam, d)
        elif d["type"] == "flags":
            out += [""] + flags_table(fam, d)
    sets = {s["name"]: s for s in spec["attribute-sets"]}
    for name, limits in NAMED_SETS.items():
        out += [""] + set_tables(fam, sets[name], limits)
    print("\n".join(out))


if __name__ == "__main__":
    main()
