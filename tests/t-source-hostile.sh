#!/bin/sh
# t-source-hostile.sh: an index's sources and a corpus manifest are
# untrusted (issue 31, items 5 and 6). `featscope source` and the
# browser's 'o' read a file only in the index's folder or a corpus folder
# the user named (--corpus, FEATSCOPE_CORPUS) or below them, links
# resolved; a file elsewhere is refused before it is opened (exit 2, one
# line, nothing of it printed). A document that does not hold the
# context's text is not shown. A manifest's offset and size are checked
# against its split file's real size: a size of 2^64-1 or 10^15 is one
# line and exit 2, never an overflow or an exit from inside curses.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

D=$TMP/ix
mkdir -p "$D/texts" "$TMP/outside" "$TMP/corpus" "$TMP/named"
# the secret: a file outside every folder the user named, holding the
# contexts' texts (so the check "is the text in it" cannot stop it); each
# context's text is "HOSTILE CONTEXT" and a letter: A for the first source
printf 'SECRET LINE ONE\nHOSTILE CONTEXT A B C D E F G H\nSECRET LINE THREE\n' >"$TMP/outside/secret.txt"
ln -s ../../outside/secret.txt "$D/texts/link.txt"
ln -s "$TMP/outside" "$D/outlink"
printf 'inside line 1\ninside line 2\n' >"$D/texts/other.txt"
mkfifo "$D/texts/fifo.txt"
# a corpus folder named with --corpus: a manifest and a document
printf 'corpus line 1\nHOSTILE CONTEXT I in the named corpus\n' >"$TMP/named/heldout.txt"
printf 'doc\tgroup\tpackage\tpath\tsplit\toffset\tbytes\n1\tprose\tpkg-n\t/doc/n.txt\theldout\t0\t%d\n' \
	"$(wc -c <"$TMP/named/heldout.txt")" >"$TMP/named/manifest.tsv"
printf 'installed line 1\nHOSTILE CONTEXT J installed\n' >"$TMP/named/inst.txt"
python3 - "$D/recs.jsonl" "$TMP" <<'EOF'
import json, sys
out, tmp = sys.argv[1:3]
srcs = [
    tmp + "/outside/secret.txt:1",         # absolute, outside
    "../outside/secret.txt:2",             # relative, climbing out
    "pkg-x:" + tmp + "/outside/secret.txt",# PACKAGE:/abs/path outside
    "texts/link.txt:1",                    # a link in the folder to outside
    "outlink/secret.txt:1",                # a linked folder to outside
    "/etc/passwd:1",                       # a system file
    "texts/other.txt:1",                   # inside, but without the text
    "texts/fifo.txt:1",                    # a FIFO: never opened
    "pkg-n:/doc/n.txt",                    # in the --corpus folder
    "pkg-i:" + tmp + "/named/inst.txt",    # PATH in the --corpus folder
    "pkg-big:/doc/big.txt",                # manifest: bytes 2^64-1
    "pkg-huge:/doc/huge.txt",              # manifest: bytes 10^15
    "pkg-off:/doc/off.txt",                # manifest: offset past the end
]
with open(out, "w") as f:
    for i, src in enumerate(srcs):
        f.write(json.dumps({"text": "HOSTILE CONTEXT " + chr(65 + i), "offsets": [0, 8], "acts": [[1, i, 2.0 + i]],
                            "source": src}) + "\n")
EOF
"$FS" build -o "$D/h.sqlite" "$D/recs.jsonl" 2>"$TMP/build.err" || fail hostile-build "$(cat "$TMP/build.err")"
IX=$D/h.sqlite
# the context of a source
ctx() { sqlite3 "$IX" "select c.id from contexts c join sources s on s.id = c.source where s.name = '$1'"; }
C_ABS=$(ctx "$TMP/outside/secret.txt:1") C_REL=$(ctx "../outside/secret.txt:2")
C_PKG=$(ctx "pkg-x:$TMP/outside/secret.txt") C_LINK=$(ctx "texts/link.txt:1") C_DLINK=$(ctx "outlink/secret.txt:1")
C_ETC=$(ctx "/etc/passwd:1") C_OTHER=$(ctx "texts/other.txt:1") C_FIFO=$(ctx "texts/fifo.txt:1")
C_NAMED=$(ctx "pkg-n:/doc/n.txt") C_INST=$(ctx "pkg-i:$TMP/named/inst.txt")
C_BIG=$(ctx "pkg-big:/doc/big.txt") C_HUGE=$(ctx "pkg-huge:/doc/huge.txt") C_OFF=$(ctx "pkg-off:/doc/off.txt")
check "every hostile context found" test -n "$C_ABS" -a -n "$C_REL" -a -n "$C_PKG" -a -n "$C_LINK" -a -n "$C_DLINK" \
	-a -n "$C_ETC" -a -n "$C_OTHER" -a -n "$C_FIFO" -a -n "$C_NAMED" -a -n "$C_INST" -a -n "$C_BIG" -a -n "$C_HUGE" -a -n "$C_OFF"

