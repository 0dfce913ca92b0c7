# t-gpt2-harvest.sh: featscope harvest end to end on a tiny random GPT-2
# with a small byte-level tokenizer and four SAELens dictionaries (standard,
# topk, jumprelu, and one on the MLP hidden activations, at four hook
# points): the index holds every dictionary, the live.* meta, and
# per-feature maxima and densities that a PyTorch recomputation of the same
# windows agrees with; the index carries its model (live_files as attach
# writes them), analyze and steer run on it, analyze of stored contexts
# gives the stored activations, missing or changed weights are one line;
# then bad input: one line naming the file, exit 2, no
# index and no temporary folder left.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
REF=$S/tests/gpt2_ref.py
TOOL=$B/tests/gpt2-tool
if ! err=$("$PY" -c 'import torch' 2>&1); then
	fail harvest-torch "PyTorch is missing for $PY (./bootstrap installs python3-torch): $(printf '%s' "$err" | tail -1)"
	exit 0
fi
cd "$TMP" || exit 1
"$PY" "$REF" harvest-setup "$TMP" || fail harvest-setup "gpt2_ref.py harvest-setup failed"
# documents: JSON Lines (gzipped) and plain text; ASCII, so windows are
# exactly CTX - 1 tokens after the BOS
"$PY" - <<'PY'
import gzip, json, random
rng = random.Random(5)
words = "the quick brown fox jumps over lazy dog it's they're we'll 42 1999 model text features fire".split()
docs = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 120))) for _ in range(12)]
with gzip.open("docs.jsonl.gz", "wt") as f:
    for d in docs[:8]:
        f.write(json.dumps({"id": 1, "text": d}) + "\n")
with open("plain.txt", "w") as f:
    f.write("\n\n".join(docs[8:]) + "\n")
with open("strings", "w") as f:
    for d in docs:
        f.write(json.dumps(d) + "\n")
PY
check harvest-runs "$FS" harvest --model m --sae std --sae topk --sae jump --sae hid --ctx 16 --batch 3 -o out.sqlite docs.jsonl.gz plain.txt
"$FS" info out.sqlite >info.txt 2>&1
check_grep harvest-info-std 'std +64 features, d_model 32, .*hook blocks.1.hook_resid_pre, layer 1' info.txt
check_grep harvest-info-topk 'topk +48 features, .*hook blocks.0.hook_mlp_out, layer 0' info.txt
check_grep harvest-info-jump 'jump +40 features, .*hook blocks.1.hook_resid_post' info.txt
check_grep harvest-info-hid 'hid +24 features, d_model 128, .*hook blocks.0.mlp.hook_post' info.txt
sqlite3 out.sqlite "select key || '=' || value from meta where key like 'live.%' order by key" >meta.txt
check_grep harvest-meta-model-path "^live.model.path=$TMP/m\$" meta.txt
check_grep harvest-meta-model-hash '^live.model.hash=xxh3:[0-9a-f]{16}$' meta.txt
check_grep harvest-meta-sae-hook '^live.sae.topk.hook=blocks.0.hook_mlp_out$' meta.txt
check_grep harvest-meta-sae-path "^live.sae.jump.path=$TMP/jump\$" meta.txt
check_grep harvest-meta-sae-hash '^live.sae.std.hash=xxh3:[0-9a-f]{16}$' meta.txt
# the hashes are XXH3-64 of the weights files, by Python's xxhash (an
# independent implementation; ./bootstrap installs python3-xxhash)
check harvest-meta-hashes-xxh3 /usr/bin/python3 -c '
import sys, xxhash
meta = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]))
for key, path in (("live.model.hash", "m/model.safetensors"), ("live.sae.std.hash", "std/sae_weights.safetensors"),
                  ("live.sae.jump.hash", "jump/sae_weights.safetensors")):
    want = "xxh3:%016x" % xxhash.xxh3_64_intdigest(open(path, "rb").read())
    assert meta[key] == want, (key, meta[key], want)' meta.txt
n=$(sqlite3 out.sqlite "select count(*) from logits")
[ "$n" -gt 0 ] && ok harvest-logits || fail harvest-logits "no logit effects"
n=$(sqlite3 out.sqlite "select count(*) from neighbours")
[ "$n" -gt 0 ] && ok harvest-neighbours || fail harvest-neighbours "no decoder neighbours"
n=$(sqlite3 out.sqlite "select count(*) from intervals")
[ "$n" -gt 0 ] && ok harvest-intervals || fail harvest-intervals "no quantile intervals"
"$FS" show out.sqlite std/0 >show.txt 2>&1
check_grep harvest-show 'top activations' show.txt
ls -d .featscope-harvest-* >/dev/null 2>&1 && fail harvest-tmp-cleaned "temporary folder left" || ok harvest-tmp-cleaned
"$PY" "$REF" harvest-check "$TOOL" m strings 16 out.sqlite std topk jump hid 2>py.err
[ -s py.err ] && fail harvest-ref-python "$(tail -3 py.err | tr '\n' ' ')"
# the model attached: live_files rows as featscope attach writes them
sqlite3 -separator ' ' out.sqlite "select role, name, file, hook from live_files order by role, name" >lf.txt
check_eq harvest-live-files "model  m 
sae hid hid mlp_hidden.0
sae jump jump resid_post.1
sae std std resid_pre.1
sae topk topk mlp_out.0" "$(cat lf.txt)"
cp out.sqlite att.sqlite
check harvest-attach-same "$FS" attach att.sqlite --model m --sae std=std --sae topk=topk --sae jump=jump --sae hid=hid
check_eq harvest-live-files-as-attach "$(sqlite3 att.sqlite "select * from live_files order by role, name")" \
	"$(sqlite3 out.sqlite "select * from live_files order by role, name")"
