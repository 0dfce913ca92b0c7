# t-harvest-shard.sh: `featscope harvest --shard I/N` and `featscope merge`
# (issue 35). The same text harvested whole, and in 4 shards run under GNU
# parallel then merged, gives the same index: every feature's density,
# maximum, mean, act mass and histogram, every example (group, rank,
# context, activations), the intervals, the contexts (text, tokens,
# source, in the same order), logits, neighbours, concept tree and map,
# compared row by row with the sqlite3 shell; on the demo model and on a
# tiny GPT-2 with four SAELens dictionaries. The shards hold the documents
# Python's xxhash (an independent XXH3) assigns them. Then what merge
# refuses, each in one line with exit 2 and nothing written: another model,
# another dictionary, another --ctx, another --top-k, a shard missing or
# given twice, a file that is no shard, a missing file, a truncated file, a
# corrupt shard_state row, -o naming an input; and bad --shard values.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! command -v parallel >/dev/null 2>&1; then
	fail shard-parallel "GNU parallel is missing (./bootstrap installs the parallel package)"
	exit 0
fi
if ! err=$("$PY" -c 'import torch, xxhash' 2>&1); then
	fail shard-python "PyTorch or xxhash is missing for $PY (./bootstrap installs them): $(printf '%s' "$err" | tail -1)"
	exit 0
fi
cd "$TMP" || exit 1

# same NAME WHOLE MERGED: the two indexes hold the same rows, table by
# table (meta but its creation time and uuid)
same() {
	local n=$1 a=$2 b=$3 q t
	for q in "features:select id, sae, idx, density, max_act, mean_act, act_mass, n_examples, hex(hist), label, cluster, map_x, map_y from features order by id" \
		"examples:select feature, grp, rank, ctx, max_act, max_pos, hex(acts) from examples order by feature, grp, rank" \
		"intervals:select * from intervals order by feature, grp" \
		"contexts:select c.id, c.hash, c.ntok, c.source from contexts c order by c.id" \
		"chunks:select id, first_ctx, n, hex(offs), hex(text), hex(aux) from chunks order by id" \
		"logits:select * from logits order by feature, sign, rank" \
		"neighbours:select * from neighbours order by feature, other_sae, rank" \
		"clusters:select * from clusters order by id" \
		"saes:select * from saes order by id" \
		"meta:select key, value from meta where key not in ('created', 'uuid') order by key" \
		"live_files:select role, name, file, xxh3, bytes, hook from live_files order by role, name"; do
		t=${q%%:*}
		sqlite3 "$a" "${q#*:}" >"$TMP/a.txt" 2>&1
		sqlite3 "$b" "${q#*:}" >"$TMP/b.txt" 2>&1
		if cmp -s "$TMP/a.txt" "$TMP/b.txt"; then
			ok "$n: $t the same ($(wc -l <"$TMP/a.txt" | tr -d ' ') rows)"
		else
			fail "$n: $t the same" "$(diff "$TMP/a.txt" "$TMP/b.txt" | head -4 | tr '\n' ' ')"
		fi
	done
	# the comparison compared something: examples of every kind, stats
	check "$n: top examples and interval samples present" test \
		"$(sqlite3 "$a" "select count(distinct grp > 0) from examples")" = 2
	check "$n: some feature fires" test "$(sqlite3 "$a" "select count(*) from features where density > 0 and hex(hist) != ''")" -gt 0
}

# shards DIR: each JSON Lines document (PATH:LINE) and each text file
# (PATH) lies in shard XXH3-64(name) mod 4, as Python's xxhash computes it
shards_hold() {
	"$PY" - "$@" <<'PY'
import sqlite3, sys, xxhash
name = sys.argv[1]
bad = 0
for i in range(4):
    db = sqlite3.connect("s%d.sqlite" % i)
    for (src,) in db.execute("select distinct source from contexts"):
        path, line = src.rsplit(":", 1)
        key = src if path.endswith(".jsonl") else path
        if xxhash.xxh3_64_intdigest(key.encode()) % 4 != i:
            bad += 1
print(("ok %s: every shard holds the documents of its hash" % name) if bad == 0 else
      "FAIL %s: %d documents in the wrong shard" % (name, bad))
PY
}

# ---- the demo model: one dictionary (res1k), a JSON Lines file and three text files
mkdir demo && cd demo || exit 1
cp "$S/data/demo-lm.bin" "$S/data/demo-sae-res1k.bin" .
"$PY" - <<'PY'
import json, random
r = random.Random(3)
words = "the quick brown fox jumps over lazy dog GATTACA DNA SELECT name FROM users WHERE id = 42 for int i sum".split()
docs = [" ".join(r.choice(words) for _ in range(r.randint(5, 200))) for i in range(40)]
# some documents twice, and short ones many times: one stored context for
# windows of several documents, which must keep the same source as whole
docs += docs[:6] + ["GATTACA DNA"] * 8 + ["SELECT name FROM users"] * 8
r.shuffle(docs)
with open("docs.jsonl", "w") as f:
    for d in docs:
        f.write(json.dumps({"text": d}) + "\n")
