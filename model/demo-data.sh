#!/bin/bash
# demo-data.sh: the whole demo pipeline behind `make demo-data`:
# corpus -> language model -> three residual-stream SAEs -> harvest ->
# one featscope index with a dictionary per SAE.
#
#   model/demo-data.sh BUILDDIR SRCDIR            full run (~115 min on 2 cores)
#   model/demo-data.sh --tiny WORKDIR BUILDDIR SRCDIR   seconds, for tests
#
# The full run works in SRCDIR/model/work (git-ignored) and ships
# data/demo.sqlite, data/demo-lm.bin (FSLM0002, f16),
# data/demo-sae-NAME.bin (FSSAE002, f16, one per dictionary) and
# data/demo-figures.txt.
#
# The language model trains in two stages: a base model (LM_BASE_LAYERS
# blocks, context LM_BASE_CTX, LM_BASE_MINUTES), then `fsmodel grow` adds
# blocks (initialised to the identity) up to LM_LAYERS and extends the
# context to LM_CTX, and training goes on for LM_MINUTES at LM_LR. The short
# context and shallow model make the first stage cheap; the grown model
# starts from what it learnt. LM_INIT=FILE skips the first stage and grows
# FILE instead (the shipped model was made so, see data/README).
#
# Sizes can be overridden from the environment (LM_BASE_LAYERS,
# LM_BASE_CTX, LM_BASE_MINUTES, LM_LAYERS, LM_DMODEL, LM_HEADS, LM_CTX,
# LM_BATCH, LM_MINUTES, LM_STEPS, LM_LR, LM_INIT, SAE_FEATURES (comma list),
# SAE_NAMES (same length), SAE_K,
# SAE_MINUTES, SAE_STEPS, CONTEXTS, EVAL_EVERY (every Nth held-out document
# is scored for the LM figures), SAE_EVAL_BYTES, HARVEST_LEFT, COFIRE_TOP
# (co-firing partners kept per feature and other dictionary); SKIP_CORPUS=1
# keeps an assembled corpus, SKIP_LM=1 a trained model, RESUME_LM=1
# continues a killed LM run from its checkpoint, SKIP_SAE=1 trained SAEs,
# SKIP_HARVEST=1 a finished harvest (model/work/harvest: only the index is
# built again); a switch set to 0 or empty is off;
# FSMODEL and FEATSCOPE name the programs). Figures are "key value" lines.
#
# FROM_SHIPPED=1 (full run only) redoes only the harvest and the index from
# the shipped data/demo-lm.bin and data/demo-sae-NAME.bin, which stay as
# they are (so feature numbers stay the same): no training, no LM or SAE
# measurement (their figures are kept from data/demo-figures.txt), no
# conversion. It needs the corpus: SKIP_CORPUS=1 keeps one in model/work,
# otherwise the corpus stage runs (apt downloads, a few minutes):
#   SKIP_CORPUS=1 FROM_SHIPPED=1 model/demo-data.sh "$PWD" "$PWD"
#
# With two or more dictionaries the harvest also counts, over every
# harvested token, the tokens where two features of different dictionaries
# both fire (harvest/cofire.tsv: each feature's COFIRE_TOP top partners in
# every other dictionary, 16 by default, 8 in the full run), and the index
# stores them (build --cofire) for `featscope family`.
set -eu
# on NAME: the switch NAME is set (not empty, not 0)
on() { eval "case \"\${$1:-}\" in '' | 0) return 1 ;; esac"; }

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
	: "${LM_BASE_LAYERS:=1}" "${LM_BASE_CTX:=64}" "${LM_BASE_MINUTES:=0}" "${LM_BASE_STEPS:=30}"
	: "${LM_LAYERS:=2}" "${LM_DMODEL:=32}" "${LM_HEADS:=2}" "${LM_CTX:=128}" "${LM_BATCH:=8}"
	: "${LM_STEPS:=20}" "${LM_MINUTES:=0}" "${LM_LR:=3e-3}" "${LM_WARMUP:=10}" "${EVAL_EVERY:=1}"
	: "${SAE_FEATURES:=64,256}" "${SAE_NAMES:=res64,res256}" "${SAE_K:=8}" "${SAE_BATCH:=4}"
	: "${SAE_STEPS:=100}" "${SAE_MINUTES:=0}" "${SAE_DEAD:=5000}" "${SAE_WARMUP:=20}"
	: "${CONTEXTS:=60}" "${EVAL_BYTES:=0}" "${SAE_EVAL_BYTES:=20000}" "${HARVEST_LEFT:=0}"
	: "${COFIRE_TOP:=16}"
	# per dictionary (same order): top examples, intervals x per interval,
	# random samples, neighbours
	: "${BUILD_TOPK:=20,20}" "${BUILD_INTERVALS:=10,10}" "${BUILD_PER_INTERVAL:=5,5}"
	: "${BUILD_RANDOM:=5,5}" "${BUILD_KNN:=8,8}" "${BUILD_KNN_ACROSS:=8}"
	OUT=$W