# folders named with trailing slashes (as shell completion writes them)
cp out.sqlite att2.sqlite
check harvest-attach-slash "$FS" attach att2.sqlite --model m/ --sae std=std// --sae topk=topk --sae jump=jump/ --sae hid=hid
check_eq harvest-attach-slash-rows "$(sqlite3 att2.sqlite "select * from live_files order by role, name")" \
	"$(sqlite3 out.sqlite "select * from live_files order by role, name")"
# analyze and steer open the harvested index directly
check harvest-analyze "$FS" analyze out.sqlite --sae std "the quick brown fox"
check harvest-steer "$FS" steer out.sqlite --sae jump --feature 3=6 --prompt "the lazy dog" --tokens 6 --seed 2
"$FS" steer out.sqlite --sae jump --feature 3=6 --prompt "the lazy dog" --tokens 6 --seed 2 --json >steer.json 2>&1
# analyze of every stored top context gives the stored activations: the
# feature's max (f32) to 1e-4, every stored (f16) value to f16 rounding,
# at the positions whose tokens analyze cuts the same way (a window that
# starts inside a word may re-tokenize differently there)
"$PY" - "$FS" out.sqlite std topk jump hid <<'PY' || fail harvest-analyze-stored "the check failed to run"
import json, subprocess, sys
fs, ix, saes = sys.argv[1], sys.argv[2], sys.argv[3:]
for sae in saes:
    n_pos = n_max = 0
    worst = worst_max = 0.0
    bad = None
    for f in range(0, 40, 3):
        r = subprocess.run([fs, "show", ix, "%s/%d" % (sae, f), "--json"], capture_output=True, text=True)
        if r.returncode != 0:
            break  # past the dictionary's last feature
        j = json.loads(r.stdout)
        if not j["top"]:
            continue
        for k, ex in enumerate(j["top"][:4]):
            a = subprocess.run([fs, "analyze", ix, "--sae", sae, "--json", "--top", "1000", ex["text"]],
                               capture_output=True, text=True)
            if a.returncode != 0:
                bad = "analyze failed: " + a.stderr.strip()[:200]
                break
            toks = json.loads(a.stdout)["tokens"]
            for p, tok in enumerate(ex["tokens"]):
                if p >= len(toks) or toks[p]["text"] != tok:
                    break
                got = 0.0
                for fe in toks[p]["features"]:
                    if fe["index"] == f:
                        got = fe["value"]
                want = ex["acts"][p]
                e = abs(got - want) / (1 + abs(want))
                worst = max(worst, e)
                n_pos += 1
                if k == 0 and p == ex["max_pos"]:
                    em = abs(got - j["max_act"]) / max(abs(j["max_act"]), 1e-6)
                    worst_max = max(worst_max, em)
                    n_max += 1
    tag = "harvest-analyze-stored-" + sae
    if bad:
        print("FAIL %s: %s" % (tag, bad))
    elif n_pos < 20 or n_max < 3:
        print("FAIL %s: only %d positions, %d maxima compared" % (tag, n_pos, n_max))
    elif worst > 2e-3 or worst_max > 1e-4:
        print("FAIL %s: relative error %.3g (f16 values), %.3g (maxima)" % (tag, worst, worst_max))
    else:
        print("ok %s (%d positions, %d maxima, errors %.2g, %.2g)" % (tag, n_pos, n_max, worst, worst_max))
PY
# weights outside the index's folder are refused (the live commands read
# attached files only in the index's folder or below it: issue 31); an
# index written above its weights records their paths below it
mkdir -p away
"$FS" harvest --model m --sae std --ctx 16 -o away/a.sqlite plain.txt >away.out 2>away.err
check_eq harvest-away-refused 2 $?
check_grep harvest-away-says "m: not beside away/a.sqlite .weights are read only in the index's folder or below it" away.err
check harvest-away-nothing-written test ! -e away/a.sqlite
mkdir -p up/w && cp -r m std up/w/
check harvest-below "$FS" harvest --model up/w/m --sae up/w/std --ctx 16 -o up/a.sqlite plain.txt
check_eq harvest-below-path "w/m w/std" "$(sqlite3 up/a.sqlite "select file from live_files order by role" | tr '\n' ' ' | sed 's/ $//')"
check harvest-below-analyze "$FS" analyze up/a.sqlite "the quick brown fox"
# weights missing or changed: one line, exit 2
mkdir -p moved && cp -r out.sqlite m std moved/
rm moved/m/model.safetensors
"$FS" analyze moved/out.sqlite --sae std "the fox" >mv.out 2>mv.err
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <mv.err)" = 1 ] && grep -q 'moved/m/model.safetensors: No such file' mv.err; then ok harvest-weights-missing
else fail harvest-weights-missing "exit $rc: $(head -c 300 mv.err)"; fi
cp m/model.safetensors moved/m/
printf 'x' | dd of=moved/std/sae_weights.safetensors bs=1 seek=200 conv=notrunc 2>/dev/null
"$FS" steer moved/out.sqlite --sae std --feature 1=2 --prompt "the" --tokens 3 >mv.out 2>mv.err
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <mv.err)" = 1 ] && grep -q 'moved/std/sae_weights.safetensors: xxh3 does not match' mv.err; then ok harvest-weights-changed
else fail harvest-weights-changed "exit $rc: $(head -c 300 mv.err)"; fi

