#!/bin/sh
# t-core-escape.sh: an index whose contexts, sources and labels carry
# terminal escape sequences (OSC title, OSC 8 hyperlink, CSI, 8-bit C1
# CSI), bells, NUL bytes, invalid UTF-8, bidi overrides, zero-width
# characters and a 100 kB token. `show`, `search` and `token` must print
# them escaped: no raw ESC, BEL, NUL, other C0/C1 control, bidi override or
# invalid UTF-8 byte may reach stdout or stderr, in text or --json output.
. "$(dirname "$0")/lib.sh"

# Records: feature 0 fires on the hostile token of each, feature 1 on a
# 100 kB token, feature 2 on "INVALID" (later turned into invalid UTF-8).
python3 - "$TMP/hostile.jsonl" <<'PY'
import json, sys
hostile = [
    "\x1b]0;pwned\x07",                     # OSC 0: set the window title
    "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b[2J\x1b[31mred\x1b[0m",            # CSI: clear screen, colour
    "\u009b31mc1",                          # 8-bit CSI (C1)
    "bell\x07\x07",
    "nul\x00byte",
    "\u202eevil\u202c",                     # right-to-left override
    "zero\u200bwidth\u2066iso\u2069\ufeff",
    "\x1bP+q544e\x1b\\",                    # DCS (terminal query)
]
with open(sys.argv[1], "w") as f:
    for i, h in enumerate(hostile):
        toks = ["the", " ", h, " cat", " INVALID", " sat"]
        f.write(json.dumps({"tokens": toks, "source": "src\x1b]0;pwned\x07%d" % i,
                            "acts": [[2, 0, 3.0 + i], [4, 2, 1.0 + i]]}) + "\n")
    f.write(json.dumps({"tokens": ["big", "A" * 102400, "end"], "acts": [[1, 1, 5.0]]}) + "\n")
PY
printf '0\tosc \033]0;pwned\007 label\n1\tbidi \342\200\256 label\n' >"$TMP/labels.tsv"
check "hostile index builds" "$FS" build -o "$TMP/h.sqlite" --labels "$TMP/labels.tsv" "$TMP/hostile.jsonl"

# Turn "INVALID" (7 bytes) into 7 bytes of invalid UTF-8 in the stored
# chunk: a truncated sequence, a lone continuation, an overlong and a
# surrogate, so the text no longer is UTF-8 but its token offsets hold.
python3 - "$TMP/h.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for cid, text in db.execute("SELECT id, text FROM chunks").fetchall():
    db.execute("UPDATE chunks SET text = ? WHERE id = ?",
               (bytes(text).replace(b"INVALID", b"\xff\xc3\x28\x80\xed\xa0\x80"), cid))
db.commit()
PY

# bad_bytes FILE: prints what is wrong with FILE's bytes, nothing when clean.
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
# clean NAME FILE: a check that FILE holds no byte that acts on a terminal
clean() {
	r=$(bad_bytes "$2")
	if [ -z "$r" ]; then ok "$1"; else fail "$1" "$r"; fi
}

"$FS" show "$TMP/h.sqlite" 0 >"$TMP/show0.txt" 2>"$TMP/show0.err"
check_eq "show feature 0 exits 0" 0 $?
clean "show: contexts, sources and label escaped" "$TMP/show0.txt"
clean "show: stderr clean" "$TMP/show0.err"
check_grep "show: OSC shown as \\x1b text" '\\x1b\]0;pwned\\x07' "$TMP/show0.txt"
check_grep "show: bidi override shown as <U+202E>" '<U\+202E>evil' "$TMP/show0.txt"
check_grep "show: zero-width space shown as <U+200B>" 'zero<U\+200B>width' "$TMP/show0.txt"
check_grep "show: NUL shown as \\x00" 'nul\\x00byte' "$TMP/show0.txt"
check_grep "show: C1 CSI shown as <U+009B>" '<U\+009B>31mc1' "$TMP/show0.txt"

"$FS" show "$TMP/h.sqlite" 1 >"$TMP/show1.txt" 2>&1
check_eq "show feature 1 (100 kB token) exits 0" 0 $?
clean "show: 100 kB token output clean" "$TMP/show1.txt"
check_grep "show: 100 kB token is shown" 'AAAAAAAAAA' "$TMP/show1.txt"

"$FS" show "$TMP/h.sqlite" 2 >"$TMP/show2.txt" 2>&1
check_eq "show feature 2 (invalid UTF-8 token) exits 0" 0 $?
clean "show: invalid UTF-8 shown as \\xHH" "$TMP/show2.txt"
check_grep "show: invalid bytes escaped" '\\xff\\xc3\(\\x80\\xed\\xa0\\x80' "$TMP/show2.txt"

