// Logs statistics about the selection and returns it unchanged.

// Words: runs of letters, digits and marks, joined by an inner apostrophe or dot ("don't", "e.g",
// "3.14"). Chinese and Japanese are written without spaces, so each Han or kana character counts as
// one word, as word processors count them.
const CJK = "\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}";
const WORD_CHAR = `(?:(?![${CJK}])[\\p{L}\\p{N}\\p{M}_])`;
const WORD = new RegExp(`[${CJK}]|${WORD_CHAR}+(?:['’.]${WORD_CHAR}+)*`, "gu");

// Characters are user-perceived characters (grapheme clusters: 👍🏽, e + ◌́ and CRLF are one each).
// Intl.Segmenter is used only where it matters: V8's segment iterator gets slower the longer the
// string, so it is fed line by line, and text below U+0300 (no combining marks, no emoji) is counted
// directly. Past SEGMENTER_BUDGET code units of such text the count falls back to code points, to
// stay well inside the 200 ms limit.
const SEGMENTER_BUDGET = 100_000;
const graphemes =
  typeof Intl === "object" && typeof Intl.Segmenter === "function"
    ? new Intl.Segmenter("en", { granularity: "grapheme" })
    : null;

function countCharacters(text) {
  let count = 0;
  let budget = SEGMENTER_BUDGET;
  let exact = true;
  for (const line of text.split(/(?<=\n)/)) {
    if (/^[\u0000-\u02ff]*$/.test(line)) {
      count += line.length - (line.endsWith("\r\n") ? 1 : 0);
    } else if (graphemes !== null && line.length <= budget) {
      budget -= line.length;
      for (const _ of graphemes.segment(line)) count++;
    } else {
      exact = false;
      count += [...line].length - (line.endsWith("\r\n") ? 1 : 0);
    }
  }
  return { count, exact };
}

function utf8Bytes(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3; // includes a lone surrogate, written as U+FFFD by UTF-8 encoders
  }
  return bytes;
}

function countLines(text) {
  if (text === "") return 0;
  const breaks = text.match(/\r\n|\r|\n/g)?.length ?? 0;
  // A final newline ends the last line rather than starting a new one.
  return /[\r\n]$/.test(text) ? breaks : breaks + 1;
}

function topWords(words, limit) {
  const counts = new Map();
  for (const word of words) {
    const key = word.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // By count, then alphabetically, so the log reads the same on every run.
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, limit);
}

// A "word" can be a whole minified line: keep log entries readable.
function shorten(word) {
  const chars = [...word];
  return chars.length > 40 ? chars.slice(0, 39).join("") + "…" : word;
}

module.exports = {
  transform(input, api) {
    const text = input.text;
    const words = text.match(WORD) ?? [];
    const all = countCharacters(text);
    const visible = countCharacters(text.replace(/\s+/gu, ""));
    const unit = all.exact && visible.exact ? "characters" : "code points";

    api.log(
      `lines: ${countLines(text)}, words: ${words.length}, ` +
        `${unit}: ${all.count} (${visible.count} without whitespace), UTF-8 bytes: ${utf8Bytes(text)}`,
    );
    const top = topWords(words, 5);
    if (top.length > 0) {
      api.log(`most frequent: ${top.map(([word, count]) => `${shorten(word)} ×${count}`).join(", ")}`);
    }
    return text;
  },
};
