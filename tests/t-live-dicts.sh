#!/bin/sh
# t-live-dicts.sh: the live commands on every dictionary of an index
# (issue 32): a feature named with its dictionary (res1k/N, #FID) selects
# that dictionary for steer and analyze; -f F=1e9 is out of range, not
# "not a number"; analyze's short labels end outside a quoted item; a
# GPT-2 config.json with n_positions 1 << 20 runs in bounded memory
# (issue 31).
. "$(dirname "$0")/lib.sh"

D=$TMP/demo
mkdir -p "$D"
cp "$S/data/demo.sqlite" "$S/data/demo-lm.bin" "$S/data/demo-sae-res1k.bin" "$S/data/demo-sae-res4k.bin" "$D/"
IX=$D/demo.sqlite
check "attach res4k and res1k" "$FS" attach "$IX" --model "$D/demo-lm.bin" --sae "res4k=$D/demo-sae-res4k.bin" \
	--sae "res1k=$D/demo-sae-res1k.bin"

# a position feature (its automatic label says so, as the labeller names
# them) is hidden from analyze unless --positions: res4k/398 fires on the
# first tokens of every context
cp "$IX" "$D/pos.sqlite"
sqlite3 "$D/pos.sqlite" "UPDATE features SET label = 'position 0 (first token of the context)', label_source = 'auto'
	WHERE sae = (SELECT id FROM saes WHERE name = 'res4k') AND idx = 398"
"$FS" analyze --sae res4k "$D/pos.sqlite" "GATTACA is DNA" >"$TMP/pos.out" 2>&1
check_nogrep "analyze: a position feature is hidden by default" 'res4k/398=' "$TMP/pos.out"
"$FS" analyze --sae res4k --positions "$D/pos.sqlite" "GATTACA is DNA" >"$TMP/pos2.out" 2>&1
check_grep "analyze --positions: it is shown" '^ +0 .*res4k/398=' "$TMP/pos2.out"
# (the shipped index names res4k/398 by position itself: the copy gets
# an automatic label that is not a position)
cp "$IX" "$D/nopos.sqlite"
sqlite3 "$D/nopos.sqlite" "UPDATE features SET label = 'Hangul syllables', label_source = 'auto'
	WHERE sae = (SELECT id FROM saes WHERE name = 'res4k') AND idx = 398"
"$FS" analyze --sae res4k "$D/nopos.sqlite" "GATTACA is DNA" >"$TMP/pos3.out" 2>&1
check_grep "analyze: the same feature under another label is shown" '^ +0 .*res4k/398=' "$TMP/pos3.out"

# res1k/275 with the default dictionary being res4k
check "steer: a res1k feature by name runs" "$FS" steer "$IX" -f res1k/275=11 -t 8
check_grep "steer: it steers res1k/275" "clamp res1k/275=11" "$TMP/.out"
check_exit "steer: --json with a res1k feature exits 0" 0 "$FS" steer --json "$IX" -f res1k/275=11 -t 4
check_grep "steer: the JSON names the res1k feature" '"res1k/275"' "$TMP/.out"
FID=$("$FS" show --json "$IX" res1k/275 2>/dev/null | grep -oE '"id": *[0-9]+' | head -1 | grep -oE '[0-9]+$')
check "steer: a res1k feature by #FID runs" "$FS" steer --json "$IX" -f "#$FID=11" -t 4
check_grep "steer: #FID steers res1k/275" '"feature": "res1k/275"' "$TMP/.out"
check "analyze: a res1k feature by name runs" "$FS" analyze "$IX" -f res1k/275=5 "The cat sat"
check_grep "analyze: it analyses with res1k" "dictionary res1k" "$TMP/.out"
# a bare number still means the default dictionary's feature
check "analyze: a bare feature number uses the first dictionary" "$FS" analyze "$IX" -f 275=5 "The cat"
check_grep "analyze: that is res4k" "dictionary res4k" "$TMP/.out"
# two dictionaries at once (they read the same point): one pass, both hooks
check "steer: features of two dictionaries run together" "$FS" steer --json "$IX" -f res1k/275=11 -f res4k/1=2 -t 24
check_grep "steer: the JSON lists the res1k feature" '"feature": "res1k/275"' "$TMP/.out"
check_grep "steer: the JSON lists the res4k feature" '"feature": "res4k/1"' "$TMP/.out"
both=$(grep '"steered"' "$TMP/.out" | head -1)
"$FS" steer --json "$IX" -f res1k/275=11 -t 24 >"$TMP/one.json" 2>/dev/null
check "steer: the res4k term changes the res1k steering" test "$both" != "$(grep '"steered"' "$TMP/one.json" | head -1)"
# where it is equivalent: adding 0 in a second dictionary leaves the first's steering, in either order
one=$("$FS" steer --json --mode add "$IX" -f res1k/275=5 -t 24 2>&1 | grep '"steered"' | head -1)
two=$("$FS" steer --json --mode add "$IX" -f res1k/275=5 -f res4k/1=0 -t 24 2>&1 | grep '"steered"' | head -1)
rev=$("$FS" steer --json --mode add "$IX" -f res4k/1=0 -f res1k/275=5 -t 24 2>&1 | grep '"steered"' | head -1)
check_eq "steer: add 0 in res4k beside res1k/275 equals res1k/275 alone" "$one" "$two"
check_eq "steer: the same with the res4k term first" "$one" "$rev"
# two dictionaries at different points (issue 34): res1k made to read
# resid_post.0 (its header's layer), res4k reads resid_post.1; one pass
# runs a hook at each point. In add mode a 0 in either leaves the other's
# steering as it is alone; both together differ from each alone.
/usr/bin/python3 - "$D/demo-sae-res1k.bin" "$D/res1k-l0.bin" <<'PY' || fail "steer-points: setup" "patching the header failed"
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
assert d[:8] == b"FSSAE002" and struct.unpack("<i", d[24:28])[0] == 1
d[24:28] = struct.pack("<i", 0)
open(sys.argv[2], "wb").write(d)
PY
cp "$IX" "$D/pts.sqlite"
check "steer-points: attach res1k at resid_post.0" "$FS" attach "$D/pts.sqlite" --model "$D/demo-lm.bin" \
	--sae "res4k=$D/demo-sae-res4k.bin" --sae "res1k=$D/res1k-l0.bin"