for q in pwned evil cat link red; do
	"$FS" search "$TMP/h.sqlite" "$q" >"$TMP/s-$q.txt" 2>&1
	clean "search '$q': output clean" "$TMP/s-$q.txt"
done
check_grep "search: hits listed" '^ +#[0-9]+' "$TMP/s-cat.txt"
"$FS" token "$TMP/h.sqlite" ' cat' >"$TMP/tok.txt" 2>&1
clean "token: output clean" "$TMP/tok.txt"
"$FS" info "$TMP/h.sqlite" >"$TMP/info.txt" 2>&1
clean "info: output clean" "$TMP/info.txt"

# --json: control characters must be JSON escapes, and the output JSON
# (ASCII control bytes are never raw in valid JSON).
for cmd in "show 0" "show 1" "show 2" "search cat" "token the"; do
	set -- $cmd
	"$FS" "$1" --json "$TMP/h.sqlite" "$2" >"$TMP/j.json" 2>"$TMP/j.err"
	r=$(python3 - "$TMP/j.json" <<'PY'
import json, re, sys
b = open(sys.argv[1], "rb").read()
m = re.search(rb"[\x00-\x1f\x7f]", b.replace(b"\n", b""))
if m: print("raw control byte 0x%02x" % m.group()[0]); sys.exit()
try: json.loads(b)
except Exception as e: print("not JSON: %s" % e)
PY
)
	if [ -z "$r" ]; then ok "$cmd --json: valid JSON, no raw control byte"; else fail "$cmd --json" "$r"; fi
done
"$FS" show --json "$TMP/h.sqlite" 2 >"$TMP/j2.json"
check "show 2 --json: contexts with invalid UTF-8 keep their text (as escapes)" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ex = d["examples"] if "examples" in d else d["top"]
assert all("text" in e and e["text"] for e in ex), [e.keys() for e in ex]' "$TMP/j2.json"

# export: contexts from the index and the user's own label, note and tags
# (which an import can fill from foreign files) in every format.
check "notes set: hostile label, note and tag" "$FS" notes set "$TMP/h.sqlite" 0 --notes "$TMP/n.sqlite" --label "$(printf 'lab \033]0;pwned\007 \342\200\256x')" \
	--note "$(printf 'line1\nbell\007 \033[2J')" --tag "$(printf 't\342\200\256q')" --bookmark
for fmt in text markdown tsv; do
	"$FS" export "$TMP/h.sqlite" --notes "$TMP/n.sqlite" --format $fmt --contexts 5 >"$TMP/x.$fmt" 2>&1
	clean "export --format $fmt: output clean" "$TMP/x.$fmt"
done
check_grep "export text: hostile context shown escaped" '\\x1b\]0;pwned' "$TMP/x.text"
check_grep "export text: the user's label kept, escaped" 'lab \\x1b\]0;pwned\\x07 <U\+202E>x' "$TMP/x.text"
"$FS" export "$TMP/h.sqlite" --notes "$TMP/n.sqlite" --format json --contexts 5 >"$TMP/x.json"
check "export --format json: valid JSON, no raw control byte" python3 -c '
import json, re, sys
b = open(sys.argv[1], "rb").read()
assert not re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", b), "raw control byte"
d = json.loads(b)
assert any("pwned" in f.get("label", "") for f in d["features"]), "label lost"' "$TMP/x.json"

# A bad JSON record that itself holds raw escape sequences: the error
# quotes the input, escaped, on one line.
printf '{"tokens": ["a\\u20\033]0;pwned\007\ne"], "acts": []}\n' >"$TMP/badesc.jsonl"
check_exit "bad JSON with raw escapes: exit 2" 2 "$FS" build -o "$TMP/b.sqlite" "$TMP/badesc.jsonl"
check_eq "bad JSON with raw escapes: one-line message" 1 "$(wc -l <"$TMP/.err")"
clean "bad JSON with raw escapes: message escaped" "$TMP/.err"

# ---- The browser, in a real terminal: a private tmux server runs
# `featscope INDEX`; we open the hostile features and check that nothing
# reached the terminal: the pane title did not change to 'pwned', no bell
# rang, the screen was not cleared or shifted, every line fits the width.
# A control pane that prints the same bytes raw proves each probe works.
if ! command -v tmux >/dev/null 2>&1; then
	fail "tmux present" "tmux is not installed (bootstrap installs it)"
	exit 0
