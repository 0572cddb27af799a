// Base64 toggle over UTF-8, written out by hand: the sandbox has no Buffer, btoa or TextEncoder.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const VALUE = new Map([...ALPHABET].map((ch, i) => [ch, i]));
VALUE.set("-", 62); // URL-safe alphabet (RFC 4648 §5) decodes too
VALUE.set("_", 63);

function utf8Encode(text) {
  const bytes = [];
  for (const ch of text) {
    let cp = ch.codePointAt(0);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate has no UTF-8 form
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return bytes;
}

// Strict decoder: null for anything that is not well-formed UTF-8 (stray continuation bytes,
// overlong forms, surrogates, code points above U+10FFFF, truncated sequences).
function utf8Decode(bytes) {
  const codePoints = [];
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let length, cp, min;
    if (b < 0x80) [length, cp, min] = [1, b, 0];
    else if (b >= 0xc2 && b <= 0xdf) [length, cp, min] = [2, b & 0x1f, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [length, cp, min] = [3, b & 0x0f, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [length, cp, min] = [4, b & 0x07, 0x10000];
    else return null;
    if (i + length > bytes.length) return null;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if ((next & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (next & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    codePoints.push(cp);
    i += length;
  }
  // fromCodePoint in chunks: spreading a huge array would exceed the argument limit.
  const parts = [];
  for (let i = 0; i < codePoints.length; i += 8192) {
    parts.push(String.fromCodePoint(...codePoints.slice(i, i + 8192)));
  }
  return parts.join("");
}

function base64Encode(bytes) {
  const out = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out.push(
      ALPHABET[(n >> 18) & 63] +
        ALPHABET[(n >> 12) & 63] +
        (i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : "=") +
        (i + 2 < bytes.length ? ALPHABET[n & 63] : "="),
    );
  }
  return out.join("");
}

// Unpadded Base64 (JWT parts, URL-safe tokens) is accepted only from this length on, so short
// words such as "ab" (which would decode to "i") are encoded rather than decoded.
const MIN_UNPADDED_LENGTH = 16;

// Bytes for well-formed Base64, otherwise null. Line breaks (wrapped PEM/MIME output) and
// surrounding whitespace are ignored; spaces inside mean it is ordinary text.
function base64Decode(text) {
  const compact = text.trim().replace(/\r?\n/g, "");
  const match = /^([A-Za-z0-9+/_-]*)(={0,2})$/.exec(compact);
  if (match === null || compact === "") return null;
  const [, body, padding] = match;
  if (compact.length % 4 !== 0 && (padding !== "" || compact.length < MIN_UNPADDED_LENGTH)) return null;
  if (body.length % 4 === 1) return null; // 6 stray bits cannot form a byte
  const bytes = [];
  for (let i = 0; i < body.length; i += 4) {
    const chunk = body.slice(i, i + 4);
    let n = 0;
    for (let k = 0; k < 4; k++) n = (n << 6) | (k < chunk.length ? VALUE.get(chunk[k]) : 0);
    bytes.push((n >> 16) & 0xff);
    if (chunk.length > 2) bytes.push((n >> 8) & 0xff);
    if (chunk.length > 3) bytes.push(n & 0xff);
  }
  return bytes;
}

// Decoded text counts as text only without control characters other than tab, CR and LF:
// ordinary words such as "test" or "abcd" are valid Base64 but decode to bytes, not text.
function decodeAsText(text) {
  const bytes = base64Decode(text);
  if (bytes === null) return null;
  const decoded = utf8Decode(bytes);
  if (decoded === null || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(decoded)) return null;
  return decoded;
}

module.exports = {
  transform(input, api) {
    const text = input.text;
    if (text === "") return "";
    const decoded = decodeAsText(text);
    if (decoded !== null) {
      api.log(`decoded ${text.length} Base64 characters`);
      return decoded;
    }
    api.log(`encoded ${[...text].length} characters`);
    return base64Encode(utf8Encode(text));
  },
};