check_grep "steer-points: res1k reads resid_post.0" "sae res1k: .*hook resid_post.0" "$TMP/.out"
st() { "$FS" steer --json --mode add "$D/pts.sqlite" "$@" -t 24 2>"$TMP/pts.err" | grep '"steered"' | head -1; }
both=$(st -f res1k/275=5 -f res4k/1=3)
check_nogrep "steer-points: two points are not refused" "one at a time|different points" "$TMP/pts.err"
check "steer-points: both ran" test -n "$both"
a=$(st -f res1k/275=5); b=$(st -f res4k/1=3)
check_eq "steer-points: res4k/1=0 beside res1k/275 (another layer) equals res1k/275 alone" "$a" "$(st -f res1k/275=5 -f res4k/1=0)"
check_eq "steer-points: res1k/275=0 beside res4k/1 equals res4k/1 alone" "$b" "$(st -f res1k/275=0 -f res4k/1=3)"
check "steer-points: both together differ from res1k alone" test "$both" != "$a"
check "steer-points: both together differ from res4k alone" test "$both" != "$b"
# the harvest on the demo model (issue 34: any architecture), with the
# shipped FSSAE res4k (resid_post.1) and res1k made to read resid_post.0,
# both encoded in one pass: the index builds, names both points, show and
# analyze work on it, and analyze of a stored top context gives the
# stored maximum at its position (the context is the harvest's window)
printf 'The quick brown fox jumps over the lazy dog. GATTACA is DNA, and so is TTAGGC.\n\nSELECT name FROM users WHERE id = 42;\n\nfor (int i = 0; i < 10; i++) { sum += i * i; }\n\nThe cat sat on the mat while the dog slept.\n' >"$D/corpus.txt"
check "demo harvest: runs" "$FS" harvest --model "$D/demo-lm.bin" --sae "$D/demo-sae-res4k.bin" --sae "$D/res1k-l0.bin" \
	--ctx 64 -o "$D/harvest.sqlite" "$D/corpus.txt"
"$FS" info "$D/harvest.sqlite" >"$TMP/hinfo.txt" 2>&1
check_grep "demo harvest: res4k at blocks.1.hook_resid_post" "demo-sae-res4k +4096 features, d_model 128, .*hook blocks.1.hook_resid_post, layer 1" "$TMP/hinfo.txt"
check_grep "demo harvest: res1k-l0 at blocks.0.hook_resid_post" "res1k-l0 +1024 features, d_model 128, .*hook blocks.0.hook_resid_post, layer 0" "$TMP/hinfo.txt"
check_eq "demo harvest: live.model.arch is demo" "demo" "$(sqlite3 "$D/harvest.sqlite" "select value from meta where key = 'live.model.arch'")"
# one token a byte: the bytes of the documents (cut at blank lines, no
# newline at a document's end)
check_eq "demo harvest: one token a byte of text" "$(tr -d '\n' <"$D/corpus.txt" | wc -c | tr -d ' ')" \
	"$(sqlite3 "$D/harvest.sqlite" "select value from meta where key = 'n_tokens'")"
