#!/bin/sh
# t-live-tui.sh: the live screens, headless (FEATSCOPE_SCRIPT): the prompt
# screen analyses typed text and lists the token's features (a DNA string
# shows DNA features, opened from the page of a DNA feature found by
# grep), the steering screen shows both continuations and regenerates;
# an index without a model says so on the status line and keeps running.
. "$(dirname "$0")/lib.sh"

D=$TMP/demo
mkdir -p "$D"
cp "$S/data/demo.sqlite" "$S/data/demo-lm.bin" "$S/data/demo-sae-res4k.bin" "$D/"
IX=$D/demo.sqlite
"$B/featscope" attach "$IX" --model "$D/demo-lm.bin" --sae "res4k=$D/demo-sae-res4k.bin" >/dev/null
F=$("$B/featscope" grep --json --sae res4k --limit 50 "$IX" '[ACGT]{12,}' | python3 -c '
import json, sys
print([f for f in json.load(sys.stdin)["features"] if f["precision"] >= 0.8][0]["feature"])')

run() { # NAME KEYS (lines separated by |)
	printf '%s\n' "$2" | tr '|' '\n' >"$TMP/$1.keys"
	FEATSCOPE_SCRIPT=$TMP/$1.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color "$FS" "$IX" >/dev/null 2>"$TMP/$1.err"
}
run prompt "#$F<Enter>|A|GATTACAGATTACAACGTTGCA|:save-display $TMP/p1|<Down>|:save-display $TMP/p2|<Esc>|Q"
check_eq "prompt screen: runs and quits" 0 $?
check_grep "prompt screen: 22 tokens analysed, coloured by the pinned feature" "22 tokens, colour: $F \(pinned\)" "$TMP/p1"
check_grep "prompt screen: the token under the cursor is listed" "^ token 21 A" "$TMP/p1"
# (the labeller names DNA features "DNA bases: ..." or, on sequence
# lines, "nucleotide sequence line: ...")
check_grep "prompt screen: its features are DNA features" "^ +[0-9.]+  [a-z0-9]+/[0-9]+ +(DNA bases|nucleotide sequence line)" "$TMP/p1"
check "prompt screen: Down selects the next feature (the list stays)" grep -Eq "DNA bases|nucleotide sequence line" "$TMP/p2"

run steer "#$F<Enter>|S|:save-display $TMP/s1|v|0<Enter>|:save-display $TMP/s2|r|:save-display $TMP/s3|Q"
check_eq "steer screen: runs and quits" 0 $?
check_grep "steer screen: the feature at twice its largest activation" "^  $F +=  +[0-9.]+  (DNA|nucleotide sequence line)" "$TMP/s1"
check "steer screen: the steered column holds DNA" python3 -c '
import re, sys
rows = open(sys.argv[1]).read().split("\n--\n")[0].split("\n")[6:]
steered = "".join(r[50:] for r in rows)
plain = "".join(r[:49] for r in rows)
assert re.search("[ACGT]{8,}", steered) and not re.search("[ACGT]{8,}", plain), (plain, steered)
' "$TMP/s1"
check_grep "steer screen: v 0 ablates" "^  $F += +0.000 \(ablated\)" "$TMP/s2"
check_grep "steer screen: r moves to the next seed" "clamp, seed 2" "$TMP/s3"

FIX=$(fixture_index) || { fail "fixture index" "fixture_index failed"; exit 1; }
printf 'A\n:save-display %s/n1\nabc\n<Esc>\nS\n:save-display %s/n2\nQ\n' "$TMP" "$TMP" >"$TMP/nomodel.keys"
FEATSCOPE_SCRIPT=$TMP/nomodel.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color "$FS" "$FIX" >/dev/null 2>"$TMP/nomodel.err"
check_eq "no model: the browser keeps running" 0 $?
check_grep "no model: the prompt screen says so" "no model attached" "$TMP/n1"
check_grep "no model: the steering screen says so" "no model attached" "$TMP/n2"

# the model loads in the live screens' workers: a dictionary whose bytes
# changed since attach is reported on the screen and the status line, and
# the browser goes on
cp "$D/demo-sae-res4k.bin" "$D/sae.keep"
printf 'x' >>"$D/demo-sae-res4k.bin"
run badsae "A|abc|:save-display $TMP/b1|<Esc>|:save-display $TMP/b2|S|:save-display $TMP/b3|Q"
check_eq "changed weights: the browser keeps running" 0 $?
check_grep "changed weights: the prompt screen names the file and its size" "demo-sae-res4k.bin: [0-9]+ bytes, but the index records" "$TMP/b1"
check_grep "changed weights: back on the list after Esc" "features" "$TMP/b2"
check_grep "changed weights: the steering screen (loading in its worker too) says so" "demo-sae-res4k.bin: [0-9]+ bytes, but the index records" "$TMP/b3"
mv "$D/sae.keep" "$D/demo-sae-res4k.bin"

# the ablation effect on the feature page
printf '#%s<Enter>\n<Enter>\nE\n:save-display %s/f1\nQ\n' "$F" "$TMP" >"$TMP/abl.keys"
FEATSCOPE_SCRIPT=$TMP/abl.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color "$FS" "$IX" >/dev/null 2>"$TMP/abl.err"
check_grep "feature page: E shows the ablation effect on the top context" "^ ablated on the top context: mean change in log p\(next token\) -0\.[0-9]+ nats" "$TMP/f1"
check_grep "feature page: the tokens that lost most are listed" "^   token +[0-9]+ [ACGT] +-0\.[0-9]+" "$TMP/f1"