for k in range(3):
    with open("plain%d.txt" % k, "w") as f:
        f.write("\n\n".join(" ".join(r.choice(words) for _ in range(r.randint(5, 100))) for _ in range(5)) + "\n")
PY
H="--model demo-lm.bin --sae demo-sae-res1k.bin --ctx 64 --no-progress"
IN="docs.jsonl plain0.txt plain1.txt plain2.txt"
check "demo: whole harvest" "$FS" harvest $H -o whole.sqlite $IN
check "demo: 4 shards under GNU parallel" parallel -j 2 --halt now,fail=1 "$FS" harvest $H --shard {}/4 -o s{}.sqlite $IN ::: 0 1 2 3
check "demo: merge" "$FS" merge -o merged.sqlite s0.sqlite s1.sqlite s2.sqlite s3.sqlite
same demo whole.sqlite merged.sqlite
shards_hold demo
check_eq "demo: the shards' tokens add up to the whole's" "$(sqlite3 whole.sqlite "select value from meta where key = 'n_tokens'")" \
	"$(for i in 0 1 2 3; do sqlite3 s$i.sqlite "select value from meta where key = 'n_tokens'"; done | paste -sd+ | bc)"
check "demo: every shard holds some text" test "$(for i in 0 1 2 3; do sqlite3 s$i.sqlite "select value > 0 from meta where key = 'n_tokens'"; done | paste -sd+ | bc)" = 4
check "demo: analyze opens the merged index" "$FS" analyze merged.sqlite "GATTACA is DNA"
# the merge's order does not matter
check "demo: merge, shards in another order" "$FS" merge -o merged2.sqlite s3.sqlite s1.sqlite s0.sqlite s2.sqlite
same demo-order whole.sqlite merged2.sqlite
cd "$TMP" || exit 1

# ---- a tiny GPT-2 with four SAELens dictionaries at four hook points
"$PY" "$S/tests/gpt2_ref.py" harvest-setup "$TMP" || fail shard-gpt2-setup "gpt2_ref.py harvest-setup failed"
"$PY" - <<'PY'
import gzip, json, random
rng = random.Random(7)
words = "the quick brown fox jumps over lazy dog it's they're we'll 42 1999 model text features fire".split()
docs = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 120))) for _ in range(40)]
with open("docs.jsonl", "w") as f:
    for d in docs[:30]:
        f.write(json.dumps({"text": d}) + "\n")
for k in range(2):
    with open("plain%d.txt" % k, "w") as f:
        f.write("\n\n".join(docs[30 + 5 * k:35 + 5 * k]) + "\n")
PY
G="--model m --sae std --sae topk --sae jump --sae hid --ctx 16 --no-progress"
IN="docs.jsonl plain0.txt plain1.txt"
check "gpt2: whole harvest" "$FS" harvest $G -o whole.sqlite $IN
check "gpt2: 4 shards under GNU parallel" parallel -j 2 --halt now,fail=1 "$FS" harvest $G --shard {}/4 -o s{}.sqlite $IN ::: 0 1 2 3
check "gpt2: merge" "$FS" merge -o merged.sqlite s0.sqlite s1.sqlite s2.sqlite s3.sqlite
same gpt2 whole.sqlite merged.sqlite
shards_hold gpt2

# ---- what merge refuses: one line, exit 2, nothing written
refuse() { # NAME PATTERN MERGE-ARGS...
	local n=$1 pat=$2
	shift 2
	rm -f bad.sqlite
	"$FS" merge -o bad.sqlite "$@" >"$TMP/.out" 2>"$TMP/.err"
	local rc=$?
	if [ "$rc" != 2 ]; then
		fail "$n" "exit $rc, wanted 2: $(head -c 300 "$TMP/.err")"
	elif [ "$(wc -l <"$TMP/.err" | tr -d ' ')" != 1 ] || ! grep -Eq -- "$pat" "$TMP/.err"; then
		fail "$n" "wanted one line matching /$pat/, got: $(head -c 300 "$TMP/.err")"
	elif [ -e bad.sqlite ] || ls -a | grep -q 'bad\.sqlite.*tmp\|featscope-'; then
		fail "$n" "something was written: $(ls -a | tr '\n' ' ')"
	else
		ok "$n"
	fi
}
# another model: the same files but for one changed weight byte
cp -r m m2
printf '\001' | dd of=m2/model.safetensors bs=1 seek=$(($(stat -c %s m2/model.safetensors) - 2)) conv=notrunc 2>/dev/null
check "gpt2: a shard of another model" "$FS" harvest --model m2 --sae std --ctx 16 --no-progress --shard 3/4 -o x-model.sqlite $IN
"$FS" harvest --model m --sae std --ctx 16 --no-progress --shard 0/4 -o y0.sqlite $IN 2>/dev/null
for i in 1 2; do "$FS" harvest --model m --sae std --ctx 16 --no-progress --shard $i/4 -o y$i.sqlite $IN 2>/dev/null; done
refuse "merge refuses another model" '^featscope: x-model.sqlite: live.model.hash: xxh3:[0-9a-f]{16} differs from y0.sqlite.s xxh3:[0-9a-f]{16} \(another model\)$' \
	y0.sqlite y1.sqlite y2.sqlite x-model.sqlite
