// How many terminal/editor columns a cell's text takes in a monospace font: wide East Asian characters and
// emoji take two, combining marks and zero-width characters none. Good enough to line up pipes by eye.

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
// Emoji shown as pictures (not ©, ™ and the like, which most fonts draw one column wide).
const EMOJI = /\p{Emoji_Presentation}|\uFE0F/u;

/** East Asian Wide and Fullwidth ranges (Unicode 15, the blocks that matter in practice). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) || // Hangul Jamo initials
    (cp >= 0x2e80 && cp <= 0x303e) || // CJK radicals, punctuation
    (cp >= 0x3041 && cp <= 0x33ff) || // Hiragana, Katakana, CJK compatibility
    (cp >= 0x3400 && cp <= 0x4dbf) || // CJK extension A
    (cp >= 0x4e00 && cp <= 0x9fff) || // CJK unified ideographs
    (cp >= 0xa000 && cp <= 0xa4cf) || // Yi
    (cp >= 0xac00 && cp <= 0xd7a3) || // Hangul syllables
    (cp >= 0xf900 && cp <= 0xfaff) || // CJK compatibility ideographs
    (cp >= 0xfe30 && cp <= 0xfe4f) || // CJK compatibility forms
    (cp >= 0xff00 && cp <= 0xff60) || // Fullwidth forms
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd) // CJK extensions B and later
  );
}

const segmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter('en', { granularity: 'grapheme' }) : undefined;

function graphemes(text: string): string[] {
  if (segmenter) return Array.from(segmenter.segment(text), (s) => s.segment);
  return Array.from(text);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length; // the common case, without segmenting
  let width = 0;
  for (const g of graphemes(text)) {
    const cp = g.codePointAt(0)!;
    if (ZERO_WIDTH.test(g)) continue;
    width += isWide(cp) || EMOJI.test(g) ? 2 : 1;
  }
  return width;
}
