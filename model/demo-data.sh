#!/bin/bash
# demo-data.sh: the whole demo pipeline behind `make demo-data`:
# corpus -> language model -> SAE -> harvest -> featscope index.
#
#   model/demo-data.sh BUILDDIR SRCDIR            full run (~75 min on 2 cores)
#   model/demo-data.sh --tiny WORKDIR BUILDDIR SRCDIR   seconds, for tests
#
# The full run works in SRCDIR/model/work (git-ignored) and ships
# data/demo.sqlite, data/demo-lm.bin, data/demo-sae.bin and
# data/demo-figures.txt. Sizes can be overridden from the environment
# (LM_LAYERS, LM_DMODEL, LM_MINUTES, LM_STEPS, SAE_FEATURES, SAE_K,
# SAE_MINUTES, SAE_STEPS, CONTEXTS, EVAL_BYTES, SAE_EVAL_BYTES; SKIP_CORPUS=1
# keeps an assembled corpus, SKIP_LM=1 a trained model; FSMODEL and
# FEATSCOPE name the programs). Figures are "key value" lines.
set -eu

TINY=0
if [ "${1:-}" = "--tiny" ]; then
	TINY=1
	W=$2
	shift 2
fi
B=${1:?usage: demo-data.sh [--tiny WORKDIR] BUILDDIR SRCDIR}
S=${2:?usage: demo-data.sh [--tiny WORKDIR] BUILDDIR SRCDIR}
FSM=${FSMODEL:-$B/model/fsmodel}
FS=${FEATSCOPE:-$B/featscope}
# OpenBLAS threads spin badly on a loaded 2-core machine; one thread was
# 2x faster there (and 0.7x when idle). Override with OPENBLAS_NUM_THREADS.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

if [ $TINY = 1 ]; then
	: "${LM_LAYERS:=1}" "${LM_DMODEL:=32}" "${LM_HEADS:=2}" "${LM_BATCH:=8}"
	: "${LM_STEPS:=40}" "${LM_MINUTES:=0}"
	: "${SAE_FEATURES:=256}" "${SAE_K:=8}" "${SAE_BATCH:=4}"
	: "${SAE_STEPS:=100}" "${SAE_MINUTES:=0}" "${SAE_DEAD:=5000}" "${SAE_WARMUP:=20}"
	: "${CONTEXTS:=60}" "${EVAL_BYTES:=20000}" "${SAE_EVAL_BYTES:=20000}"
	OUT=$W
else
	W=$S/model/work
	: "${LM_LAYERS:=2}" "${LM_DMODEL:=128}" "${LM_HEADS:=4}" "${LM_BATCH:=32}"
	: "${LM_STEPS:=100000}" "${LM_MINUTES:=35}"
	: "${SAE_FEATURES:=4096}" "${SAE_K:=32}" "${SAE_BATCH:=16}"
	: "${SAE_STEPS:=100000}" "${SAE_MINUTES:=20}" "${SAE_DEAD:=1000000}" "${SAE_WARMUP:=100}"
	: "${CONTEXTS:=12000}" "${EVAL_BYTES:=0}" "${SAE_EVAL_BYTES:=600000}"
	OUT=$S/data
