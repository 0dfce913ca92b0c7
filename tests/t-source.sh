#!/bin/sh
# t-source.sh: the text around a context, read from its source document
# (issue 16): `featscope source` and 'o' on the browser's context screen,
# for each form of source (FILE:LINE as `featscope harvest` writes it,
# PACKAGE:PATH found in a corpus folder as model/corpus.sh makes it, and
# PACKAGE:PATH found installed), a gzip'd file, and the one-line messages
# when the document is not on this machine.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

D=$TMP/ix
mkdir -p "$D/texts" "$TMP/corpus" "$TMP/installed"
# Three documents: lines numbered so a screen shows which ones are there.
python3 - "$D/texts/doc.txt" "$TMP/corpus" "$TMP/installed/notes.txt" "$D/texts/log.txt" <<'EOF'
import gzip, sys
doc, corpus, inst, log = sys.argv[1:5]
lines = ["line %02d of the plain document: words words" % i for i in range(1, 61)]
lines[29] = "line 30 holds\tTHE PLAIN CONTEXT\there"
lines[40] = "line 41 holds the same words as line 30: THE PLAIN CONTEXT"
open(doc, "w").write("\n".join(lines) + "\n")
# a corpus: two documents in heldout.txt, the second one ours
other = "".join("other document line %d\n" % i for i in range(1, 20))
ours = "".join("corpus line %02d\n" % i for i in range(1, 40)).replace(
    "corpus line 20\n", "corpus line 20 CORPUS CONTEXT A\nB continues\n")
open(corpus + "/heldout.txt", "w").write(other + ours)
open(corpus + "/train.txt", "w").write("")
m = "doc\tgroup\tpackage\tpath\tsplit\toffset\tbytes\tversion\tsha256\n"
# (a file cut into documents: PATH#0, PATH#1, as the demo corpus does)
m += "1\tprose\tpkg-demo\t/usr/share/doc/pkg-demo/notes.txt#0\theldout\t0\t%d\t1.0\t-\n" % len(other)
m += "2\tprose\tpkg-demo\t/usr/share/doc/pkg-demo/notes.txt#1\theldout\t%d\t%d\t1.0\t-\n" % (len(other), len(ours))
open(corpus + "/manifest.tsv", "w").write(m)
open(inst, "w").write("".join("installed line %02d\n" % i for i in range(1, 30)).replace(
    "installed line 12\n", "installed line 12 INSTALLED CONTEXT\n"))
with gzip.open(log + ".gz", "wt") as f:
    f.write("".join("log line %d\n" % i for i in range(1, 50)).replace("log line 33\n", "log line 33 GZIP CONTEXT\n"))
EOF
# Records: one context per form of source, each with a feature firing.
python3 - "$D/recs.jsonl" "$TMP/installed/notes.txt" <<'EOF'
import json, sys
out, inst = sys.argv[1:3]
recs = [
    ("\tTHE PLAIN CONTEXT\t", "texts/doc.txt:30"),
    ("CORPUS CONTEXT A\nB continues", "pkg-demo:/usr/share/doc/pkg-demo/notes.txt#1"),
    ("INSTALLED CONTEXT", "pkg-inst:" + inst),
    ("GZIP CONTEXT", "texts/log.txt.gz:33"),
    ("NOWHERE CONTEXT", "pkg-gone:/usr/share/doc/pkg-gone/missing.txt"),
    ("NORECORD CONTEXT", ""),
    ("CHANGED CONTEXT", "texts/doc.txt:3"),
    ("GONE FILE CONTEXT", "texts/gone.txt:4"),
]
with open(out, "w") as f:
    for i, (text, src) in enumerate(recs):
        f.write(json.dumps({"text": text, "offsets": [0, 1], "acts": [[1, i, 2.0 + i]], "source": src}) + "\n")
EOF
"$FS" build -o "$D/src.sqlite" "$D/recs.jsonl" 2>"$TMP/build.err" || fail source-build "$(cat "$TMP/build.err")"
IX=$D/src.sqlite
# the context id of the record whose text contains $1
ctx_of() {
	"$FS" search --json --substring "$IX" "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["contexts"][0]["context"])'
}
C_PLAIN=$(ctx_of "THE PLAIN") C_CORPUS=$(ctx_of "CORPUS CONTEXT") C_INST=$(ctx_of "INSTALLED CONTEXT")
C_GZ=$(ctx_of "GZIP CONTEXT") C_GONE=$(ctx_of "NOWHERE") C_NOREC=$(ctx_of "NORECORD") C_CHG=$(ctx_of "CHANGED CONTEXT")
check "every planted context found" test -n "$C_PLAIN" -a -n "$C_CORPUS" -a -n "$C_INST" -a -n "$C_GZ" -a -n "$C_GONE" -a -n "$C_NOREC" -a -n "$C_CHG"

