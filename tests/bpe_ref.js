// tests/bpe_ref.js MODULES STRINGS: the reference GPT-2 encoder (npm
// gpt-3-encoder, the JavaScript port of OpenAI's encoder.py) over a file of
// JSON strings, one a line; prints each string's token ids, space
// separated, one line per string.
const path = require('path');
const fs = require('fs');
const enc = require(path.join(process.argv[2], 'gpt-3-encoder'));
const lines = fs.readFileSync(process.argv[3], 'utf-8').split('\n');
const out = [];
for (const l of lines) {
  if (l === '') continue;
  out.push(enc.encode(JSON.parse(l)).join(' '));
}
process.stdout.write(out.join('\n') + '\n');