fi
mkdir -p "$W" "$OUT"
FIG=$W/figures.txt
: >"$FIG"
step() { printf 'demo-data: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)" >&2; }
# run a stage: progress lines to stderr and a log, figures to $FIG
stage() {
	local log=$1
	shift
	"$@" 2> >(tee "$W/$log" >&2) | tee -a "$FIG"
}

step "corpus"
if [ -n "${SKIP_CORPUS:-}" ] && [ -s "$W/train.txt" ] && [ -s "$W/manifest.tsv" ]; then
	step "corpus kept (SKIP_CORPUS)"
elif [ $TINY = 1 ]; then
	"$S/model/corpus.sh" --tiny "$W" 2>"$W/corpus.log"
else
	"$S/model/corpus.sh" "$W"
fi
wc -c <"$W/train.txt" | sed 's/^/corpus_train_bytes /' | tee -a "$FIG"
wc -c <"$W/heldout.txt" | sed 's/^/corpus_heldout_bytes /' | tee -a "$FIG"

if [ -n "${SKIP_LM:-}" ] && [ -s "$W/lm.bin" ]; then
	step "language model kept (SKIP_LM)"
	grep -h '^lm_' "$W/lm-figures.txt" | tee -a "$FIG" || true
else
	step "language model: $LM_LAYERS layers, d_model $LM_DMODEL"
	stage lm.log "$FSM" train-lm --train "$W/train.txt" --heldout "$W/heldout.txt" \
	--out "$W/lm.bin" --layers "$LM_LAYERS" --d-model "$LM_DMODEL" \
	--heads "$LM_HEADS" --ctx 128 --batch "$LM_BATCH" --steps "$LM_STEPS" \
	--minutes "$LM_MINUTES" --eval-every 500
	grep -h '^lm_' "$FIG" >"$W/lm-figures.txt"
fi
stage eval-lm.log "$FSM" eval-lm --lm "$W/lm.bin" --heldout "$W/heldout.txt" \
	--max-bytes "$EVAL_BYTES"
# the same with every byte predicted from >= 64 bytes of context
stage eval-lm64.log "$FSM" eval-lm --lm "$W/lm.bin" --heldout "$W/heldout.txt" \
	--max-bytes "$EVAL_BYTES" --stride 64
# peers on the same held-out bytes
HB=$W/heldout-eval.txt
if [ "$EVAL_BYTES" -gt 0 ]; then
	head -c "$EVAL_BYTES" "$W/heldout.txt" >"$HB"
else
	cp "$W/heldout.txt" "$HB"
fi
n=$(wc -c <"$HB")
g=$(gzip -9 -c "$HB" | wc -c)
x=$(xz -9 -c "$HB" | wc -c)
awk -v n="$n" -v g="$g" -v x="$x" 'BEGIN {
	printf("gzip9_bpb %.4f\nxz9_bpb %.4f\n", 8 * g / n, 8 * x / n) }' | tee -a "$FIG"

step "SAE: TopK k=$SAE_K, $SAE_FEATURES features"
stage sae.log "$FSM" train-sae --lm "$W/lm.bin" --train "$W/train.txt" \
	--out "$W/sae.bin" --features "$SAE_FEATURES" --k "$SAE_K" \
	--batch "$SAE_BATCH" --steps "$SAE_STEPS" --minutes "$SAE_MINUTES" \
	--dead-after "$SAE_DEAD" --warmup "$SAE_WARMUP"
stage eval-sae.log "$FSM" eval-sae --lm "$W/lm.bin" --sae "$W/sae.bin" \
	--heldout "$W/heldout.txt" --max-bytes "$SAE_EVAL_BYTES"

step "harvest: $CONTEXTS contexts"
mkdir -p "$W/harvest"
stage harvest.log "$FSM" harvest --lm "$W/lm.bin" --sae "$W/sae.bin" \
	--heldout "$W/heldout.txt" --manifest "$W/manifest.tsv" \
	--out "$W/harvest" --contexts "$CONTEXTS"

step "index"
H=$W/harvest
"$FS" build -o "$OUT/demo.sqlite" --sae demo --model "featscope-demo-byte-lm-${LM_LAYERS}L-d${LM_DMODEL}" \
	--hook "blocks.$((LM_LAYERS - 1)).mlp.hook_post" --layer "$((LM_LAYERS - 1))" \
	--decoder "$H/decoder.npy" --unembed "$H/unembed.npy" --vocab "$H/vocab.txt" \
	--labels "$H/labels.tsv" "$H/records.jsonl"
wc -c <"$OUT/demo.sqlite" | sed 's/^/index_bytes /' | tee -a "$FIG"
"$FS" info "$OUT/demo.sqlite"
if [ $TINY = 0 ]; then
	cp "$W/lm.bin" "$OUT/demo-lm.bin"
	cp "$W/sae.bin" "$OUT/demo-sae.bin"
	cp "$FIG" "$OUT/demo-figures.txt"
fi
step "done"