# ---- the CLI
# FILE:LINE relative to the index's folder, run from elsewhere: the
# context at line 30 (not the same words at line 41), two lines around.
(cd / && "$FS" source --lines 2 "$IX" "$C_PLAIN") >"$TMP/plain.txt" 2>"$TMP/plain.err"
check_eq "FILE:LINE: exit 0" 0 $?
check_grep "FILE:LINE: says what it read" "^read $D/texts/doc.txt: line 30, bytes [0-9]+-[0-9]+ of [0-9]+$" "$TMP/plain.txt"
check_grep "FILE:LINE: the context marked on its line" "^30  line 30 holds«	THE PLAIN CONTEXT	»here$" "$TMP/plain.txt"
check_grep "FILE:LINE: two lines before" "^28  line 28 of the plain document" "$TMP/plain.txt"
check_grep "FILE:LINE: two lines after" "^32  line 32 of the plain document" "$TMP/plain.txt"
check_nogrep "FILE:LINE: no third line" "^(27|33) " "$TMP/plain.txt"
check_nogrep "FILE:LINE: not the later copy of the words" "^41 " "$TMP/plain.txt"
# The context's text found from the named line: the same words are on
# line 41; the record named line 30, so line 30 it is (JSON's parts).
"$FS" source --json --lines 1 "$IX" "$C_PLAIN" >"$TMP/plain.json"
check "FILE:LINE --json: the parts" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["found"] is True and d["line"] == 30, d
assert d["text"] == "\tTHE PLAIN CONTEXT\t", d
assert d["before"] == "line 29 of the plain document: words words\nline 30 holds", d
assert d["after"] == "here\nline 31 of the plain document: words words\n", d
assert d["source"] == "texts/doc.txt:30", d' "$TMP/plain.json"
# PACKAGE:PATH from the corpus named by FEATSCOPE_CORPUS: the right
# document of the two (lines numbered in it), a context over two lines.
FEATSCOPE_CORPUS=$TMP/corpus "$FS" source --lines 1 "$IX" "$C_CORPUS" >"$TMP/corpus.txt" 2>"$TMP/corpus.err"
check_eq "corpus: exit 0" 0 $?
check_grep "corpus: says which corpus and bytes" "^read corpus $TMP/corpus, bytes [0-9]+-[0-9]+ of heldout.txt: line 20," "$TMP/corpus.txt"
check_grep "corpus: context starts marked" "^20  corpus line 20 «CORPUS CONTEXT A$" "$TMP/corpus.txt"
check_grep "corpus: context ends marked" "^21  B continues»$" "$TMP/corpus.txt"
check_grep "corpus: line before" "^19  corpus line 19$" "$TMP/corpus.txt"
check_nogrep "corpus: not the file's other document (#0)" "other document" "$TMP/corpus.txt"
# beside the index: ../model/work (the source tree's layout for data/demo.sqlite)
mkdir -p "$TMP/tree/data" "$TMP/tree/model"
cp "$IX" "$TMP/tree/data/demo.sqlite"
cp -r "$TMP/corpus" "$TMP/tree/model/work"
"$FS" source "$TMP/tree/data/demo.sqlite" "$C_CORPUS" >"$TMP/tree.txt" 2>&1
check_grep "corpus in ../model/work beside the index" "^read corpus $TMP/tree/data/../model/work, " "$TMP/tree.txt"
# PACKAGE:PATH with no corpus: the file installed at PATH, read when it
# lies in a folder the user named (here FEATSCOPE_CORPUS; issue 31)
FEATSCOPE_CORPUS=$TMP/installed "$FS" source "$IX" "$C_INST" >"$TMP/inst.txt" 2>&1
check_grep "installed: read PATH" "^read $TMP/installed/notes.txt: line 12," "$TMP/inst.txt"
check_grep "installed: marked" "^12  installed line 12 «INSTALLED CONTEXT»$" "$TMP/inst.txt"
# a .gz file read through zlib
"$FS" source --lines 0 "$IX" "$C_GZ" >"$TMP/gz.txt" 2>&1
check_grep "gzip: marked at its line" "^33  log line 33 «GZIP CONTEXT»$" "$TMP/gz.txt"
# Not on this machine: one line naming where it looked and the package.
check_exit "missing document: exit 1" 1 "$FS" source "$IX" "$C_GONE"
check_eq "missing document: one line" 1 "$(wc -l <"$TMP/.err")"
check_grep "missing document: where it looked, that PATH is not read outside the folders named" "source pkg-gone:/usr/share/doc/pkg-gone/missing.txt is not in a corpus folder [(]looked in corpus .*[)]; /usr/share/doc/pkg-gone/missing.txt was not read: it lies outside" "$TMP/.err"
C_GONEF=$(ctx_of "GONE FILE CONTEXT")
check_exit "missing FILE: exit 1" 1 "$FS" source "$IX" "$C_GONEF"
check_grep "missing FILE: where it looked" "source texts/gone.txt:4 is not on this machine [(]looked in $D/texts/gone.txt" "$TMP/.err"
check_exit "no source recorded: exit 1" 1 "$FS" source "$IX" "$C_NOREC"
check_grep "no source recorded: says so" "context $C_NOREC: this context's source was not recorded" "$TMP/.err"
# A document that no longer holds the context: nothing of it shown, said.
"$FS" source --lines 0 "$IX" "$C_CHG" >"$TMP/chg.txt" 2>"$TMP/chg.err"
check_eq "changed document: exit 1" 1 $?
check_grep "changed document: said" "the context's text is not in .*texts/doc.txt .the document changed..: nothing shown" "$TMP/chg.err"
check_eq "changed document: nothing shown" 0 "$(wc -c <"$TMP/chg.txt" | tr -d ' ')"
check_exit "context not in the index: exit 2" 2 "$FS" source "$IX" 99999
check_grep "context not in the index: one line" "context 99999 is not in this index" "$TMP/.err"
check_exit "not a number: exit 2" 2 "$FS" source "$IX" x12
# a source that is a path with escape bytes is printed escaped
printf '{"text": "ESC CONTEXT", "offsets": [0, 1], "acts": [[1, 0, 2.0]], "source": "texts/\\u001b[31mred.txt:1"}\n' >"$TMP/esc.jsonl"
"$FS" build -o "$TMP/esc.sqlite" "$TMP/esc.jsonl" 2>/dev/null
"$FS" source "$TMP/esc.sqlite" 1 >"$TMP/esc.out" 2>"$TMP/esc.err"
if grep -q "$(printf '\033')" "$TMP/esc.err" "$TMP/esc.out"; then fail "escape bytes in a source are escaped" "raw ESC"; else ok "escape bytes in a source are escaped"; fi

