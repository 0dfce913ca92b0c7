# hacking_map.py SRCDIR: print the source files under SRCDIR/src that the
# table of HACKING.md ("| folder | file | what it does |") does not name, by
# name, as NAME.[ch], or by a pattern such as read_*.c (t-docs-hacking.sh).
import fnmatch, os, re, sys

src = sys.argv[1]
doc = open(os.path.join(src, "HACKING.md"), encoding="utf-8").read()
rows = [l for l in doc.split("\n") if l.startswith("| ")]
pats = []
for t in re.findall(r"`([^`]+)`", "\n".join(rows)):
    for w in re.split(r"[\s,]+", t):
        w = w.strip("()").split("/")[-1]
        m = re.match(r"^(.*)\.\[ch\]$", w)
        pats += [m.group(1) + ".c", m.group(1) + ".h"] if m else [w] if w else []
for d, _, fs in sorted(os.walk(os.path.join(src, "src"))):
    for f in sorted(fs):
        if f.endswith((".c", ".h")) and not any(fnmatch.fnmatchcase(f, p) for p in pats):
            print(os.path.relpath(os.path.join(d, f), src))
