#!/usr/bin/env python3
"""manopts.py - do a program's --help and its man page name the same options?

    manopts.py MANPAGE -- COMMAND [ARGS...] [-- COMMAND [ARGS...]]...

Runs each COMMAND (a program with --help, or a sub-command's help) and
collects the options its output names.  Prints, one per line,
"missing in man page: OPT" for each that the man page never mentions, and
"missing in --help: OPT" for each option the man page documents in a
tagged paragraph (.TP) that no help output names.  Exit 0 when both lists
are empty.
"""
import re
import subprocess
import sys

OPT = re.compile(r"(?<![\w\-])(--?[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)")


def help_options(cmds):
    found = set()
    for cmd in cmds:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        found.update(OPT.findall(out.stdout + out.stderr))
    return found


def man_source(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"\\f[BIRP]", "", text)
    text = text.replace("\\-", "-").replace("\\(em", " ").replace('"', " ")
    return text


def tagged_options(src):
    """Options at the head of a tagged paragraph: the line after .TP."""
    lines = src.split("\n")
    found = set()
    for i, line in enumerate(lines[:-1]):
        if line.startswith(".TP"):
            tag = re.sub(r"^\.(B|BR|BI|IR|RB|I)\s+", "", lines[i + 1])
            if OPT.match(tag):	# the paragraph is about an option
                found.update(OPT.findall(tag))
    return found


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    cmds, cur = [], []
    for a in argv[3:]:
        if a == "--":
            cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    cmds.append(cur)
    src = man_source(argv[1])
    in_help = help_options(cmds)
    bad = 0
    for opt in sorted(in_help):
        if not re.search(r"(?<![\w\-])" + re.escape(opt) + r"(?![\w\-])", src):
            print("missing in man page:", opt)
            bad += 1
    for opt in sorted(tagged_options(src) - in_help):
        print("missing in --help:", opt)
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