# ---- the browser: context screen (search, Enter, then the context)
# tui NAME SIZE KEYS: run KEYS ('|'-separated) on $IX, screen in $TMP/NAME.txt
tui() {
	name=$1 size=$2 keys=$3
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/$name.keys"
	echo ":save-display $TMP/$name.out" >>"$TMP/$name.keys"
	FEATSCOPE_CORPUS=$TMP/corpus FEATSCOPE_SCRIPT=$TMP/$name.keys FEATSCOPE_SIZE=$size TERM=xterm-256color \
		"$FS" --notes "$TMP/notes-$name.sqlite" "$IX" >/dev/null 2>"$TMP/$name.err"
	sed '/^--$/,$d' "$TMP/$name.out" >"$TMP/$name.txt" 2>/dev/null
	sed '1,/^--$/d' "$TMP/$name.out" >"$TMP/$name.attr" 2>/dev/null
}
has() {
	if grep -qF -- "$3" "$TMP/$1.txt"; then ok "$2"; else fail "$2" "no '$3' on: $(head -c 900 "$TMP/$1.txt" | tr '\n' '~')"; fi
}
# the feature of the plain context is feature 0; its page lists that
# context; the context screen says the source and that 'o' opens it
tui ctx 80x20 ":goto 0|<Enter>|:context $C_PLAIN"
tui ctx 80x20 ":context $C_PLAIN"
has ctx "context screen: source shown with the key" "source: texts/doc.txt:30  (o: the text around it)"
tui so 80x20 ":context $C_PLAIN|o"
has so "source screen: title names the source" "source of context $C_PLAIN: texts/doc.txt:30"
has so "source screen: header says what was read" "context $C_PLAIN at line 30 of"
has so "source screen: the context's line, tabs as spaces" "30 line 30 holds   THE PLAIN CONTEXT       here"
has so "source screen: lines around" "29 line 29 of the plain document"
# the context's bytes are marked (M) on its row, and only there
row=$(grep -n 'THE PLAIN CONTEXT' "$TMP/so.txt" | head -1 | cut -d: -f1)
m=$(sed -n "${row}p" "$TMP/so.attr" | tr -cd M | wc -c)
check_eq "source screen: the context's columns marked (tab to column 16, 17 characters, tab to column 40)" 27 "$m"
other=$(grep -n 'line 29 of' "$TMP/so.txt" | head -1 | cut -d: -f1)
check_eq "source screen: other lines unmarked" 0 "$(sed -n "${other}p" "$TMP/so.attr" | tr -cd M | wc -c)"
# opened with the context a third of the way down, not at the top
check "source screen: context not on the first row" test "$row" -gt 4
# q goes back to the context screen
tui soq 80x20 ":context $C_PLAIN|o|q"
has soq "q returns to the context screen" "source: texts/doc.txt:30"
# the corpus document (FEATSCOPE_CORPUS) and a wrapped long line at 40 columns
tui soc 40x14 ":context $C_CORPUS|o"
has soc "source screen: corpus document" "20 corpus line 20 CORPUS CONTEXT A"
has soc "source screen: corpus next line" "21 B continues"
# not on this machine: the status line says where it looked
tui sog 200x12 ":context $C_GONE|o"
has sog "source screen: missing says so on the status line" "is not in a corpus folder (looked in"
has sog "source screen: missing stays on the context screen" "source: pkg-gone:/usr/share/doc/pkg-gone/missing.txt"
# the help screen lists the key
tui help 100x60 ":context $C_PLAIN|?"
has help "help lists open-source" ":open-source"
