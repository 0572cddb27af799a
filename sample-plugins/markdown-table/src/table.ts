// Finds GitHub-flavoured Markdown tables in a text and re-lays them out with aligned columns. Everything that
// is not a table (including tables inside fenced code blocks) is returned exactly as it was.
import { displayWidth } from './width';

export type Align = 'none' | 'left' | 'center' | 'right';

interface Line {
  text: string;
  /** The line's own ending ("\n", "\r\n" or "" for the last line), kept as it was. */
  eol: string;
}

const DELIMITER_CELL = /^:?-+:?$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** True when the line has a `|` that is not escaped with a backslash. */
function hasPipe(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') return true;
  }
  return false;
}

/** A row's cells, trimmed: split at every unescaped `|`, without the optional leading and trailing pipe. */
export function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cell += c + s[i + 1]!; // an escaped character (\| above all) stays in the cell, escape included
      i++;
    } else if (c === '|') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += c;
    }
  }
  cells.push(cell.trim());
  return cells;
}

function alignmentOf(cell: string): Align {
  const left = cell.startsWith(':');
  const right = cell.endsWith(':');
  return left && right ? 'center' : right ? 'right' : left ? 'left' : 'none';
}

function delimiterCells(line: string): Align[] | undefined {
  if (!hasPipe(line)) return undefined; // "---" alone is a heading underline or a rule, not a table
  const cells = splitRow(line);
  return cells.every((c) => DELIMITER_CELL.test(c)) ? cells.map(alignmentOf) : undefined;
}

function pad(text: string, width: number, align: Align): string {
  const gap = width - displayWidth(text);
  if (gap <= 0) return text;
  if (align === 'right') return ' '.repeat(gap) + text;
  if (align === 'center') return ' '.repeat(Math.floor(gap / 2)) + text + ' '.repeat(Math.ceil(gap / 2));
  return text + ' '.repeat(gap);
}

function delimiter(width: number, align: Align): string {
  if (align === 'center') return `:${'-'.repeat(width - 2)}:`;
  if (align === 'left') return `:${'-'.repeat(width - 1)}`;
  if (align === 'right') return `${'-'.repeat(width - 1)}:`;
  return '-'.repeat(width);
}

/**
 * Lays out one table. Short rows get empty cells; a row with more cells than the header gets new, empty
 * header columns rather than losing text (GitHub would drop the extra cells).
 */
export function formatTable(header: string[], aligns: Align[], body: string[][], indent: string): string[] {
  // Loops, not Math.max(...rows): a spread of tens of thousands of rows overflows the stack.
  let columns = header.length;
  for (const r of body) columns = Math.max(columns, r.length);
  const cell = (row: string[], i: number) => row[i] ?? '';
  const align = (i: number): Align => aligns[i] ?? 'none';
  const widths: number[] = [];
  // Three columns at least: the shortest delimiter GitHub accepts with both colons is ":-:".
  for (let i = 0; i < columns; i++) widths.push(3);
  for (const r of [header, ...body]) r.forEach((c, i) => (widths[i] = Math.max(widths[i]!, displayWidth(c))));
  const row = (cells: string[]) => `${indent}| ${cells.join(' | ')} |`;
  return [
    row(widths.map((w, i) => pad(cell(header, i), w, align(i)))),
    row(widths.map((w, i) => delimiter(w, align(i)))),
    ...body.map((r) => row(widths.map((w, i) => pad(cell(r, i), w, align(i))))),
  ];
}

function splitLines(text: string): Line[] {
  const parts = text.split(/(\r?\n)/);
  const lines: Line[] = [];
  for (let i = 0; i < parts.length; i += 2) lines.push({ text: parts[i]!, eol: parts[i + 1] ?? '' });
  return lines;
}

export interface AlignResult {
  text: string;
  /** How many tables were found (and laid out, whether or not that changed them). */
  tables: number;
}

export function alignTables(text: string): AlignResult {
  const lines = splitLines(text);
  let tables = 0;
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.text;
    const f = FENCE.exec(line);
    if (fence !== undefined) {
      // Inside a fenced code block until a fence of the same character, at least as long.
      if (f && f[1]![0] === fence[0] && f[1]!.length >= fence.length && line.trim() === f[1]) fence = undefined;
      continue;
    }
    if (f) {
      fence = f[1]!;
      continue;
    }
    const indent = /^ */.exec(line)![0];
    if (indent.length > 3 || !hasPipe(line) || i + 1 >= lines.length) continue;
    const header = splitRow(line);
    const aligns = delimiterCells(lines[i + 1]!.text);
    // GitHub's rule: the delimiter row has exactly as many cells as the header.
    if (aligns === undefined || aligns.length !== header.length) continue;
    let end = i + 2;
    while (end < lines.length && lines[end]!.text.trim() !== '' && hasPipe(lines[end]!.text)) end++;
    const body = lines.slice(i + 2, end).map((l) => splitRow(l.text));
    const formatted = formatTable(header, aligns, body, indent);
    formatted.forEach((t, k) => (lines[i + k]!.text = t));
    tables++;
    i = end - 1;
  }
  return { text: lines.map((l) => l.text + l.eol).join(''), tables };
}