# --max-tokens
check harvest-max-tokens "$FS" harvest --model m --sae std --ctx 16 --max-tokens 40 -o small.sqlite docs.jsonl.gz
check_eq harvest-max-tokens-count 40 "$(sqlite3 small.sqlite "select value from meta where key = 'n_tokens'")"

# bad input: exit 2, one line naming the file, nothing written
bad() { # NAME PATTERN ARGS...
	local name=$1 pat=$2
	shift 2
	rm -f bad.sqlite
	"$FS" harvest -o bad.sqlite "$@" >bad.out 2>bad.err
	local rc=$?
	if [ "$rc" != 2 ]; then fail "$name" "exit $rc, wanted 2: $(head -c 300 bad.err)"; return; fi
	if [ "$(wc -l <bad.err)" != 1 ]; then fail "$name" "not one line: $(head -c 300 bad.err)"; return; fi
	if ! grep -Eq -- "$pat" bad.err; then fail "$name" "no /$pat/ in: $(cat bad.err)"; return; fi
	if [ -e bad.sqlite ] || ls -d .featscope-harvest-* >/dev/null 2>&1; then fail "$name" "left files behind"; return; fi
	ok "$name"
}
bad harvest-bad-missing 'bad-missing/model.safetensors: h.0.mlp.c_fc.bias: missing \(expected \[64\]\)' --model bad-missing --sae std plain.txt
bad harvest-bad-shape 'bad-shape/model.safetensors: h.0.attn.c_attn.weight: shape \[48, 16\], expected \[16, 48\]' --model bad-shape --sae std plain.txt
bad harvest-bad-arch "bad-arch/config.json: model_type: 'mamba' is not supported \(supported architectures: gpt2, llama, qwen2, qwen3, gemma2, gemma3_text, gemma3 \(its text\), gpt_neox\)" --model bad-arch --sae std plain.txt
bad harvest-bad-lying 'bad-lying/model.safetensors: .*data_offsets: end [0-9]+ is past the end of the data' --model bad-lying --sae std plain.txt
bad harvest-bad-vocab 'bad-vocab/vocab.json: the tokenizer has 299 tokens, but .*bad-vocab/config.json says vocab_size 300' --model bad-vocab --sae std plain.txt
printf 'fine text\nbad \377 byte\n' >latin1.txt
bad harvest-bad-utf8 'latin1.txt:2: byte 5: not UTF-8' --model m --sae std latin1.txt
printf '{"text": "ok"}\n{"body": "x"}\n' >nofield.jsonl
bad harvest-bad-field 'nofield.jsonl:2: text: missing or not a string' --model m --sae std nofield.jsonl
bad harvest-bad-d-in "wide/cfg.json: d_in 16 does not fit m/config.json: n_embd 32" --model m --sae wide plain.txt
mkdir -p deep && cp std/sae_weights.safetensors deep/ && sed 's/blocks.1.hook_resid_pre/blocks.7.hook_resid_pre/' std/cfg.json >deep/cfg.json
bad harvest-bad-hook "deep/cfg.json: hook 'blocks.7.hook_resid_pre' is not a hook point of m \(blocks.0..1" --model m --sae deep plain.txt
mkdir -p gated && cp std/sae_weights.safetensors gated/ && sed 's/"standard"/"gated"/' std/cfg.json >gated/cfg.json
bad harvest-bad-gated-weights "gated/sae_weights.safetensors: b_gate: missing \(expected \[64\]\)" --model m --sae gated plain.txt
mkdir -p cross && cp std/sae_weights.safetensors cross/ && sed 's/"standard"/"crosscoder"/' std/cfg.json >cross/cfg.json
bad harvest-bad-sae-arch "cross/cfg.json: architecture: 'crosscoder' is not supported \(supported: standard, topk, jumprelu, gated, transcoder, skip_transcoder, jumprelu_transcoder\)" --model m --sae cross plain.txt
mkdir -p short && cp std/cfg.json short/ && head -c 200 std/sae_weights.safetensors >short/sae_weights.safetensors
bad harvest-bad-sae-file 'short/sae_weights.safetensors: header: length [0-9]+ runs past the end' --model m --sae short plain.txt
bad harvest-bad-no-input 'nothere.txt: No such file' --model m --sae std nothere.txt
exit 0
