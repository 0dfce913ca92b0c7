#!/bin/sh
# t-cli-hostile2.sh: issue 31's findings on the command line:
# `family` and `compare` print dictionary names from the index (untrusted)
# escaped, in text and in JSON; `-o` that names one of a command's inputs
# (or a file of an input folder) is refused, one line, exit 2, the input
# untouched (build, build's imports, export, harvest); a NUL character in
# an imported JSON note is one user's line naming the file and the field,
# not jansson's flag.
. "$(dirname "$0")/lib.sh"

# bad_bytes FILE: what in FILE would act on a terminal (nothing when clean)
bad_bytes() {
	python3 - "$1" <<'PY'
import sys, re
b = open(sys.argv[1], "rb").read()
m = re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", b)
if m:
    print("control byte 0x%02x at %d" % (m.group()[0], m.start())); sys.exit()
try:
    s = b.decode("utf-8")
except UnicodeDecodeError as e:
    print("invalid UTF-8 at %d" % e.start); sys.exit()
m = re.search("[\u0080-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]", s)
if m:
    print("invisible/C1 U+%04X at %d" % (ord(m.group()), m.start()))
PY
}
clean() {
	r=$(bad_bytes "$2")
	if [ -z "$r" ]; then ok "$1"; else fail "$1" "$r"; fi
}

# --- item 2: dictionary names with terminal escapes -------------------
D=$TMP/cf
mkdir -p "$D"
if ! "$B/tests/comparefix" "$D" >/dev/null 2>"$TMP/fix.err"; then
	fail "comparefix" "$(head -c 300 "$TMP/fix.err")"
	exit 1