else
	W=$S/model/work
	: "${LM_BASE_LAYERS:=2}" "${LM_BASE_CTX:=128}" "${LM_BASE_MINUTES:=35}" "${LM_BASE_STEPS:=1000000}"
	: "${LM_LAYERS:=3}" "${LM_DMODEL:=128}" "${LM_HEADS:=4}" "${LM_CTX:=256}" "${LM_BATCH:=16}"
	: "${LM_STEPS:=1000000}" "${LM_MINUTES:=35}" "${LM_LR:=1e-3}" "${LM_WARMUP:=100}" "${EVAL_EVERY:=4}"
	: "${SAE_FEATURES:=4096,1024,16384}" "${SAE_NAMES:=res4k,res1k,res16k}" "${SAE_K:=32}"
	: "${SAE_BATCH:=8}" "${SAE_STEPS:=1000000}" "${SAE_MINUTES:=15}" "${SAE_DEAD:=100000}"
	: "${SAE_WARMUP:=100}"
	# HARVEST_LEFT: each context runs after up to 64 bytes of its document
	# (not stored): without them the code probe fell from 0.971 to 0.796 at
	# res16k and from 0.702 to 0.685 at res1k (a context analysed alone then
	# gives activations close to the stored ones, not equal)
	: "${CONTEXTS:=20000}" "${EVAL_BYTES:=0}" "${SAE_EVAL_BYTES:=300000}" "${HARVEST_LEFT:=64}"
	# co-firing partners per feature and other dictionary: 8 keeps the
	# family trees (a DNA feature's children share most of its firings
	# among its first few partners) at half the table
	: "${COFIRE_TOP:=8}"
	# sized for an index under 64 MiB: about 24, 44 and 12 examples per
	# feature; 4 neighbours in the own dictionary (the map's graph), none
	# stored across dictionaries (computed from the stored decoders when
	# asked: 4 a feature and other dictionary took 4.3 MB)
	: "${BUILD_TOPK:=12,16,7}" "${BUILD_INTERVALS:=4,5,3}" "${BUILD_PER_INTERVAL:=2,3,1}"
	: "${BUILD_RANDOM:=4,6,2}" "${BUILD_KNN:=4,4,4}" "${BUILD_KNN_ACROSS:=0}"
	OUT=$S/data
fi
mkdir -p "$W" "$OUT"
FIG=$W/figures.txt
: >"$FIG"
T0=$(date +%s)
step() { printf 'demo-data: %s (%s, %d min so far)\n' "$*" "$(date -u +%H:%M:%S)" $((($(date +%s) - T0) / 60)) >&2; }
# run a stage: progress lines to stderr and a log, figures to $FIG
stage() {
	local log=$1
	shift
	"$@" 2> >(tee "$W/$log" >&2) | tee -a "$FIG"
}
IFS=, read -r -a FEATS <<<"$SAE_FEATURES"
IFS=, read -r -a NAMES <<<"$SAE_NAMES"
IFS=, read -r -a TOPK <<<"$BUILD_TOPK"
IFS=, read -r -a NINT <<<"$BUILD_INTERVALS"
IFS=, read -r -a PERINT <<<"$BUILD_PER_INTERVAL"
IFS=, read -r -a NRAND <<<"$BUILD_RANDOM"
IFS=, read -r -a KNN <<<"$BUILD_KNN"
SAEBINS=$(printf "$W/sae-%s.bin," "${NAMES[@]}")
SAEBINS=${SAEBINS%,}
HDIRS=$(printf "$W/harvest/%s," "${NAMES[@]}")
HDIRS=${HDIRS%,}

