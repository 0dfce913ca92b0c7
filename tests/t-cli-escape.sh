#!/bin/sh
# t-cli-escape.sh: the one escaping rule (src/core/escape.c) on every
# output. Every control and format character Python's unicodedata knows
# (categories Cc, Cf, Zl, Zp: the independent reference for the table) is
# planted in a label; a dictionary is named with an escape sequence; notes,
# tags and list names carry ESC, C1, bidi and zero-width characters. Then:
# show, search (and its notes lines), token, grep, neighbours, clusters,
# notes show/list/search/lists, export in every format, error messages and
# the TUI print each of them escaped the same way (C0 as \xHH, DEL \x7f,
# the rest <U+XXXX>; a backslash as it is), JSON escapes them as \uXXXX and
# still reads back to the original text, and no raw ESC/CSI/OSC/C1/bidi
# byte reaches any output.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

FIXIX=$(fixture_index) || { fail esc-fixture "fixture index not built"; exit 0; }
FD=$(dirname "$FIXIX")
ESC=$(printf '\033')
SAE="d${ESC}[2Jx"

# The label of feature 1: every dangerous code point between x's, and a
# backslash-n that is text. expected.txt: the same as the rule writes it,
# computed here from unicodedata, not from featscope.
python3 - "$TMP/labels.tsv" "$TMP/expected.txt" "$TMP/cps.txt" <<'PY'
import sys, unicodedata
cps = [c for c in range(0x110000)
       if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")
       and c not in (0, 9, 10, 13)]
def esc(c):
    if c < 0x20: return "\\x%02x" % c
    if c == 0x7f: return "\\x7f"
    return "<U+%04X>" % c
label = "x" + "x".join(chr(c) for c in cps) + "x back\\n slash"
want = "x" + "x".join(esc(c) for c in cps) + "x back\\n slash"
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    f.write("1\t" + label + "\n")
    f.write("0\ta\u200db\u00adc\u2060d\x1b[2Je\u202ef\u009bg\n")
open(sys.argv[2], "w", encoding="utf-8").write(want)
open(sys.argv[3], "w").write(" ".join("%x" % c for c in cps))
PY
check "esc: hostile index builds" "$FS" build -o "$TMP/h.sqlite" --sae "$SAE" --decoder "$FD/decoder.npy" \
	--labels "$TMP/labels.tsv" --no-progress "$FD/records.jsonl"
IX=$TMP/h.sqlite
# the short hostile label of feature 0, escaped (for the list screens)
SHORT='a<U+200D>b<U+00AD>c<U+2060>d\x1b[2Je<U+202E>f<U+009B>g'

# raw_check NAME FILE: no raw C0 (but tab and newline), DEL, C1, invalid
# UTF-8, or any Cf/Zl/Zp code point in FILE.
raw_check() {
	python3 - "$2" <<'PY' >"$TMP/raw.why"
import sys, unicodedata
b = open(sys.argv[1], "rb").read()
try:
    s = b.decode("utf-8")
except UnicodeDecodeError as e:
    print("invalid UTF-8 at byte %d" % e.start); sys.exit()
for i, ch in enumerate(s):
    c = ord(ch)
    if ch in "\t\n": continue
    if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
        print("raw U+%04X at %d: %r" % (c, i, s[max(0, i - 20):i + 20])); sys.exit()
PY
	if [ -s "$TMP/raw.why" ]; then fail "$1" "$(cat "$TMP/raw.why")"; else ok "$1"; fi
}

# --- show: the label line is exactly the expected escaping
"$FS" show "$IX" "$SAE/1" >"$TMP/show.txt" 2>"$TMP/show.err"
check_eq esc-show-exit 0 $?
check_eq esc-show-label "label:      $(cat "$TMP/expected.txt")  [labels]" "$(grep '^label:' "$TMP/show.txt")"
raw_check esc-show-raw "$TMP/show.txt"
raw_check esc-show-stderr-raw "$TMP/show.err"
check_grep esc-show-backslash-not-doubled 'back\\n slash' "$TMP/show.txt"
check_nogrep esc-show-backslash-doubled 'back\\\\n' "$TMP/show.txt"
"$FS" show "$IX" "$SAE/0" >"$TMP/show0.txt"
check_eq esc-show-short "label:      $SHORT  [labels]" "$(grep '^label:' "$TMP/show0.txt")"