# refused NAME CONTEXT [OPTIONS]: exit 2, one line saying it is outside, nothing of the secret
refused() {
	name=$1 c=$2
	shift 2
	timeout 20 "$FS" source --lines 100000 "$@" "$IX" "$c" >"$TMP/r.out" 2>"$TMP/r.err"
	rc=$?
	if [ "$rc" != 2 ]; then fail "$name: exit 2" "exit $rc: $(head -c 300 "$TMP/r.err")"; else ok "$name: exit 2"; fi
	check_eq "$name: one line" 1 "$(wc -l <"$TMP/r.err" | tr -d ' ')"
	check_grep "$name: says it lies outside" "lies outside the index's folder and the corpus folders .*not read" "$TMP/r.err"
	check_eq "$name: nothing on stdout" 0 "$(wc -c <"$TMP/r.out" | tr -d ' ')"
	check_nogrep "$name: nothing of the file" "SECRET|root:" "$TMP/r.err"
}
refused "absolute path outside" "$C_ABS"
refused "relative ../ path" "$C_REL"
refused "a link in the index's folder to a file outside" "$C_LINK"
refused "a linked folder to outside" "$C_DLINK"
refused "/etc/passwd" "$C_ETC"
refused "/etc/passwd with FEATSCOPE_CORPUS set elsewhere" "$C_ETC" --corpus "$TMP/named"
refused "--json too" "$C_ABS" --json
# PACKAGE:/abs/path outside: not in a corpus, and PATH is not read (exit 1: not here)
"$FS" source --lines 100000 "$IX" "$C_PKG" >"$TMP/p.out" 2>"$TMP/p.err"
check_eq "PACKAGE:/abs/path outside: exit 1" 1 $?
check_grep "PACKAGE:/abs/path outside: says PATH was not read" "not in a corpus folder .*secret.txt was not read: it lies outside" "$TMP/p.err"
check_eq "PACKAGE:/abs/path outside: nothing on stdout" 0 "$(wc -c <"$TMP/p.out" | tr -d ' ')"
# a document in the folder that does not hold the context: nothing shown, said
"$FS" source --lines 100000 "$IX" "$C_OTHER" >"$TMP/o.out" 2>"$TMP/o.err"
check_eq "text not in the document: exit 1" 1 $?
check_grep "text not in the document: says nothing is shown" "the context's text is not in .*texts/other.txt .the document changed..: nothing shown" "$TMP/o.err"
check_eq "text not in the document: nothing on stdout" 0 "$(wc -c <"$TMP/o.out" | tr -d ' ')"
"$FS" source --json "$IX" "$C_OTHER" >"$TMP/o.out" 2>"$TMP/o.err"
check_eq "text not in the document (--json): nothing on stdout" 0 "$(wc -c <"$TMP/o.out" | tr -d ' ')"
# a FIFO named by a source is never opened (open would block)
timeout 10 "$FS" source "$IX" "$C_FIFO" >/dev/null 2>"$TMP/f.err"
check_eq "a FIFO: exit 1, no hang" 1 $?
# the folders the user named are read: --corpus and a PATH in it
"$FS" source --corpus "$TMP/named" "$IX" "$C_NAMED" >"$TMP/n.out" 2>&1
check_grep "--corpus: the corpus document" "^ ?2  «HOSTILE CONTEXT I» in the named corpus$" "$TMP/n.out"
"$FS" source --corpus "$TMP/named" "$IX" "$C_INST" >"$TMP/i.out" 2>&1
check_grep "--corpus: PATH that lies in it" "^read $TMP/named/inst.txt: line 2" "$TMP/i.out"
FEATSCOPE_CORPUS=$TMP/named "$FS" source "$IX" "$C_INST" >"$TMP/i2.out" 2>&1
check_grep "FEATSCOPE_CORPUS: PATH that lies in it" "^read $TMP/named/inst.txt: line 2" "$TMP/i2.out"

