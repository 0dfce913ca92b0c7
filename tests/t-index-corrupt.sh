#!/bin/sh
# t-index-corrupt.sh: hostile and broken index files (t-cli.sh covers a
# non-SQLite file, another SQLite database, other versions and one
# truncation). Here: truncation at several points, flipped bytes in the
# b-tree pages, zeroed pages, a garbage header, a directory, an empty file,
# a valid schema with wrong column types and lying sizes, and a schema
# with a recursive view (which would never finish) or a computed column.
# Every query command must end cleanly (exit 0, 1 or 2, never a signal),
# print at most one line on stderr, and leave the file byte-identical.
. "$(dirname "$0")/lib.sh"

IX=$(fixture_index) || { fail "fixture index" "build failed"; exit 1; }

# Variants of the fixture index, made by python (sqlite3 and byte edits).
python3 - "$IX" "$TMP" <<'PY'
import os, random, shutil, sqlite3, sys
src, tmp = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
page = int.from_bytes(data[16:18], "big") or 65536
def put(name, b):
    open(os.path.join(tmp, name + ".sqlite"), "wb").write(b)
put("trunc-100", data[:100])
put("trunc-page", data[:page + 7])
put("trunc-half", data[:len(data) // 2])
put("trunc-last", data[:len(data) - page // 2])
put("empty", b"")
put("header-garbage", b"SQLite format 3\x00" + bytes(range(256)) * 4)
rnd = random.Random(1)
for k in range(3):
    b = bytearray(data)
    for _ in range(40):
        i = rnd.randrange(page, len(b))   # spare the header page's meta
        b[i] ^= 1 << rnd.randrange(8)
    put("flipped-%d" % k, bytes(b))
b = bytearray(data)
for p in range(2, len(b) // page, 3):
    b[p * page:(p + 1) * page] = bytes(page)
put("zeroed-pages", bytes(b))

# The chunks table's root page (an interior page when there are several
# chunks), which the scan walks itself: cell pointers past the page, and
# random bytes after its header.
root = sqlite3.connect(src).execute(
    "SELECT rootpage FROM sqlite_schema WHERE name = 'chunks'").fetchone()[0]
b = bytearray(data)
at = (root - 1) * page
ncell = int.from_bytes(b[at + 3:at + 5], "big")
hdr = 12 if b[at] == 5 else 8
for i in range(ncell):
    b[at + hdr + 2 * i:at + hdr + 2 * i + 2] = (0xfffe - i).to_bytes(2, "big")
put("chunks-root-pointers", bytes(b))
b = bytearray(data)
b[at + hdr:at + page] = bytes(rnd.randrange(256) for _ in range(page - hdr))
put("chunks-root-garbage", bytes(b))

def edit(name, sql):
    p = os.path.join(tmp, name + ".sqlite")
    shutil.copy(src, p)
    db = sqlite3.connect(p)
    db.executescript(sql)
    db.commit()
    db.close()
edit("wrong-types", """
UPDATE contexts SET ntok = 'many', chunk = 'x';
UPDATE chunks SET n = 'x', offs = 'not a blob', first_ctx = -9223372036854775808, aux = 42;
UPDATE examples SET acts = x'ffffffffffffffffff', max_pos = 1000000000;
UPDATE features SET hist = x'01', label = x'1b5d303b70776e656407';
""")
edit("lying-sizes", """
UPDATE contexts SET ntok = 16777216;
UPDATE chunks SET n = 2147483647;
UPDATE chunks SET aux = substr(aux, 1, 4) || x'ffffff7f' || substr(aux, 9) WHERE id % 2 = 0;
UPDATE examples SET ctx = ctx + 1000000;
UPDATE meta SET value = '9223372036854775807' WHERE key LIKE 'n_%';
""")
edit("offsets-past-chunk", """
UPDATE chunks SET offs = substr(offs, 1, 8) || x'ffffff7f' || substr(offs, 13);
UPDATE chunks SET text = substr(text, 1, 10);
""")
edit("empty-blobs", """
UPDATE chunks SET aux = x'' WHERE id % 2 = 1;
UPDATE examples SET acts = x'' WHERE rank = 0;
UPDATE chunks SET text = x'' WHERE id = 1;
""")
edit("no-tables", "DROP TABLE examples; DROP TABLE contexts; DROP TABLE chunks;")
edit("recursive-view", """
ALTER TABLE features RENAME TO f0;
CREATE VIEW features AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
  SELECT f0.* FROM f0, c WHERE x > 0;
""")
edit("meta-view", """
ALTER TABLE meta RENAME TO m0;
CREATE VIEW meta AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
  SELECT key, value FROM m0, c WHERE x < 0 UNION ALL SELECT key, value FROM m0;
""")
edit("computed-column", """
ALTER TABLE chunks ADD COLUMN big BLOB GENERATED ALWAYS AS (zeroblob(1000000000)) VIRTUAL;
""")
PY
mkdir -p "$TMP/dir.sqlite"

# run_all NAME FILE: every query command on FILE; checks exit status,
# stderr and that the file did not change.
run_all() {
	n=$1 f=$2
	sum=$(cksum <"$f" 2>/dev/null)
	worst=0 why=
	for cmd in "info" "show 0" "show 5" "show #1" "search the" "search golden" "token the" \
		"grep e.e" "grep Gate" "show --json 0" "search --json the"; do
		set -- $cmd
		sub=$1
		shift
		# a hung command (a view that never ends) counts as a failure
		timeout 20 "$FS" "$sub" $( [ "$1" = --json ] && echo --json ) "$f" \
			$( [ "$1" = --json ] && echo "$2" || echo "$1" ) \
			>"$TMP/out" 2>"$TMP/err" </dev/null
		rc=$?
		lines=$(wc -l <"$TMP/err")
		if [ "$rc" -gt 2 ]; then worst=1; why="$why [$cmd: exit $rc $(head -c 200 "$TMP/err")]"; fi
		if [ "$lines" -gt 1 ]; then worst=1; why="$why [$cmd: $lines stderr lines]"; fi
		if grep -q "$(printf '\033')" "$TMP/out" "$TMP/err"; then worst=1; why="$why [$cmd: raw ESC]"; fi
	done
	if [ "$worst" = 0 ]; then ok "$n: every command ends cleanly"; else fail "$n" "$why"; fi
	check_eq "$n: file unchanged" "$sum" "$(cksum <"$f" 2>/dev/null)"
}

for v in trunc-100 trunc-page trunc-half trunc-last empty header-garbage flipped-0 flipped-1 \
	flipped-2 zeroed-pages wrong-types lying-sizes offsets-past-chunk empty-blobs no-tables \
	recursive-view meta-view computed-column chunks-root-pointers chunks-root-garbage; do
	run_all "$v" "$TMP/$v.sqlite"
done

# Structural damage is refused at open: exit 2, one line naming the file.
for v in trunc-100 empty header-garbage recursive-view meta-view computed-column; do
	check_exit "$v: show exits 2" 2 "$FS" show "$TMP/$v.sqlite" 0
	check_grep "$v: message names the file" "^featscope: .*$v.sqlite: " "$TMP/.err"
done
check_exit "directory: show exits 2" 2 "$FS" show "$TMP/dir.sqlite" 0
check_grep "directory: says so" "is a directory" "$TMP/.err"
check_grep "recursive view: refused as not an index" "not a featscope index" \
	"$(sh -c "'$FS' info '$TMP/recursive-view.sqlite' 2>&1 >/dev/null" >"$TMP/rv.err"; echo "$TMP/rv.err")"

# An unreadable index (not root: root reads anything).
if [ "$(id -u)" != 0 ]; then
	cp "$IX" "$TMP/noperm.sqlite"
	chmod 000 "$TMP/noperm.sqlite"
	check_exit "unreadable file: exit 2" 2 "$FS" info "$TMP/noperm.sqlite"
fi