# --- JSON: the label reads back as it was, and no raw dangerous character
"$FS" show "$IX" "$SAE/1" --json >"$TMP/show.json"
raw_check esc-show-json-raw "$TMP/show.json"
check_eq esc-show-json-roundtrip yes "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
lab = open(sys.argv[2], encoding="utf-8", newline="").read().split("\n")[0].split("\t", 1)[1]
print("yes" if d["label"] == lab and d["sae"] == sys.argv[3] else "no: %r" % d["label"][:80])' \
	"$TMP/show.json" "$TMP/labels.tsv" "$SAE")"
# escaped as \uXXXX (upper-case hex, as jansson writes C0), not as raw bytes
check_grep esc-show-json-u '\\u200B' "$TMP/show.json"
check_grep esc-show-json-c1 '\\u009B' "$TMP/show.json"

# --- the dictionary name: info, neighbours, clusters (text and JSON)
for c in "info $IX" "neighbours $IX $SAE/1" "clusters $IX" "search $IX Gate" "token $IX Gate" "grep $IX Gate"; do
	name=$(echo "$c" | cut -d' ' -f1)
	# shellcheck disable=SC2086
	"$FS" $c >"$TMP/c.txt" 2>&1
	raw_check "esc-$name-raw" "$TMP/c.txt"
	# shellcheck disable=SC2086
	"$FS" $c --json >"$TMP/c.json" 2>&1
	raw_check "esc-$name-json-raw" "$TMP/c.json"
	check "esc-$name-json-parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/c.json"
done
"$FS" neighbours "$IX" "$SAE/1" >"$TMP/nb.txt"
check_grep esc-neighbours-name 'in d\\x1b\[2Jx by decoder cosine' "$TMP/nb.txt"
"$FS" clusters "$IX" >"$TMP/cl.txt"
check_grep esc-clusters-name '^d\\x1b\[2Jx: [0-9]+ top-level clusters' "$TMP/cl.txt"

# --- grep --json keeps the label of a feature whose label is not UTF-8
cp "$IX" "$TMP/bad.sqlite"
python3 - "$TMP/bad.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE features SET label = CAST(? AS BLOB) WHERE idx = 5", (b"Gate \xff\xfe label",))
db.commit()
PY
"$FS" grep "$TMP/bad.sqlite" Gate --json >"$TMP/bad.json"
check_eq esc-grep-json-invalid-label 'Gate \xff\xfe label' "$(python3 -c '
import json, sys
f = [f for f in json.load(open(sys.argv[1]))["features"] if f["feature"].endswith("/5") or f["feature"] == "5"]
print(f[0].get("label", "NO LABEL KEY") if f else "no feature 5")' "$TMP/bad.json")"
"$FS" show "$TMP/bad.sqlite" "$SAE/5" --json >"$TMP/bad-show.json"
check_eq esc-show-json-invalid-label 'Gate \xff\xfe label' "$(python3 -c '
import json, sys; print(json.load(open(sys.argv[1]))["label"])' "$TMP/bad-show.json")"

# --- notes: hostile label, note, tags and list name
NOTES=$TMP/n.sqlite
HN="note ${ESC}]0;title$(printf '\007') with $(printf '\342\200\256')rtl and $(printf '\302\233')c1"
check esc-notes-set "$FS" notes set "$IX" "$SAE/0" --notes "$NOTES" --label "lab$(printf '\342\200\213')el" \
	--note "$HN" --tag "t$(printf '\342\201\240')ag" --bookmark
check esc-notes-list-add "$FS" notes list-add "$IX" "L1" "$SAE/0" --notes "$NOTES" --description "desc${ESC}[31m"
for c in "notes show $IX $SAE/0" "notes list $IX" "notes search $IX note" "notes lists $IX" "search $IX lab"; do
	name=$(echo "$c" | tr ' ' '\n' | sed -n 2p)
	[ "$name" = "$IX" ] && name=search
	# shellcheck disable=SC2086
	"$FS" $c --notes "$NOTES" >"$TMP/n.txt" 2>&1
	raw_check "esc-notes-$name-raw" "$TMP/n.txt"
	# shellcheck disable=SC2086
	"$FS" $c --notes "$NOTES" --json >"$TMP/n.json" 2>&1
	raw_check "esc-notes-$name-json-raw" "$TMP/n.json"