# ---- a hostile manifest (FEATSCOPE_CORPUS): sizes checked against the file
printf 'corpus line 1\nHOSTILE CONTEXT K L M\n' >"$TMP/corpus/heldout.txt"
printf 'doc\tgroup\tpackage\tpath\tsplit\toffset\tbytes\n' >"$TMP/corpus/manifest.tsv"
printf '1\tp\tpkg-big\t/doc/big.txt\theldout\t0\t18446744073709551615\n' >>"$TMP/corpus/manifest.tsv"
printf '2\tp\tpkg-huge\t/doc/huge.txt\theldout\t0\t1000000000000000\n' >>"$TMP/corpus/manifest.tsv"
printf '3\tp\tpkg-off\t/doc/off.txt\theldout\t1000\t10\n' >>"$TMP/corpus/manifest.tsv"
for c in BIG:2 HUGE:3 OFF:4; do
	n=${c%%:*} line=${c#*:}
	eval "id=\$C_$n"
	FEATSCOPE_CORPUS=$TMP/corpus "$FS" source "$IX" "$id" >"$TMP/m.out" 2>"$TMP/m.err"
	check_eq "manifest $n: exit 2" 2 $?
	check_eq "manifest $n: one line" 1 "$(wc -l <"$TMP/m.err" | tr -d ' ')"
	check_grep "manifest $n: names the manifest's line" "manifest.tsv:$line: |manifest.tsv: document pkg-off:/doc/off.txt: bytes .* are past the end" "$TMP/m.err"
	check_eq "manifest $n: nothing on stdout" 0 "$(wc -c <"$TMP/m.out" | tr -d ' ')"
done
FEATSCOPE_CORPUS=$TMP/corpus "$FS" source "$IX" "$C_BIG" 2>"$TMP/m.err" >/dev/null
check_grep "manifest 2^64-1: the field named" "manifest.tsv:2: bytes: '18446744073709551615' is not a size" "$TMP/m.err"
FEATSCOPE_CORPUS=$TMP/corpus "$FS" source "$IX" "$C_HUGE" 2>"$TMP/m.err" >/dev/null
check_grep "manifest 10^15: more than a document may have" "manifest.tsv:3: bytes: 1000000000000000 is more than a document may have" "$TMP/m.err"
FEATSCOPE_CORPUS=$TMP/corpus "$FS" source "$IX" "$C_OFF" 2>"$TMP/m.err" >/dev/null
check_grep "manifest offset past the end of the split file" "bytes 1000-1010 are past the end of .*heldout.txt .36 bytes" "$TMP/m.err"

# ---- the browser: 'o' on a hostile source or manifest goes to the status line
tui() {
	name=$1 keys=$2
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/$name.keys"
	echo ":save-display $TMP/$name.out" >>"$TMP/$name.keys"
	FEATSCOPE_CORPUS=$TMP/corpus FEATSCOPE_SCRIPT=$TMP/$name.keys FEATSCOPE_SIZE=200x12 TERM=xterm-256color \
		timeout 30 "$FS" --notes "$TMP/notes-$name.sqlite" "$IX" >/dev/null 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
	sed '/^--$/,$d' "$TMP/$name.out" >"$TMP/$name.txt" 2>/dev/null
}
has() {
	if grep -qF -- "$3" "$TMP/$1.txt"; then ok "$2"; else fail "$2" "no '$3' on: $(head -c 900 "$TMP/$1.txt" | tr '\n' '~')"; fi
}
tui tabs ":context $C_ABS|o"
has tabs "browser: an outside file refused on the status line" "lies outside the index's folder and the corpus folders"
if grep -q SECRET "$TMP/tabs.txt"; then fail "browser: nothing of the outside file" "SECRET on screen"; else ok "browser: nothing of the outside file"; fi
tui thuge ":context $C_HUGE|o|:context $C_NAMED"
check_eq "browser: manifest 10^15: the session goes on (exit 0)" 0 "$(cat "$TMP/thuge.rc")"
has thuge "browser: manifest 10^15: the next screen drawn" "source: pkg-n:/doc/n.txt"
tui thuge2 ":context $C_HUGE|o"
has thuge2 "browser: manifest 10^15: on the status line" "bytes: 1000000000000000 is more than a document may have"
