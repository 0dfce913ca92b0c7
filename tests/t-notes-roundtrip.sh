#!/bin/sh
# t-notes-roundtrip.sh: the export formats the man page says read back (json
# and tsv) carry every note byte for byte: all 255 non-NUL byte values,
# terminal controls (ESC, CSI, OSC, C1), bidi and invisible characters and
# broken UTF-8 (overlong, surrogate, beyond U+10FFFF, truncated, stray
# continuation bytes), in labels and notes. Export, import into an empty
# notes database, compare the rows byte for byte. JSON strings cannot hold
# invalid UTF-8 (the json export leaves such a field out): json gets the
# valid-UTF-8 set (every code point class), tsv both sets.
. "$(dirname "$0")/lib.sh"

FIX=$(fixture_index) || { fail rel-roundtrip-fixture "fixture_index failed"; exit 1; }
SRC=$TMP/src.sqlite

python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
open(d + '/all.bin', 'wb').write(bytes(range(1, 256)) + b'\n' + bytes(range(255, 0, -1)))
hostile = (b'colour \x1b[31mred\x1b[0m, title \x1b]0;pwned\x07 csi \xc2\x9b2J osc \xc2\x9d8;;x\xc2\x9c '
           b'bidi \xe2\x80\xaeevil\xe2\x80\xac zwj a\xe2\x80\x8db bom \xef\xbb\xbf tag \xf3\xa0\x80\x81 '
           b'overlong \xc0\xaf surrogate \xed\xa0\x80 big \xf4\x90\x80\x80 trunc \xe2\x82 stray \x80\xbf '
           b'back\\slash \\t literal \\x41 tab\tcr\r\nend\\')
open(d + '/hostile.bin', 'wb').write(hostile)
open(d + '/label.bin', 'wb').write(b'\x1b[2J\xc2\x9b\\n\\\\\xe2\x81\xa6x\xff')
# valid UTF-8 only: every ASCII byte, every C1 control, bidi, invisible and
# astral characters, the last code point
u = ''.join(chr(c) for c in range(1, 0x80)) + ''.join(chr(c) for c in range(0x80, 0xa0)) + \
    '\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069' + \
    '\ufeff\ufff9\ufffa\ufffb\U000e0001\U0001f600 \u6771\u4eac \U0010ffff\\x41\\'
open(d + '/valid.bin', 'wb').write(u.encode())
open(d + '/vlabel.bin', 'wb').write('\x1b]0;t\x07 \u009b31m \u202eevil \\ \t'.encode())
PY
"$FS" notes set --notes "$SRC" "$FIX" 0 --note-file "$TMP/all.bin" --label "$(cat "$TMP/label.bin")" --tag t1 --bookmark >/dev/null 2>&1 ||
	fail "roundtrip: set note 0" "notes set failed"
"$FS" notes set --notes "$SRC" "$FIX" 1 --note-file "$TMP/hostile.bin" --label "$(printf 'l\001\177\302\200\342\200\256')" >/dev/null 2>&1 ||
	fail "roundtrip: set note 1" "notes set failed"
"$FS" notes set --notes "$SRC" "$FIX" 2 --note "$(printf 'east \346\235\261\344\272\254 \360\237\230\200 plain')" --tag "$(printf 'caf\303\251')" >/dev/null 2>&1 ||
	fail "roundtrip: set note 2" "notes set failed"
SRCJ=$TMP/srcj.sqlite
"$FS" notes set --notes "$SRCJ" "$FIX" 3 --note-file "$TMP/valid.bin" --label "$(cat "$TMP/vlabel.bin")" --tag "$(printf 'caf\303\251')" --bookmark >/dev/null 2>&1 ||
	fail "roundtrip: set note 3" "notes set failed"
"$FS" notes set --notes "$SRCJ" "$FIX" 4 --note-file "$TMP/valid.bin" >/dev/null 2>&1 ||
	fail "roundtrip: set note 4" "notes set failed"

# rows DB: key, label, note, tags, bookmark of every note, as hex
rows() {
	python3 - "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.text_factory = bytes
for r in c.execute('SELECT key, label, note, tags, bookmark FROM notes ORDER BY key'):
    print(' '.join(x.hex() if isinstance(x, bytes) else str(x) for x in r))
PY
}
rows "$SRC" >"$TMP/src.rows"
check_eq "roundtrip: three hostile notes stored" 3 "$(wc -l <"$TMP/src.rows")"
check_grep "roundtrip: every byte value stored" "$(printf '\001\002' | od -An -tx1 | tr -d ' \n')" "$TMP/src.rows"

roundtrip() {
	fmt=$1 src=$2 set=$3
	"$FS" export "$FIX" --notes "$src" --format $fmt --only noted -o "$TMP/x.$fmt" >"$TMP/exp.err" 2>&1 ||
		fail "roundtrip $fmt $set: export" "$(head -c 300 "$TMP/exp.err")"
	# nothing in a tsv file acts on a terminal: no ESC, no raw C1 controls
	# (json: the escaping rule's own tests)
	if [ $fmt = json ]; then
		:
	elif LC_ALL=C grep -q "$(printf '\033')" "$TMP/x.$fmt" ||
		python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); sys.exit(0 if any(b"\xc2"+bytes([c]) in b for c in range(0x80,0xa0)) else 1)' "$TMP/x.$fmt"; then
		fail "roundtrip $fmt $set: export has no raw ESC or C1" "found in $TMP/x.$fmt"
	else
		ok "roundtrip $fmt $set: export has no raw ESC or C1"
	fi
	rm -f "$TMP/dst.sqlite"
	"$FS" notes import --notes "$TMP/dst.sqlite" "$TMP/x.$fmt" "$FIX" >"$TMP/imp.out" 2>&1
	check_eq "roundtrip $fmt $set: import exit" "0" "$?$(grep -v ': [0-9] features: [0-9] new' "$TMP/imp.out" | head -c 300)"
	rows "$src" >"$TMP/src.rows"
	rows "$TMP/dst.sqlite" >"$TMP/dst.rows"
	if cmp -s "$TMP/src.rows" "$TMP/dst.rows"; then
		ok "roundtrip $fmt $set: every note byte for byte"
	else
		fail "roundtrip $fmt $set: every note byte for byte" "$(diff "$TMP/src.rows" "$TMP/dst.rows" | head -c 600)"
	fi
}
roundtrip tsv "$SRC" "all bytes"
roundtrip tsv "$SRCJ" "valid UTF-8"
roundtrip json "$SRCJ" "valid UTF-8"

# hand-written tsv: a bad escape and an escaped NUL are bad input
printf 'feature\tlabel\tnote\nfix/3\tx\tbad \\q escape\n' >"$TMP/bad.tsv"
check_exit "tsv import: unknown escape refused" 2 "$FS" notes import --notes "$TMP/d2.sqlite" "$TMP/bad.tsv" "$FIX"
check_grep "tsv import: unknown escape named" 'bad\.tsv:2: note: bad backslash escape' "$TMP/.err"
printf 'feature\tlabel\tnote\nfix/3\tx\tnul \\x00 here\n' >"$TMP/nul.tsv"
check_exit "tsv import: escaped NUL refused" 2 "$FS" notes import --notes "$TMP/d3.sqlite" "$TMP/nul.tsv" "$FIX"