step "corpus"
if on SKIP_CORPUS && [ -s "$W/train.txt" ] && [ -s "$W/manifest.tsv" ]; then
	step "corpus kept (SKIP_CORPUS)"
elif [ $TINY = 1 ]; then
	"$S/model/corpus.sh" --tiny "$W" 2>"$W/corpus.log"
else
	"$S/model/corpus.sh" "$W"
fi
wc -c <"$W/train.txt" | sed 's/^/corpus_train_bytes /' | tee -a "$FIG"
wc -c <"$W/heldout.txt" | sed 's/^/corpus_heldout_bytes /' | tee -a "$FIG"
echo "corpus_documents $(($(wc -l <"$W/manifest.tsv") - 1))" | tee -a "$FIG"

SHIPPED=0
if on FROM_SHIPPED && [ $TINY = 0 ]; then
	SHIPPED=1
	step "model and SAEs: the shipped files (FROM_SHIPPED)"
	LMF=$OUT/demo-lm.bin
	SAEBINS=$(printf "$OUT/demo-sae-%s.bin," "${NAMES[@]}")
	SAEBINS=${SAEBINS%,}
	for f in "$LMF" ${SAEBINS//,/ }; do
		[ -s "$f" ] || { echo "demo-data: FROM_SHIPPED: $f is missing" >&2; exit 2; }
	done
else
	LMF=$W/lm.bin
fi
if [ $SHIPPED = 1 ]; then
	:
elif on SKIP_LM && [ -s "$W/lm.bin" ]; then
	step "language model kept (SKIP_LM)"
	grep -h '^lm_' "$W/lm-figures.txt" | tee -a "$FIG" || true
else
	if on RESUME_LM && [ -s "$W/lm.bin.state" ]; then
		step "language model: resuming the second stage"
		INIT=(--resume 1)
	else
		if [ -n "${LM_INIT:-}" ]; then
			step "language model: growing $LM_INIT"
			cp "$LM_INIT" "$W/lm-base.bin"
		else
			step "language model, first stage: $LM_BASE_LAYERS layers, d_model $LM_DMODEL, context $LM_BASE_CTX"
			stage lm-base.log "$FSM" train-lm --train "$W/train.txt" --heldout "$W/heldout.txt" \
				--out "$W/lm-base.bin" --layers "$LM_BASE_LAYERS" --d-model "$LM_DMODEL" \
				--heads "$LM_HEADS" --ctx "$LM_BASE_CTX" --batch $((LM_BATCH * 2)) \
				--steps "$LM_BASE_STEPS" --minutes "$LM_BASE_MINUTES" --lr 3e-3 \
				--warmup "$LM_WARMUP" --eval-every 500 --checkpoint-every 200 |
				sed 's/^lm_/lm_base_/'
		fi
		"$FSM" grow --in "$W/lm-base.bin" --out "$W/lm-grown.bin" --layers "$LM_LAYERS" \
			--after 0 --ctx "$LM_CTX"
		INIT=(--init "$W/lm-grown.bin")
		step "language model, second stage: $LM_LAYERS layers, context $LM_CTX"
	fi
	stage lm.log "$FSM" train-lm --train "$W/train.txt" --heldout "$W/heldout.txt" \
		--out "$W/lm.bin" --batch "$LM_BATCH" --steps "$LM_STEPS" \
		--minutes "$LM_MINUTES" --lr "$LM_LR" --warmup "$LM_WARMUP" --eval-every 1000 \
		--checkpoint-every 200 "${INIT[@]}"
	grep -h '^lm_' "$FIG" >"$W/lm-figures.txt"
fi
if [ $SHIPPED = 1 ]; then
	:
elif on SKIP_SAE && [ -s "$W/sae-${NAMES[0]}.bin" ]; then
	step "SAEs kept (SKIP_SAE)"
else
	step "SAEs: TopK k=$SAE_K, $SAE_FEATURES features, residual stream after the middle block"
	stage sae.log "$FSM" train-sae --lm "$W/lm.bin" --train "$W/train.txt" \
		--out "$SAEBINS" --features "$SAE_FEATURES" --k "$SAE_K" --hook resid \
		--batch "$SAE_BATCH" --steps "$SAE_STEPS" --minutes "$SAE_MINUTES" \
		--dead-after "$SAE_DEAD" --warmup "$SAE_WARMUP"
fi

# The measurements and the harvest read the trained models only: they run
# side by side (one thread each), each into its own figures file, which
# are appended in a fixed order once all are done.
# bg NAME COMMAND...: run in the background, figures to $W/fig-NAME.txt
bg() {
	local name=$1
	shift
	"$@" >"$W/fig-$name.txt" 2>"$W/$name.log" &
}
step "measuring the LM and the SAEs, and harvesting $CONTEXTS contexts (side by side)"
# the LM's scored text: every EVAL_EVERY-th held-out document (all groups),
# the same bytes for the model, gzip -9 and xz -9
HB=$W/heldout-eval.txt
awk -F'\t' -v k="$EVAL_EVERY" '$5 == "heldout" && (++i % k) == 1 % k { print $6, $7 }' "$W/manifest.tsv" |
	while read -r off len; do tail -c +$((off + 1)) "$W/heldout.txt" | head -c "$len"; done >"$HB.tmp"
mv "$HB.tmp" "$HB"
# plain windows of 128 bytes (every byte scored, <= 127 bytes of context),
# then a sliding window: every byte but the first window's predicted from
# >= ctx/2 bytes of context
MEASURE="eval-lm eval-sae"
if [ $SHIPPED = 1 ]; then
	MEASURE=
else
	bg eval-lm sh -c '"$1" eval-lm --lm "$2" --heldout "$3" --window 128 &&
		"$1" eval-lm --lm "$2" --heldout "$3" --stride "$4"' sh "$FSM" "$LMF" "$HB" $((LM_CTX / 2))
	# (eval-sae's --max-bytes takes windows spread evenly over the whole text)
	bg eval-sae "$FSM" eval-sae --lm "$LMF" --sae "$SAEBINS" --names "$SAE_NAMES" \
		--heldout "$W/heldout.txt" --max-bytes "$SAE_EVAL_BYTES"
fi
if on SKIP_HARVEST && [ -s "$W/fig-harvest.txt" ] && [ -s "$W/harvest/${NAMES[0]}/records.jsonl" ]; then
	step "harvest kept (SKIP_HARVEST)"
else
	rm -rf "$W/harvest"
	for nm in "${NAMES[@]}"; do mkdir -p "$W/harvest/$nm"; done
	COF=()
	[ "${#NAMES[@]}" -gt 1 ] && COF=(--cofire "$W/harvest/cofire.tsv" --names "$SAE_NAMES" --cofire-top "$COFIRE_TOP")
	bg harvest "$FSM" harvest --lm "$LMF" --sae "$SAEBINS" \
		--heldout "$W/heldout.txt" --manifest "$W/manifest.tsv" \
		--out "$HDIRS" --contexts "$CONTEXTS" --left "$HARVEST_LEFT" "${COF[@]}"
fi
fail=0
for j in $(jobs -p); do wait "$j" || fail=1; done
for name in $MEASURE harvest; do
	tail -n 3 "$W/$name.log" | sed "s/^/$name: /" >&2
	cat "$W/fig-$name.txt" | tee -a "$FIG"
done
if [ $fail = 1 ]; then
	echo "demo-data: a measurement or the harvest failed (logs in $W)" >&2
	exit 1
fi
# gzip and xz on the LM's scored text (with FROM_SHIPPED the LM is not
# scored again, so its figures and these stay from the shipped file)
if [ $SHIPPED = 0 ]; then
	n=$(wc -c <"$HB")
	g=$(gzip -9 -c "$HB" | wc -c)
	x=$(xz -9 -c "$HB" | wc -c)
	awk -v n="$n" -v g="$g" -v x="$x" 'BEGIN {
		printf("gzip9_bpb %.4f\nxz9_bpb %.4f\n", 8 * g / n, 8 * x / n) }' | tee -a "$FIG"