n=$(sqlite3 "$D/harvest.sqlite" "select count(*) from logits")
check "demo harvest: logit effects through the demo's unembedding" test "$n" -gt 0
check "demo harvest: analyze opens it" "$FS" analyze "$D/harvest.sqlite" --sae res1k-l0 "GATTACA is DNA"
/usr/bin/python3 - "$FS" "$D/harvest.sqlite" demo-sae-res4k res1k-l0 <<'PY' || fail "demo harvest: stored check" "the check failed to run"
import json, subprocess, sys
fs, ix, saes = sys.argv[1], sys.argv[2], sys.argv[3:]
for sae in saes:
    n = 0
    worst = 0.0
    for f in range(0, 400, 7):
        r = subprocess.run([fs, "show", ix, "%s/%d" % (sae, f), "--json"], capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL demo harvest: %s show %s/%d: %s" % (sae, sae, f, r.stderr.strip()[:200]))
            sys.exit(0)
        top = json.loads(r.stdout)["top"]
        if not top:
            continue
        ex = top[0]
        a = subprocess.run([fs, "analyze", ix, "--sae", sae, "--json", "--top", "1000", ex["text"]],
                           capture_output=True, text=True)
        toks = json.loads(a.stdout)["tokens"]
        got = 0.0
        for fe in toks[ex["max_pos"]]["features"]:
            if fe["index"] == f:
                got = fe["value"]
        worst = max(worst, abs(got - ex["max_act"]) / (1 + abs(ex["max_act"])))
        n += 1
    if n >= 5 and worst <= 1e-3:
        print("ok demo harvest: %s: analyze of %d stored top contexts gives their maxima" % (sae, n))
    else:
        print("FAIL demo harvest: %s: %d contexts, worst relative error %.3g" % (sae, n, worst))
PY
# analyze encodes with one dictionary: a term of another is named
check_exit "analyze: features of two dictionaries exit 2" 2 "$FS" analyze "$IX" -f res1k/275=11 -f res4k/1=2 "hi"
check_grep "analyze: says one dictionary at a time" "res4k/1: not in dictionary 'res1k'.*one dictionary at a time" "$TMP/.err"

# values: 1e9 is a number out of range; 1e1 is fine
check_exit "steer: -f X=1e9 exits 2" 2 "$FS" steer "$IX" -f res1k/275=1e9 -t 4
check_grep "steer: 1e9 is out of range" "value '1e9' is out of range \(-1e6 to 1e6\)" "$TMP/.err"
check_nogrep "steer: 1e9 is not called not a number" "not a number" "$TMP/.err"
check "steer: -f X=1e1 runs" "$FS" steer "$IX" -f res1k/275=1e1 -t 4
check_exit "steer: -f X=nan is not a number" 2 "$FS" steer "$IX" -f res1k/275=nan -t 4
check_grep "steer: nan says not a number" "value 'nan' is not a number" "$TMP/.err"

# analyze's labels: never cut inside a quoted item ('...' of a list):
# a cut label ends with its last whole item and "…"
"$FS" analyze "$IX" --sae res1k --top 30 '!*;%&^}\-/.:' >"$TMP/an.txt" 2>&1
grep -o "ASCII punctuation: .*" "$TMP/an.txt" | sed 's/ | .*//; s/ *$//' | sort -u >"$TMP/labels.txt"
check_grep "analyze: labels of punctuation are listed" "ASCII punctuation: '" "$TMP/labels.txt"
check_grep "analyze: a cut label ends with a whole item and …" "^ASCII punctuation: '.{1,2}'…$" "$TMP/labels.txt"
check_eq "analyze: every label is whole items ('X',...), … when cut" "" "$(grep -Ev "^ASCII punctuation: ('.{1,2}'(,'.{1,2}')*(…)?)?$" "$TMP/labels.txt")"

# steer on a terminal shows its progress (rate, time left) on stderr, as
# build does; not when stderr is not a terminal (the plain program: 6000
# tokens are minutes under valgrind)
script -qc "\"$B/featscope\" steer \"$IX\" -f res1k/275=11 -t 1500 --runs 2" /dev/null >"$TMP/pty.out" 2>&1
check_eq "steer on a pty: exits 0" 0 $?
tr '\r' '\n' <"$TMP/pty.out" >"$TMP/pty.txt"
check_grep "steer on a pty: progress with the rate and the time left" "^steer: [0-9]+/6000 tokens, [0-9]+ tokens/s, [0-9.]+s, [0-9]+s left" "$TMP/pty.txt"
check_grep "steer on a pty: the result is printed" "^steered:|steered" "$TMP/pty.txt"
"$B/featscope" steer "$IX" -f res1k/275=11 -t 1500 >/dev/null 2>"$TMP/nopty.err"
check_eq "steer without a terminal: no progress on stderr" "" "$(cat "$TMP/nopty.err")"

# the browser: S and A on a res1k feature page use res1k (the first
# attached is res4k); the steering screen's t and l set the temperature
# and the length
run() { # NAME KEYS (lines separated by |)
	printf '%s\n' "$2" | tr '|' '\n' >"$TMP/$1.keys"
	FEATSCOPE_SCRIPT=$TMP/$1.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color "$FS" "$IX" >/dev/null 2>"$TMP/$1.err"
}
run steer "#res1k/275<Enter>|S|:save-display $TMP/s1|t|0<Enter>|l|5<Enter>|:save-display $TMP/s2|r|:save-display $TMP/s3|Q"
check_eq "browser: S on res1k/275 runs and quits" 0 $?
check_grep "browser: S on res1k/275 steers it" "^  res1k/275 += +[0-9.]+  nucleotide" "$TMP/s1"
check_nogrep "browser: S on res1k/275 is not 'no features'" "no features" "$TMP/s1"
check_grep "browser: the steered column holds DNA" "^ .{49}[ACGT]{8,}" "$TMP/s1"
check_grep "browser: the screen shows the temperature and length" "temperature 0\.8 \(t\), 160 tokens \(l\)" "$TMP/s1"
check_grep "browser: t 0 and l 5 are shown" "seed 1 \(r: next\), temperature 0 \(t\), 5 tokens \(l\)" "$TMP/s2"
# 5 tokens of this byte-level model: 5 characters a column
check_grep "browser: l 5 generates 5 tokens" "^ unsteered" "$TMP/s2"
row=$(sed -n '/^ unsteered/{n;p;}' "$TMP/s2")
check_eq "browser: each column holds 5 characters" "5 5" "$(printf '%s\n' "$row" | awk '{ l = substr($0, 2, 48); r = substr($0, 51); sub(/ +$/, "", l); sub(/ +$/, "", r); print length(l), length(r) }')"
row3=$(sed -n '/^ unsteered/{n;p;}' "$TMP/s3")
check_eq "browser: temperature 0 is greedy (the next seed gives the same text)" "$row" "$row3"
run steerbad "#res1k/275<Enter>|S|t|500<Enter>|:save-display $TMP/s4|l|0<Enter>|:save-display $TMP/s5|Q"
check_grep "browser: a temperature past 100 is refused" "temperature '500': expected a number in 0\.\.100" "$TMP/s4"
check_grep "browser: a length of 0 is refused" "tokens '0': expected a whole number in 1\.\.4096" "$TMP/s5"
# a on the res1k screen with a res4k feature: both steered in one pass
run steer2 "#res1k/275<Enter>|S|a|res4k/1<Enter>|:save-display $TMP/m1|x|:save-display $TMP/m2|Q"
check_eq "browser: a res4k/1 on a res1k steering screen runs" 0 $?
check_grep "browser: a res4k/1 keeps res1k/275" "^  res1k/275 += +[0-9.]+" "$TMP/m1"
check_grep "browser: a res4k/1 adds it" "^  res4k/1 += +[0-9.]+" "$TMP/m1"
check_nogrep "browser: a res4k/1 is not refused" "not in the attached dictionary|this screen steers|reads .* one at a time" "$TMP/m1"
st1=$(sed -n '/^ unsteered/{n;p;}' "$TMP/s1" | cut -c51-)
stm=$(sed -n '/^ unsteered/{n;p;}' "$TMP/m1" | cut -c51-)
check "browser: the res4k term changes the steered text" test -n "$stm" -a "$st1" != "$stm"
check_nogrep "browser: x removes res1k/275" "^  res1k/275 +=" "$TMP/m2"
check_grep "browser: res4k/1 stays" "^  res4k/1 += +[0-9.]+" "$TMP/m2"
run prompt "#res1k/275<Enter>|A|GATTACAGATTACAACGTTGCA|:save-display $TMP/p1|<Esc>|Q"
check_eq "browser: A on res1k/275 runs and quits" 0 $?
check_grep "browser: A pins res1k/275" "22 tokens, colour: res1k/275 \(pinned\)" "$TMP/p1"
check_grep "browser: A analyses with res1k (the pinned feature is measured)" "^ +[0-9.]+  res1k/275 +nucleotide" "$TMP/p1"
check_nogrep "browser: A lists no res4k feature" "res4k/" "$TMP/p1"

# the browser's compare of res4k with res16k: the matching runs on a
# worker; the screen says "computing..." and answers keys meanwhile
# (FEATSCOPE_NOWAIT=1: the script does not wait for it), then shows it
printf '%s\n' '#res4k/1<Enter>' ':compare res16k' ":save-display $TMP/c1" '?' ":save-display $TMP/c2" q \
	":save-display $TMP/c3" Q >"$TMP/cmp.keys"
FEATSCOPE_NOWAIT=1 FEATSCOPE_SCRIPT=$TMP/cmp.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color "$FS" "$IX" >/dev/null 2>"$TMP/cmp.err"
check_eq "compare: the browser runs and quits while it computes" 0 $?
check_grep "compare: the screen says computing..." "^ res4k and res16k: computing\.\.\.$" "$TMP/c1"
check_grep "compare: ? opens the help while it computes" "^ help: keys" "$TMP/c2"
check_grep "compare: back on the compare screen" "^ compare res4k with res16k" "$TMP/c3"
run cmpdone "#res4k/1<Enter>|:compare res16k|:save-display $TMP/c4|u|:save-display $TMP/c5|Q"
check_grep "compare: then the result" "^ res4k in res16k [0-9.]+%, res16k in res4k [0-9.]+% \(baseline" "$TMP/c4"
check_grep "compare: the mutual pairs are listed" "^ +0\.[0-9]+ +[0-9.-]+ +[0-9.-]+ +res4k/[0-9]+ +res16k/[0-9]+" "$TMP/c4"
check_grep "compare: u lists the unmatched" "unmatched in res4k" "$TMP/c5"

# GPT-2: n_positions 1 << 20 in config.json (wpe of that size, 1 MB
# positions x 32 f16) runs in bounded memory
PY=/usr/bin/python3
if ! "$PY" -c 'import torch' 2>/dev/null; then
	fail gpt2-torch "PyTorch is missing for $PY (./bootstrap installs python3-torch)"
	exit 0
fi
G=$TMP/g
mkdir -p "$G"
cd "$G" || exit 1
"$PY" "$S/tests/gpt2_ref.py" model m 2 32 4 64 400 F16 tok &&
	"$PY" "$S/tests/gpt2_ref.py" model big 2 32 4 1048576 400 F16 tok &&
	"$PY" "$S/tests/gpt2_ref.py" sae std m blocks.1.hook_resid_pre 16 standard || fail gpt2-setup "gpt2_ref.py failed"
printf 'the quick brown fox jumps over the lazy dog\n' >t.txt
check "gpt2: harvest" "$FS" harvest --model m --sae std -o h.sqlite t.txt
check "gpt2: attach the model of n_positions 1048576" "$FS" attach h.sqlite --model big --sae std=std
# before: ctx x vocab logits (1.6 GB) and a KV cache of 1 M positions.
# An address-space limit cannot be used under AddressSanitizer (it reserves
# terabytes for its shadow): that build runs the commands without it, and
# the bounded memory is checked by the other builds.
if grep -qa __asan_init "$B/featscope" 2>/dev/null; then lim=unlimited; what="(AddressSanitizer build: no address-space limit)"; else lim=1200000; what="under 1.2 GB of address space"; fi
(ulimit -v $lim && exec "$FS" analyze h.sqlite "the quick brown fox") >"$TMP/big.out" 2>"$TMP/big.err"
check_eq "gpt2: analyze with n_positions 1 << 20 $what exits 0" "0" "$?"
check_grep "gpt2: it analyses the text" "^[0-9]+ tokens, dictionary std" "$TMP/big.out"
(ulimit -v $lim && exec "$FS" steer h.sqlite -f 1=2 -t 4 --prompt "the") >"$TMP/big.out" 2>"$TMP/big.err"
check_eq "gpt2: steer with n_positions 1 << 20 $what exits 0" "0" "$?"