fi
SOCK=fs-rel-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT
TERMNAME=tmux-256color
infocmp "$TERMNAME" >/dev/null 2>&1 || TERMNAME=screen-256color
W=100 H=30
# fits FILE: every line of FILE is at most $W characters (columns of a
# captured pane: counted in characters, not bytes, as a '…' is 3 bytes)
fits() {
	python3 -c 'import sys; w = int(sys.argv[2]); sys.exit(any(len(l.rstrip("\n")) > w for l in open(sys.argv[1], encoding="utf-8", errors="replace")))' "$1" "$W"
}
# wait_for NAME PATTERN: poll the fs pane until grep -E finds PATTERN.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		tm capture-pane -p -t fs:0 >"$TMP/pane" 2>/dev/null
		if grep -Eq -- "$2" "$TMP/pane"; then ok "$1"; return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	fail "$1" "no /$2/ on screen: $(head -c 600 "$TMP/pane" | tr '\n' '~')"
	return 1
}
# fs window 0 runs the browser; window 1 (selected) keeps the bell flag of
# window 0 visible; window 2 is the control pane.
tm new-session -d -s fs -x $W -y $H -n browser \
	"env TERM=$TERMNAME LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=$HOME $FS $TMP/h.sqlite; sleep 30"
tm set-option -wg monitor-bell on
tm set-option -g bell-action any
tm set-option -g allow-rename on
tm new-window -d -t fs:1 -n idle "sleep 60"
tm new-window -d -t fs:2 -n control "sleep 60"
tm select-window -t fs:1
title0=$(tm display -p -t fs:0 '#{pane_title}')

# Control: raw bytes in a pane do set the title and ring the bell.
tm respawn-pane -k -t fs:2 "printf '\033]0;pwned\007'; sleep 0.2; printf '\007'; sleep 60"
sleep 0.5
check_eq "tmux control: a raw OSC 0 sets the pane title" pwned "$(tm display -p -t fs:2 '#{pane_title}')"
check_eq "tmux control: a raw BEL sets the bell flag" 1 "$(tm display -p -t fs:2 '#{window_bell_flag}')"

wait_for "tui: hostile index opens" 'features' || exit 0
tm send-keys -t fs:0 Enter
wait_for "tui: feature 0 opens" 'top activations'
sleep 0.5
tm capture-pane -p -t fs:0 >"$TMP/f0.txt"
tm capture-pane -p -e -t fs:0 >"$TMP/f0-e.txt"
check_grep "tui: OSC title sequence shown as text" 'x1b\]0;pwned' "$TMP/f0.txt"
check_eq "tui: pane title unchanged (no OSC reached tmux)" "$title0" "$(tm display -p -t fs:0 '#{pane_title}')"
check_eq "tui: no bell rang" 0 "$(tm display -p -t fs:0 '#{window_bell_flag}')"
check_nogrep "tui: no hyperlink or OSC in the rendered cells" "$(printf '\033')\]" "$TMP/f0-e.txt"
check_grep "tui: first line is still the header (screen not cleared or scrolled)" 'feature 0' "$(head -3 "$TMP/f0.txt" >"$TMP/f0-head"; echo "$TMP/f0-head")"
fits "$TMP/f0.txt" && ok "tui: every line fits $W columns" || fail "tui: every line fits" "a line is wider than $W"
check_eq "tui: the pane still has $H lines" $H "$(wc -l <"$TMP/f0.txt")"

# The 100 kB token and the invalid UTF-8 feature.
tm send-keys -t fs:0 q
wait_for "tui: back to the list" 'features'
tm send-keys -t fs:0 j Enter
wait_for "tui: 100 kB token feature opens" 'top activations'
tm capture-pane -p -t fs:0 >"$TMP/f1.txt"
fits "$TMP/f1.txt" && ok "tui: 100 kB token: every line fits" || fail "tui: 100 kB token: every line fits" "a line is wider than $W"
check_eq "tui: 100 kB token: $H lines" $H "$(wc -l <"$TMP/f1.txt")"
tm send-keys -t fs:0 q
wait_for "tui: back to the list again" 'features'
tm send-keys -t fs:0 j Enter
wait_for "tui: invalid UTF-8 feature opens" 'feature 2 '
wait_for "tui: invalid UTF-8 feature drawn" 'top activations'
tm capture-pane -p -t fs:0 >"$TMP/f2.txt"
check_grep "tui: invalid bytes shown escaped" '\\xff|\\xc3|\\xed' "$TMP/f2.txt"
check_grep "tui: zero-width space shown as <U+200B>" '<U\+200B>width' "$TMP/f2.txt"
check_grep "tui: bidi override shown as <U+202E>" '<U\+202E>evil' "$TMP/f2.txt"
check_eq "tui: pane title still unchanged" "$title0" "$(tm display -p -t fs:0 '#{pane_title}')"
check_eq "tui: still no bell" 0 "$(tm display -p -t fs:0 '#{window_bell_flag}')"
tm send-keys -t fs:0 Q
tm kill-server >/dev/null 2>&1