done
"$FS" notes show "$IX" "$SAE/0" --notes "$NOTES" >"$TMP/ns.txt"
check_grep esc-notes-show-note '^    note \\x1b\]0;title\\x07 with <U\+202E>rtl and <U\+009B>c1$' "$TMP/ns.txt"
check_grep esc-notes-show-auto "^auto: +$(printf '%s' "$SHORT" | sed 's/[][\\.+*]/\\&/g')$" "$TMP/ns.txt"
"$FS" notes show "$IX" "$SAE/0" --notes "$NOTES" --json >"$TMP/ns.json"
check_eq esc-notes-json-roundtrip yes "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); print("yes" if d["note"] == sys.argv[2] else "no: %r" % d["note"])' "$TMP/ns.json" "$HN")"
"$FS" search "$IX" lab --notes "$NOTES" >"$TMP/sn.txt"
check_grep esc-search-notes-line 'lab<U\+200B>el$' "$TMP/sn.txt"

# --- export: every format, no raw byte; the same escaping as show
for f in text markdown tsv json; do
	"$FS" export "$IX" --notes "$NOTES" --format $f >"$TMP/x.$f" 2>&1
	check_eq "esc-export-$f-exit" 0 $?
	raw_check "esc-export-$f-raw" "$TMP/x.$f"
done
check_grep esc-export-text-label "^auto label:  $(sed 's/[][\\.+*^$]/\\&/g' "$TMP/expected.txt")$" "$TMP/x.text"
check_grep esc-export-text-note '^    note \\x1b\]0;title\\x07 with <U\+202E>rtl and <U\+009B>c1$' "$TMP/x.text"
check_eq esc-export-json-roundtrip yes "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = [f for f in d["features"] if f["feature"].endswith("/0")][0]
print("yes" if f["note"] == sys.argv[2] and d["lists"][0]["description"].startswith("desc\x1b") else "no")' "$TMP/x.json" "$HN")"
# TSV escapes reversibly: importing it back gives the note byte for byte
check esc-tsv-reimport "$FS" notes import "$TMP/x.tsv" "$IX" --notes "$TMP/n2.sqlite"
"$FS" notes show "$IX" "$SAE/0" --notes "$TMP/n2.sqlite" --json >"$TMP/n2.json"
check_eq esc-tsv-roundtrip yes "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); print("yes" if d["note"] == sys.argv[2] else "no: %r" % d["note"])' "$TMP/n2.json" "$HN")"

# --- error messages echo file names and arguments escaped
"$FS" show "$TMP/no${ESC}]0;x$(printf '\007')file" 1 >"$TMP/e.out" 2>"$TMP/e.err"
raw_check esc-error-filename-raw "$TMP/e.err"
check_grep esc-error-filename 'no\\x1b\]0;x\\x07file' "$TMP/e.err"
"$FS" show "$IX" "9${ESC}[2J" >"$TMP/e.out" 2>"$TMP/e.err"
raw_check esc-error-argument-raw "$TMP/e.err"
"$FS" "bo${ESC}[2Jgus" >"$TMP/e.out" 2>"$TMP/e.err"
check_grep esc-unknown-command-escaped "^featscope: unknown command 'bo\\\\x1b\[2Jgus'" "$TMP/e.err"
"$FS" grep "$IX" Gate "--li$(printf '\302\233')mit=3" >"$TMP/e.out" 2>"$TMP/e.err"
raw_check esc-error-option-raw "$TMP/e.err"
check_grep esc-error-option 'unknown option .--li<U\+009B>mit' "$TMP/e.err"

# --- the TUI: the list screen shows the short label escaped the same way
printf ':save-display %s\n' "$TMP/list.out" >"$TMP/list.keys"
FEATSCOPE_SCRIPT=$TMP/list.keys FEATSCOPE_SIZE=160x20 TERM=xterm-256color "$FS" "$IX" >/dev/null 2>"$TMP/tui.err"
check_eq esc-tui-exit 0 $?
check_grep esc-tui-list-label "$(printf '%s' "$SHORT" | sed 's/[][\\.+*]/\\&/g')" "$TMP/list.out"
raw_check esc-tui-list-raw "$TMP/list.out"
