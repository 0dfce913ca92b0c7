// tests/hftok_ref.js MODULES NAME INPUTS: the reference tokenizer
// (npm @lenml/tokenizers, the JavaScript port of Hugging Face's
// tokenizers in transformers.js) with the real tokenizer.json and
// tokenizer_config.json of one model (npm @lenml/tokenizer-NAME), over a
// file of inputs, one a line as hex of its bytes. An input is fed as
// featscope reads bytes (src/core/bpe.h): each maximal run of valid UTF-8
// is encoded on its own (no special tokens added), and each byte outside
// valid UTF-8 is its byte token (byte-level: the vocabulary entry of that
// byte; byte fallback: <0xXX>). Prints a line per input: the ids, space
// separated, a tab, then the hex of the text decoding should give back
// (the input with the tokenizer's lossy normalisation applied: NFC,
// U+2581 read back as a space). The first line is
// "bos ID adds_bos 0|1": what encode() with special tokens puts first.
const path = require('path');
const fs = require('fs');
const mods = process.argv[2], name = process.argv[3];
const { TokenizerLoader } = require(path.join(mods, '@lenml/tokenizers'));
const dir = path.join(mods, '@lenml/tokenizer-' + name, 'models');
const tj = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf-8'));
const tc = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf-8'));
const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: tj, tokenizerConfig: tc });
const vocab = tok.model.tokens_to_ids;
const byteLevel = JSON.stringify(tj.decoder || {}).includes('"ByteLevel"');
const nfc = JSON.stringify(tj.normalizer || {}).includes('"NFC"');
const meta = JSON.stringify(tj.normalizer || {}).includes('\u2581');

// GPT-2's byte-level alphabet.
const b2u = [];
{
  const bs = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    b2u[b] = String.fromCodePoint(bs.includes(b) ? b : 256 + n++);
  }
}
function byteToken(b) {
  const key = byteLevel ? b2u[b] : '<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>';
  const id = vocab.get(key);
  if (id === undefined) throw new Error('no token for byte ' + b);
  return id;
}
// The length of the valid UTF-8 sequence at i (as src/core/util.c's utf8_len), 0 if none.
function seqLen(u, i) {
  const c = u[i];
  if (c < 0x80) return 1;
  let len, min;
  if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; }
  else return 0;
  if (i + len > u.length) return 0;
  let cp = c & (0xff >> (len + 1));
  for (let k = 1; k < len; k++) {
    if ((u[i + k] & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (u[i + k] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}
const bos = tok.encode('x', { add_special_tokens: true });
const plain = tok.encode('x', { add_special_tokens: false });
const out = [];
out.push('bos ' + (bos.length > plain.length ? bos[0] : -1) + ' adds_bos ' + (bos.length > plain.length ? 1 : 0));
const lines = fs.readFileSync(process.argv[4], 'utf-8').split('\n');
if (lines.length && lines[lines.length - 1] === '') lines.pop();
for (const l of lines) {
  const u = Buffer.from(l, 'hex');
  const ids = [];
  const back = [];
  for (let i = 0; i < u.length;) {
    let j = i;
    for (let k; j < u.length && (k = seqLen(u, j)) > 0; j += k);
    if (j > i) {
      let s = u.subarray(i, j).toString('utf-8');
      for (const id of tok.encode(s, { add_special_tokens: false })) ids.push(id);
      if (nfc) s = s.normalize('NFC');
      if (meta) s = s.replaceAll('\u2581', ' ');
      back.push(Buffer.from(s, 'utf-8'));
      i = j;
    } else {
      ids.push(byteToken(u[i]));
      back.push(u.subarray(i, i + 1));
      i++;
    }
  }
  out.push(ids.join(' ') + '\t' + Buffer.concat(back).toString('hex'));
}
process.stdout.write(out.join('\n') + '\n');