fi

step "index"
MID=$(((LM_LAYERS - 1) / 2))
ARGS=()
[ "${#NAMES[@]}" -gt 1 ] && ARGS+=(--cofire "$W/harvest/cofire.tsv")
for i in "${!NAMES[@]}"; do
	H=$W/harvest/${NAMES[$i]}
	[ "$i" = 0 ] || ARGS+=(--and)
	ARGS+=(--sae "${NAMES[$i]}" --model "featscope-demo-byte-lm-${LM_LAYERS}L-d${LM_DMODEL}"
		--hook "blocks.$MID.hook_resid_post" --layer "$MID"
		--top-k "${TOPK[$i]}" --intervals "${NINT[$i]}" --per-interval "${PERINT[$i]}"
		--random "${NRAND[$i]}" --neighbours "${KNN[$i]}" --neighbours-across "$BUILD_KNN_ACROSS"
		--decoder "$H/decoder.npy" --unembed "$H/unembed.npy" --vocab "$H/vocab.txt"
		--labels "$H/labels.tsv" "$H/records.jsonl")
done
"$FS" build -o "$OUT/demo.sqlite" "${ARGS[@]}"
wc -c <"$OUT/demo.sqlite" | sed 's/^/index_bytes /' | tee -a "$FIG"
# concept-tree names that repeat a sibling's, per dictionary (meta
# cluster_sibling_repeats:NAME = "R of N", see featscope-index(5))
if command -v python3 >/dev/null; then
	python3 -c 'import sqlite3, sys