# another dictionary of the same name: alt/std holds topk's weights
mkdir alt && cp -r topk alt/std
check "gpt2: a shard with another dictionary" "$FS" harvest --model m --sae alt/std --ctx 16 --no-progress --shard 3/4 -o x-sae.sqlite $IN
refuse "merge refuses another dictionary" 'x-sae.sqlite: live.sae.std.hash: .* \(another dictionary\)$' y0.sqlite y1.sqlite y2.sqlite x-sae.sqlite
"$FS" harvest --model m --sae std --ctx 12 --no-progress --shard 3/4 -o x-ctx.sqlite $IN 2>/dev/null
refuse "merge refuses another --ctx" 'x-ctx.sqlite: live.harvest.ctx: 12 differs from y0.sqlite.s 16 \(another --ctx\)$' y0.sqlite y1.sqlite y2.sqlite x-ctx.sqlite
"$FS" harvest --model m --sae std --ctx 16 --top-k 7 --no-progress --shard 3/4 -o x-topk.sqlite $IN 2>/dev/null
refuse "merge refuses another --top-k" 'x-topk.sqlite: harvest.top_k: 7 differs from y0.sqlite.s 20 \(another --top-k\)$' y0.sqlite y1.sqlite y2.sqlite x-topk.sqlite
"$FS" harvest --model m --sae std --sae topk --ctx 16 --no-progress --shard 3/4 -o x-two.sqlite $IN 2>/dev/null
refuse "merge refuses another set of dictionaries" 'x-two.sqlite: 2 dictionaries, y0.sqlite has 1$' y0.sqlite y1.sqlite y2.sqlite x-two.sqlite
refuse "merge refuses a missing shard" '^featscope: shard 3/4 is missing \(3 of 4 given\)$' y0.sqlite y1.sqlite y2.sqlite
refuse "merge refuses a shard given twice" 'y1.sqlite: harvest.shard: shard 1/4 is given twice$' y0.sqlite y1.sqlite y1.sqlite y2.sqlite
"$FS" harvest --model m --sae std --ctx 16 --no-progress --shard 1/2 -o x-n.sqlite $IN 2>/dev/null
refuse "merge refuses a shard of another split" 'x-n.sqlite: harvest.shard: 1/2 is a shard of 2, y0.sqlite one of 4$' y0.sqlite x-n.sqlite
refuse "merge refuses an index that is no shard" 'whole.sqlite: harvest.shard: not a shard of a harvest' whole.sqlite
refuse "merge refuses a missing file" 'nowhere.sqlite' y0.sqlite nowhere.sqlite
head -c 20000 y2.sqlite >x-trunc.sqlite
refuse "merge refuses a truncated shard" 'x-trunc.sqlite' y0.sqlite y1.sqlite x-trunc.sqlite
"$FS" harvest --model m --sae std --ctx 16 --no-progress --shard 3/4 -o y3.sqlite $IN 2>/dev/null
cp y3.sqlite x-state.sqlite
sqlite3 x-state.sqlite "update shard_state set state = x'01ff' where feature = (select min(feature) from shard_state)"
refuse "merge refuses a corrupt shard_state row" 'x-state.sqlite: shard_state: corrupt for std/0$' y0.sqlite y1.sqlite y2.sqlite x-state.sqlite
check "merge of the four y shards" "$FS" merge -o y.sqlite y0.sqlite y1.sqlite y2.sqlite y3.sqlite
cp y0.sqlite y0-copy.sqlite
check_exit "merge refuses -o naming an input" 2 "$FS" merge -o y0.sqlite y0.sqlite y1.sqlite y2.sqlite y3.sqlite
check "-o naming an input leaves it as it was" cmp y0.sqlite y0-copy.sqlite
for s in 4/4 -1/4 x 1/0 1/2x 2; do
	check_exit "harvest refuses --shard $s" 2 "$FS" harvest --model m --sae std --shard "$s" -o z.sqlite $IN
	grep -q -- "--shard" "$TMP/.err" || fail "harvest --shard $s names the option" "$(cat "$TMP/.err")"
done
check "harvest --shard: no index left by the refusals" test ! -e z.sqlite
