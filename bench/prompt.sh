#!/bin/sh
# bench/prompt.sh: the live prompt screen stays responsive while the model
# analyses: on the demo index (a copy with the demo model attached), open
# the prompt screen (A) and type 1,000 bytes one key at a time, the
# headless driver feeding keys without waiting for the analysis
# (FEATSCOPE_NOWAIT=1), so every key after the first is handled while an
# analysis of the text so far runs on the worker thread. Prints key to
# finished frame p50/p99/max over the typed keys (FEATSCOPE_TIMING)
# against the 16 ms budget, and how many analyses finished meanwhile.
#   sh bench/prompt.sh [BUILDDIR]
set -eu
B=${FS_BUILDDIR:-${1:-$(pwd)}}
S=$(cd "$(dirname "$0")/.." && pwd)
. "$S/bench/lib.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/fs-bench-prompt.XXXXXX")
trap 'rm -rf "$W"' EXIT
cp "$S/data/demo.sqlite" "$S/data/demo-lm.bin" "$S/data/demo-sae-res4k.bin" "$W/"
"$B/featscope" attach "$W/demo.sqlite" --model "$W/demo-lm.bin" --sae "res4k=$W/demo-sae-res4k.bin" >/dev/null
# 1,000 bytes of the README, as keys: printable ASCII only, one a line
head -c 4000 "$S/data/README" | tr -c ' -~' ' ' | tr -d '<:' | tr -s ' ' | head -c 1000 |
	sed 's/./&\n/g' | sed 's/^ $/<Space>/' >"$W/text.keys"
{ echo A; cat "$W/text.keys"; echo ":save-display $W/screen"; echo "<Esc>"; echo Q; } >"$W/keys"
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color
FEATSCOPE_NOWAIT=1 FEATSCOPE_TIMING=$W/timing FEATSCOPE_SCRIPT=$W/keys FEATSCOPE_SIZE=120x40 \
	"$B/featscope" "$W/demo.sqlite" >/dev/null 2>"$W/err"
get() { sed -n "s/^$1 //p" "$W/timing"; }
printf 'prompt screen, %s keys typed while the model analyses (OpenBLAS threads: %s): key to frame p50 %s ms, p99 %s ms, max %s ms (budget 16 ms)\n' \
	"$(get keys)" "${OPENBLAS_NUM_THREADS:-default}" "$(get p50_ms)" "$(get p99_ms)" "$(get max_ms)"
grep '^slow_key' "$W/timing" | head -5 || true
sed -n '1,3p' "$W/screen" | cut -c1-118
figure "prompt screen key to frame while analysing, p99" ms "$(get p99_ms)" "$(get p50_ms)" "$(get max_ms)" - - - "value<=" 16