for k, v in sqlite3.connect(sys.argv[1]).execute(
        "SELECT key, value FROM meta WHERE key LIKE ? ORDER BY key",
        ("cluster_sibling_repeats:%",)):
    print("cluster_sibling_repeats_%s %s" % (k.split(":", 1)[1], v.replace(" of ", " ")))' \
		"$OUT/demo.sqlite" | tee -a "$FIG"
fi
"$FS" info "$OUT/demo.sqlite"
if [ $TINY = 0 ] && [ $SHIPPED = 0 ]; then
	"$FSM" convert --in "$W/lm.bin" --out "$OUT/demo-lm.bin" --dtype f16
	for nm in "${NAMES[@]}"; do
		"$FSM" convert --in "$W/sae-$nm.bin" --out "$OUT/demo-sae-$nm.bin" --dtype f16
	done
fi
if [ $TINY = 0 ]; then
	wc -c "$OUT/demo-lm.bin" "$OUT"/demo-sae-*.bin | awk '$2 == "total" { print "weights_bytes " $1 }' | tee -a "$FIG"
	# the shipped index knows its model and dictionaries (by hash), so
	# analyze, steer and the live screens work on it as shipped
	ATT=()
	for nm in "${NAMES[@]}"; do ATT+=(--sae "$nm=$OUT/demo-sae-$nm.bin"); done
	"$FS" attach "$OUT/demo.sqlite" --model "$OUT/demo-lm.bin" "${ATT[@]}"
	wc -c <"$OUT/demo.sqlite" | sed 's/^/index_bytes_attached /' | tee -a "$FIG"
fi
echo "demo_data_minutes $((($(date +%s) - T0) / 60))" | tee -a "$FIG"
if [ $SHIPPED = 1 ]; then
	# the figures of what was not redone (LM, SAEs, their measurements)
	# kept from the shipped file, then this run's
	awk 'NR == FNR { k[$1] = 1; next } !($1 in k)' "$FIG" "$OUT/demo-figures.txt" >"$FIG.kept"
	cat "$FIG.kept" "$FIG" >"$OUT/demo-figures.txt.tmp"
	mv "$OUT/demo-figures.txt.tmp" "$OUT/demo-figures.txt"
elif [ $TINY = 0 ]; then
	cp "$FIG" "$OUT/demo-figures.txt.tmp"
	mv "$OUT/demo-figures.txt.tmp" "$OUT/demo-figures.txt"
fi
step "done"