fi
IX=$D/cmp.sqlite
# w gets an OSC title sequence and a bidi override in its name; nodec is
# made wider than n (so family meets it and skips it: the note line) and
# gets a CSI colour and a C1 CSI
python3 - "$IX" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE saes SET name = ? WHERE name = 'w'", ("w\x1b]0;pwned\x07\u202eevil",))
db.execute("UPDATE saes SET name = ?, n_features = 300 WHERE name = 'nodec'", ("nd\x1b[31mred\u009b1m",))
db.commit()
PY
"$FS" family "$IX" n/3 >"$TMP/fam.txt" 2>"$TMP/fam.err"
check_eq "family with hostile names: exit 0" 0 $?
clean "family: text output escaped" "$TMP/fam.txt"
clean "family: stderr clean" "$TMP/fam.err"
check_grep "family: the wider dictionary's name shown escaped in the header" '^family of n/3 over w\\x1b\]0;pwned\\x07<U\+202E>evil \(80' "$TMP/fam.txt"
check_grep "family: the child's name shown escaped in the tree" '^\|- w\\x1b\]0;pwned\\x07<U\+202E>evil/10  cos' "$TMP/fam.txt"
check_grep "family: the skipped dictionary's name escaped in the note" "^note: dictionary 'nd\\\\x1b\[31mred<U\+009B>1m' skipped: no stored decoder" "$TMP/fam.txt"
"$FS" family --json "$IX" n/3 >"$TMP/fam.json" 2>"$TMP/famj.err"
check_eq "family --json with hostile names: exit 0" 0 $?
clean "family --json: output escaped" "$TMP/fam.json"
check "family --json: the names and the note read back exactly" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
w = "w\x1b]0;pwned\x07\u202eevil"
assert d["levels"][0]["sae"] == w, d["levels"][0]
assert d["tree"]["children"][0]["sae"] == w, d["tree"]["children"][0]["sae"]
assert d["note"] == "dictionary %r skipped: no stored decoder" % "nd\x1b[31mred\u009b1m" or \
       d["note"] == "dictionary '"'"'nd\x1b[31mred\u009b1m'"'"' skipped: no stored decoder", d["note"]
' "$TMP/fam.json"

W=$(printf 'w\033]0;pwned\007\342\200\256evil')
"$FS" compare "$IX" n "$W" >"$TMP/cmp.txt" 2>"$TMP/cmp.err"
check_eq "compare with a hostile name: exit 0" 0 $?
clean "compare: text output escaped" "$TMP/cmp.txt"
clean "compare: stderr clean" "$TMP/cmp.err"
check_grep "compare: the name shown escaped in the heading" '^compare n \(28 features\) with w\\x1b\]0;pwned\\x07<U\+202E>evil \(80 features\)' "$TMP/cmp.txt"
check_grep "compare: the name shown escaped in the pair rows" '^  n/[0-9]+ +w\\x1b\]0;pwned\\x07<U\+202E>evil/[0-9]+ ' "$TMP/cmp.txt"
"$FS" compare --json "$IX" n "$W" >"$TMP/cmp.json" 2>&1
clean "compare --json: output escaped" "$TMP/cmp.json"
check "compare --json: the name reads back exactly" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["b"]["sae"] == "w\x1b]0;pwned\x07\u202eevil", d["b"]' "$TMP/cmp.json"
cp "$IX" "$TMP/two.sqlite"
"$FS" compare "$IX:n" "$TMP/two.sqlite:$W" >"$TMP/cmp2.txt" 2>"$TMP/cmp2.err"
check_eq "compare across files with a hostile name: exit 0" 0 $?
clean "compare across files: text output escaped" "$TMP/cmp2.txt"
"$FS" compare "$IX" "$W" nosuch >"$TMP/cmp3.txt" 2>"$TMP/cmp3.err"
check_eq "compare: an unknown name exits 2" 2 $?
clean "compare: the error line escaped" "$TMP/cmp3.err"

# --- item 21: a NUL character (\u0000) in an imported JSON note --------
FIX=$(fixture_index) || { fail rel-hostile2-fixture "fixture_index failed"; exit 1; }
printf '{"features": [{"feature": "fix/0", "label": "ok"}, {"feature": "fix/1", "note": "a\\u0000b"}]}\n' >"$TMP/nul.json"
check_exit "notes import: a NUL in a note exits 2" 2 "$FS" notes import "$TMP/nul.json" "$FIX" --notes "$TMP/nul-notes.sqlite"
check_grep "notes import: the NUL named for the user, with the file and the field" \
	"^featscope: $TMP/nul.json: features\[1\]: note: a NUL character \(\\\\u0000\) is not allowed" "$TMP/.err"
check_nogrep "notes import: no library flag in the message" 'JSON_ALLOW_NUL' "$TMP/.err"
check_eq "notes import: one line" 1 "$(wc -l <"$TMP/.err")"
check_grep "notes import: nothing imported (not the other feature's label either)" '"label": ""' \
	"$("$FS" notes show --json --notes "$TMP/nul-notes.sqlite" "$FIX" fix/0 >"$TMP/nul-show.json" 2>&1; echo "$TMP/nul-show.json")"
printf '{"features": [{"feature": "fix/1", "tags": ["a\\u0000b"]}]}\n' >"$TMP/nul2.json"
check_exit "notes import: a NUL in a tag exits 2" 2 "$FS" notes import "$TMP/nul2.json" "$FIX" --notes "$TMP/nul-notes.sqlite"
check_grep "notes import: a NUL in a tag named with its field" "features\[0\]: tags\[0\]: a NUL character" "$TMP/.err"
printf '{"features": [{"feature": "fix/1", "note": "fine", "contexts": ["x\\u0000y"]}]}\n' >"$TMP/nul3.json"
check "notes import: a NUL in a field import does not read (an exported context) is no error" \
	"$FS" notes import "$TMP/nul3.json" "$FIX" --notes "$TMP/nul-notes.sqlite"

# --- item 11: -o naming one of the inputs ------------------------------
# untouched NAME FILE COPY: FILE still holds COPY's bytes
untouched() { if cmp -s "$2" "$3"; then ok "$1"; else fail "$1" "$2 was changed"; fi; }
FD=$(dirname "$FIX")
O=$TMP/out
mkdir -p "$O"
head -n 40 "$FD/records.jsonl" >"$O/r.jsonl"
cp "$O/r.jsonl" "$O/r.keep"
check_exit "build -o the records file: exit 2" 2 "$FS" build --no-progress -o "$O/r.jsonl" "$O/r.jsonl"
check_grep "build -o the records file: one line that says so" "^featscope: build: -o $O/r.jsonl: it is the input $O/r.jsonl" "$TMP/.err"
check_eq "build -o the records file: one line" 1 "$(wc -l <"$TMP/.err")"
untouched "build -o the records file: the records untouched" "$O/r.jsonl" "$O/r.keep"
ln -s r.jsonl "$O/link.jsonl"
check_exit "build -o a link to the records: exit 2" 2 "$FS" build --no-progress -o "$O/link.jsonl" "$O/r.jsonl"
untouched "build -o a link to the records: the records untouched" "$O/r.jsonl" "$O/r.keep"
cp "$FD/labels.tsv" "$O/labels.tsv"
check_exit "build -o the --labels file: exit 2" 2 "$FS" build --no-progress -o "$O/labels.tsv" --labels "$O/labels.tsv" "$O/r.jsonl"
untouched "build -o the --labels file: untouched" "$O/labels.tsv" "$FD/labels.tsv"
cp "$FD/decoder.npy" "$O/dec.npy"
check_exit "build -o the --decoder of a second dictionary: exit 2" 2 "$FS" build --no-progress -o "$O/dec.npy" \
	--sae a "$O/r.jsonl" --and --sae b --decoder "$O/dec.npy" "$O/r.jsonl"
untouched "build -o the --decoder: untouched" "$O/dec.npy" "$FD/decoder.npy"
check "build -o a new file beside the inputs still builds" "$FS" build --no-progress -o "$O/new.sqlite" "$O/r.jsonl"
check "build -o an existing index that is no input still rebuilds it" "$FS" build --no-progress -o "$O/new.sqlite" "$O/r.jsonl"
# an import: a folder of another tool's files, -o one of its files
mkdir -p "$TMP/np"
cp -r "$S/tests/fixtures/import/neuronpedia/." "$TMP/np/"
cp -r "$TMP/np" "$TMP/np.keep"
victim=$(find "$TMP/np" -type f | sort | head -n 1)
check_exit "build (import) -o a file of the input folder: exit 2" 2 "$FS" build --no-progress -o "$victim" "$TMP/np"
check_grep "build (import) -o a file of the input folder: says so" "^featscope: build: -o .*: it is a file of the input folder $TMP/np" "$TMP/.err"
check "build (import) -o a file of the input folder: the folder untouched" diff -r "$TMP/np" "$TMP/np.keep"
# export reads the index (and its notes): -o either is refused
cp "$FIX" "$O/ix.sqlite"
cp "$FIX" "$O/ix.keep"
check_exit "export -o the index: exit 2" 2 "$FS" export -o "$O/ix.sqlite" "$O/ix.sqlite"
check_grep "export -o the index: says so" "^featscope: export: -o $O/ix.sqlite: it is the input $O/ix.sqlite" "$TMP/.err"
untouched "export -o the index: the index untouched" "$O/ix.sqlite" "$O/ix.keep"
"$FS" notes set --notes "$O/n.sqlite" "$O/ix.sqlite" fix/0 --label kept >/dev/null 2>&1
cp "$O/n.sqlite" "$O/n.keep"
check_exit "export -o the notes database: exit 2" 2 "$FS" export --notes "$O/n.sqlite" -o "$O/n.sqlite" "$O/ix.sqlite"
untouched "export -o the notes database: untouched" "$O/n.sqlite" "$O/n.keep"
check "export -o a new file still writes it" "$FS" export -o "$O/x.txt" "$O/ix.sqlite"

# harvest: -o the text, or a file of the model's folder (needs the tiny
# GPT-2 that t-gpt2-harvest.sh makes, which needs PyTorch)
if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 &&
	(cd "$TMP" && /usr/bin/python3 "$S/tests/gpt2_ref.py" harvest-setup "$TMP/h" >/dev/null 2>&1); then
	H=$TMP/h
	printf 'the quick brown fox jumps over the lazy dog, again and again and again\n' >"$H/in.txt"
	cp "$H/in.txt" "$H/in.keep"
	check_exit "harvest -o the text: exit 2" 2 "$FS" harvest --no-progress --model "$H/m" --sae "$H/std" --ctx 16 -o "$H/in.txt" "$H/in.txt"
	check_grep "harvest -o the text: says so" "^featscope: harvest: -o $H/in.txt: it is the input $H/in.txt" "$TMP/.err"
	untouched "harvest -o the text: the text untouched" "$H/in.txt" "$H/in.keep"
	cp "$H/m/model.safetensors" "$H/model.keep"
	check_exit "harvest -o the model's weights: exit 2" 2 "$FS" harvest --no-progress --model "$H/m" --sae "$H/std" --ctx 16 -o "$H/m/model.safetensors" "$H/in.txt"
	check_grep "harvest -o the model's weights: says so" "^featscope: harvest: -o $H/m/model.safetensors: it is a file of the input folder $H/m" "$TMP/.err"
	untouched "harvest -o the model's weights: untouched" "$H/m/model.safetensors" "$H/model.keep"
else
	fail "harvest -o checks" "PyTorch or gpt2_ref.py harvest-setup unavailable (./bootstrap installs python3-torch)"
fi
