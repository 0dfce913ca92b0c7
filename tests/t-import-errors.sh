#!/bin/sh
# t-import-errors.sh: malformed foreign input is reported as one line
# "featscope: FILE:LINE: FIELD: what is wrong" (a JSON path in place of the
# line for single-document files), exits 2 and leaves no index (nor a
# temporary file) behind; usage mistakes exit 2 too.
. "$(dirname "$0")/lib.sh"

FX=$S/tests/fixtures/import
mkdir -p "$TMP/out"

# bad NAME WANT-REGEX BUILD-ARGS...: exit 2, message matches, nothing written
bad() {
	n=$1 want=$2
	shift 2
	"$FS" build --no-progress -o "$TMP/out/x.sqlite" "$@" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	if [ "$rc" != 2 ]; then
		fail "$n" "exit $rc, wanted 2: $(head -c 300 "$TMP/.err")"
	elif ! grep -Eq -- "$want" "$TMP/.err"; then
		fail "$n" "no /$want/ in: $(head -c 300 "$TMP/.err")"
	elif [ "$(wc -l <"$TMP/.err")" != 1 ]; then
		fail "$n" "more than one line: $(head -c 300 "$TMP/.err")"
	elif [ -n "$(ls -A "$TMP/out")" ]; then
		fail "$n" "left behind: $(ls -A "$TMP/out")"
	else
		ok "$n"
	fi
	rm -rf "$TMP/out"/* "$TMP/out"/.[!.]* 2>/dev/null
}

np() { rm -rf "$TMP/np"; mkdir -p "$TMP/np"; cp -r "$FX/neuronpedia/." "$TMP/np/"; }

np
sed -i '3s/.*/{"index": "0", "tokens": [/' "$TMP/np/activations/batch-0.jsonl"
bad "neuronpedia: broken JSON line" '^featscope: .*/np/activations/batch-0\.jsonl:3: JSON: column' "$TMP/np"

np
sed -i '2s/"values":\[0,2.25,0\]/"values":"high"/' "$TMP/np/activations/batch-0.jsonl"
bad "neuronpedia: values not an array" 'activations/batch-0\.jsonl:2: values: missing or not an array of numbers' "$TMP/np"

np
sed -i '2s/"values":\[0,2.25,0\]/"values":[0,2.25]/' "$TMP/np/activations/batch-0.jsonl"
bad "neuronpedia: tokens and values differ" 'batch-0\.jsonl:2: values: 2 values for 3 tokens' "$TMP/np"

np
sed -i '1s/"index":"0"/"index":"zero"/' "$TMP/np/features/batch-0.jsonl"
bad "neuronpedia: index not a number" 'features/batch-0\.jsonl:1: index: not a feature number' "$TMP/np"

np
sed -i '1s/"frac_nonzero":0.0125/"frac_nonzero":3/' "$TMP/np/features/batch-0.jsonl"
bad "neuronpedia: density out of range" 'features/batch-0\.jsonl:1: frac_nonzero: 3 is not a fraction' "$TMP/np"

np
gzip "$TMP/np/activations/batch-0.jsonl"
head -c 200 "$TMP/np/activations/batch-0.jsonl.gz" >"$TMP/np/activations/t" && mv "$TMP/np/activations/t" "$TMP/np/activations/batch-0.jsonl.gz"
bad "neuronpedia: truncated .gz" 'activations/batch-0\.jsonl\.gz:[0-9]+: (read|JSON)' "$TMP/np"

cp "$FX/saedashboard/batch-0.json" "$TMP/sd.json"
sed -i 's/"feature_index": 1,/"feature_idx": 1,/' "$TMP/sd.json"
bad "saedashboard: missing feature_index, with the feature's line and JSON path" 'sd\.json:10460: features\[1\]: feature_index: missing' --from saedashboard "$TMP/sd.json"
printf '{"model_id": "m", "layer": 0, "features": [{"feature_index": 0, "activations": [{"tokens": ["a"], "values": [1, 2]}]}]}\n' >"$TMP/sd2.json"
bad "saedashboard: activation path in message" 'sd2\.json:1: features\[0\]\.activations\[0\]: values: 2 values for 1 tokens' "$TMP/sd2.json"
printf '{"model_id": "m",\n "features": [\n  {"feature_index": 0},\n  {"feature_index": 1,\n   "frac_nonzero": "x"}\n ]}\n' >"$TMP/sd4.json"
bad "saedashboard: line of the feature in a streamed file" 'sd4\.json:4: features\[1\]: frac_nonzero' "$TMP/sd4.json"
printf '{"model_id": "m", "layer": "zero", "features": [{"feature_index": 0, "activations": []}]}\n' >"$TMP/sd5.json"
bad "saedashboard: layer \"zero\" is an error, not 0" 'sd5\.json: layer: not an integer' "$TMP/sd5.json"
printf '{"model_id": "m", "layer": 0, "features": [{"feature_index": 0, "activations": [{"tokens": ["a"], "values": [1], "bin_min": "x", "bin_max": 2}]}]}\n' >"$TMP/sd6.json"
bad "saedashboard: bin_min \"x\" is an error" 'sd6\.json:1: features\[0\]\.activations\[0\]: bin_min: not a number' "$TMP/sd6.json"
printf '{"model_id": "m", "layer": 0, "features": [{"feature_index": 0, "activations": [{"tokens": ["a"], "values": [1], "qualifying_token_index": 5}]}]}\n' >"$TMP/sd7.json"
bad "saedashboard: key token outside the window" 'sd7\.json:1: features\[0\]\.activations\[0\]: qualifying_token_index: 5 is outside the 1 tokens' "$TMP/sd7.json"
printf '{"model_id": "m",\n "features": [\n  {"feature_index": 0,}\n ]}\n' >"$TMP/sd3.json"
bad "saedashboard: JSON syntax error with line" 'sd3\.json:3: JSON:' --from saedashboard "$TMP/sd3.json"

"$B/tests/import-fix" saelens "$TMP/sl" || fail "import-fix" "generator failed"
size=$(wc -c <"$TMP/sl/sae_weights.safetensors")
head -c $((size - 10)) "$TMP/sl/sae_weights.safetensors" >"$TMP/t" && mv "$TMP/t" "$TMP/sl/sae_weights.safetensors"
bad "saelens: truncated weights" 'sae_weights\.safetensors: .*past the end' "$TMP/sl"
"$B/tests/import-fix" saelens "$TMP/sl"
sed -i 's/"d_sae": 6/"d_sae": "six"/' "$TMP/sl/cfg.json"
bad "saelens: d_sae not a number" 'cfg\.json: d_sae: missing or not an integer in 1\.\.16777216' "$TMP/sl"

"$B/tests/import-fix" delphi "$TMP/dl"
printf 'a\n\\q\n' >"$TMP/v.txt"
bad "delphi: vocabulary with a bad escape" 'v\.txt:2: token: bad escape' --vocab "$TMP/v.txt" "$TMP/dl"

printf '{"feature_data_dict": {"x": {}}}\n' >"$TMP/sv.json"
bad "sae_vis: key not a feature number" "sv\\.json:1: feature_data_dict: key 'x'" "$TMP/sv.json"
printf '{"feature_data_dict": [{}]}\n' >"$TMP/sv2.json"
bad "sae_vis: feature_data_dict an array" "sv2\\.json:1: feature_data_dict: an array" --from sae_vis "$TMP/sv2.json"

np
printf '%s\n' '{"id":"y1","modelId":"gpt2-small","layer":"6-res_post_32k-oai","index":"30000","description":"for another width"}' >>"$TMP/np/explanations/batch-0.jsonl"
bad "neuronpedia: explanations of another dictionary refused, naming both" 'explanations/batch-0\.jsonl:4: layer: .6-res_post_32k-oai. is not the dictionary .6-res-jb. of .*features/batch-0\.jsonl:1' "$TMP/np"
np
sed -i '1s/"layer":"6-res-jb"/"layer":"6-res-jb-16k"/' "$TMP/np/activations/batch-0.jsonl"
bad "neuronpedia: activations of another dictionary refused (row scanner)" 'activations/batch-0\.jsonl:1: layer: .6-res-jb-16k. is not the dictionary .6-res-jb.' "$TMP/np"

mkdir -p "$TMP/empty"
bad "unrecognised folder" 'empty: format: folder not recognised' "$TMP/empty"
bad "unknown --from" "--from: unknown format 'csv'" --from csv "$FX/saevis.json"
bad "same --sae twice, named by file" "openai: dictionary name 'x' \\(--sae\\) is already the name of .*/saevis\\.json; give each input" --sae x "$FX/saevis.json" --sae x "$FX/openai"
cp "$FX/saedashboard/batch-0.json" "$TMP/again.json"
bad "same derived dictionary name, named by file, no SQLite wording" "again\\.json: dictionary name '0-res-jb' \\(from the input\\) is already the name of .*saedashboard/batch-0\\.json" "$FX/saedashboard/batch-0.json" "$TMP/again.json"
check_nogrep "same derived name: no UNIQUE constraint wording" 'UNIQUE' "$TMP/.err"

# detection by content: known but not imported formats are named, the rest says what was expected
printf '{"metadata": {"slug": "x", "schema_version": 1}, "qParams": {"pinnedIds": []}, "nodes": [], "links": []}\n' >"$TMP/graph.json"
bad "attribution graph named, not imported" 'graph\.json: this is a circuit-tracer / Neuronpedia attribution graph, which featscope does not import \(it imports: saelens, neuronpedia, saedashboard, sae_vis, delphi, openai\)' "$TMP/graph.json"
printf '{\n  "sae_set": "res-jb",\n  "sae_path": "x",\n  "n_prompts_total": 5000,\n  "n_features_at_a_time": 128\n}\n' >"$TMP/run_settings.json"
bad "SAEDashboard run_settings.json named" 'run_settings\.json: this is an SAEDashboard run_settings\.json' "$TMP/run_settings.json"
printf '{"prompt_data": {"0": {}}}\n' >"$TMP/prompt.json"
bad "sae_vis prompt data named" 'prompt\.json: this is sae_vis prompt-centric data, which featscope does not import' "$TMP/prompt.json"
printf '{\n  "hello": 1\n}\n' >"$TMP/pretty.json"
bad "pretty-printed unknown document: what was expected (not bad JSON)" 'pretty\.json: format: not recognised \(a JSON object with keys "hello"\); expected .*SAEDashboard batch.*; name it with --from' "$TMP/pretty.json"
printf '{"hello": 1}\n' >"$TMP/hello.json"
bad "one-line unknown object: what was expected (not tokens: missing)" 'hello\.json: format: not recognised \(a JSON object with keys "hello"\)' "$TMP/hello.json"

# every reader checks it found what it needs
bad "--from openai on {\"hello\": 1}" 'hello\.json: top: missing' --from openai "$TMP/hello.json"
printf '{"model_id": "m", "layer": 0, "features": {}}\n' >"$TMP/nofeat.json"
bad "--from saedashboard with features {}" 'nofeat\.json: features: empty' --from saedashboard "$TMP/nofeat.json"
printf '{"model_id": "m", "layer": 0, "features": []}\n' >"$TMP/nofeat2.json"
bad "saedashboard with features []" 'nofeat2\.json: features: empty' "$TMP/nofeat2.json"
printf '{"feature_data_dict": {}}\n' >"$TMP/sv0.json"
bad "sae_vis with an empty feature_data_dict" 'sv0\.json: feature_data_dict: empty' "$TMP/sv0.json"
printf '{"hello": 1}\n' >"$TMP/x.json"
bad "--from sae_vis on another document" 'x\.json: feature_data_dict: missing' --from sae_vis "$TMP/x.json"
bad "--sae after the last of several inputs" 'after the last input' "$FX/saevis.json" "$FX/openai" --sae y
check_exit "missing -o" 2 "$FS" build --from openai "$FX/openai"

"$B/tests/import-fix" delphi "$TMP/dlp"
mkdir -p "$TMP/dlp/explanations"
printf '"for a wider dictionary"' >"$TMP/dlp/explanations/layers.3_latent30000.txt"
bad "delphi: an explanation for a latent outside the cache is refused, naming both" 'explanations/layers\.3_latent30000\.txt: latent: 30000 does not fit dictionary .layers\.3. of 8 latents \(the cache in .*latents/layers\.3\)' "$TMP/dlp"

printf '{"density": 0.1, "mean_act": 1, "top": [{"act": 2, "acts": [0, 2], "tokens": ["a", "b"], "top_upvote_tokens_logits": [" x"], "top_upvotes_logits": [1.5]}]}\n' >"$TMP/oaflat.json"
bad "openai: per-token logit fields as a flat list are refused" 'oaflat\.json\.top\[0\]: top_upvote_tokens_logits: 1 lists for 2 tokens \(one list per token\)' "$TMP/oaflat.json"
