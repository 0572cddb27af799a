// Plugin logs made safe to show: every entry is stripped of terminal controls and disguising characters,
// redacted of well-known secret shapes, truncated, and rate-limited per plugin before it reaches a sink.
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------
// Sanitising and redaction
// ---------------------------------------------------------------------------------------------------------

/**
 * A secret shape that is redacted from every log entry. A match is replaced by `label`, except its leading
 * `keep` group (a key name, a scheme, a user name), which stays readable.
 */
export interface SecretPattern {
  readonly id: string;
  readonly description: string;
  /** Global. */
  readonly regex: RegExp;
  readonly label: string;
  /** For shapes found in two steps: the [start, end) ranges to redact inside one regex match. */
  readonly within?: (match: string) => Array<readonly [number, number]>;
}

const JWT_PART = /^eyJ[A-Za-z0-9_-]{5,}$/;

/**
 * In a dotted chain `a.b.c…`, the ranges of every `…eyJ<5+>.eyJ<5+>.<signature>` token. Candidates may
 * overlap ("eyJa….eyJb….eyJc….sig"): all are returned and merged later, so no signature is left visible.
 */
function jwtRanges(chain: string): Array<readonly [number, number]> {
  const parts = chain.split('.');
  const ranges: Array<readonly [number, number]> = [];
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    const head = parts[i]!;
    const payload = parts[i + 1];
    const signature = parts[i + 2];
    const start = head.indexOf('eyJ');
    if (start >= 0 && payload !== undefined && signature !== undefined && JWT_PART.test(head.slice(start)) && JWT_PART.test(payload)) {
      ranges.push([offset + start, offset + head.length + 1 + payload.length + 1 + signature.length]);
    }
    offset += head.length + 1;
  }
  return ranges;
}

/**
 * Value of a `name=value` / `name: value` pair: a quoted value up to its closing quote (or the end), else a
 * bare word. At most MAX_SECRET_VALUE characters: matching restarts after each key name (see findSecrets), and
 * unbounded values would make that quadratic on text like "token:token:token:…".
 */
const MAX_SECRET_VALUE = 512;
const PAIR_VALUE = String.raw`(?!\[REDACTED)(?:(?<=["'])(?:(?!\k<q>)[^]){0,${MAX_SECRET_VALUE}}|[^\s"',;&]{1,${MAX_SECRET_VALUE}})`;
const pair = (names: string) => new RegExp(String.raw`(?<keep>(?:${names})["']?\s*[=:]\s*(?<q>["']?))${PAIR_VALUE}`, 'gi');

/**
 * The secret shapes. Every pattern is matched against the same text and the union of what they match is
 * redacted, so one pattern's match can never hide another secret's context (a key name, "Bearer") from its
 * own pattern. Prefixed token shapes match even inside longer words: redacting a little too much is cheaper
 * than missing a token glued to other text.
 */
const PATTERNS: SecretPattern[] = [
  {
    id: 'private-key',
    description: 'PEM private key block (RSA, EC, OPENSSH, ENCRYPTED, PGP …); an unterminated block is redacted to the end of the text',
    regex: /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[^]*?(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g,
    label: '[REDACTED:private-key]',
  },
  {
    id: 'aws-secret-access-key',
    description: 'the value of aws_secret_access_key = … / : … (the key name is kept)',
    regex: pair('aws_?secret_?access_?key'),
    label: '[REDACTED:aws-secret]',
  },
  {
    id: 'authorization-header',
    description: 'the credentials of an Authorization header (Basic, Bearer, token, …); the scheme is kept',
    // The scheme is either there or the next word is not a scheme: an optional group would let the regex skip
    // the scheme and take it for the credentials once they are already redacted.
    regex: /(?<keep>authorization["']?\s*[=:]\s*["']?(?:(?:basic|bearer|token|digest|negotiate)\s+|(?!(?:basic|bearer|token|digest|negotiate)\s)))(?!\[REDACTED)[^\s"',;]{1,512}/gi,
    label: '[REDACTED]',
  },
  {
    id: 'bearer-token',
    // 12+ characters, so prose such as "the bearer of bad news" is left alone.
    description: 'Bearer <token> anywhere (a token of 12 or more characters)',
    regex: /(?<keep>bearer\s+)[A-Za-z0-9\-._~+/]{12,1024}=*/gi,
    label: '[REDACTED]',
  },
  {
    id: 'jwt',
    description: 'JSON Web Token: eyJ….eyJ….signature',
    // The regex finds dotted chains of base64url (one start per chain: linear time) and jwtRanges finds the
    // token inside; a direct /eyJ…\.eyJ…/ regex is quadratic on a long "eyJeyJeyJ…" without dots.
    regex: /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)+/g,
    label: '[REDACTED:jwt]',
    within: jwtRanges,
  },
  {
    id: 'github-token',
    description: 'GitHub token: ghp_/gho_/ghu_/ghs_/ghr_ + 36 or more characters, or github_pat_…',
    regex: /gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}/g,
    label: '[REDACTED:github-token]',
  },
  {
    id: 'slack-token',
    description: 'Slack token: xoxa-/xoxb-/xoxp-/xoxo-/xoxs-/xoxr-…',
    regex: /xox[abposr]-[A-Za-z0-9-]{10,}/g,
    label: '[REDACTED:slack-token]',
  },
  {
    id: 'aws-access-key-id',
    description: 'AWS access key id: AKIA or ASIA + 16 upper-case letters or digits',
    regex: /(?:AKIA|ASIA)[A-Z0-9]{16}/g,
    label: '[REDACTED:aws-key]',
  },
  {
    id: 'url-credentials',
    description: 'the password in a URL such as https://user:password@host (the user is kept)',
    // Anchored on "://" alone (the scheme is ordinary text before it): a scheme pattern would be tried at
    // every letter of the entry.
    regex: /(?<keep>:\/\/[^\s:/@]{1,256}:)[^\s@/]{1,512}(?=@)/g,
    label: '[REDACTED]',
  },
  {
    id: 'secret-pair',
    description:
      'the value of password / passwd / pwd / secret / token / api_key / apikey / access_key / client_secret = … or : … (quoted or not, any case; the key name is kept)',
    regex: pair(String.raw`password|passwd|pwd|client[_-]?secret|secret|token|api[_-]?key|access[_-]?key`),
    label: '[REDACTED]',
  },
];
/** The secret shapes redacted from every entry (see PATTERNS), frozen: tests and docs enumerate this list. */
export const SECRET_PATTERNS: readonly SecretPattern[] = Object.freeze(PATTERNS.map((p) => Object.freeze(p)));

interface Redaction {
  start: number;
  end: number;
  label: string;
}

/** Where `text` holds secrets: the merged ranges of every pattern's matches, in order. */
function findSecrets(text: string): Redaction[] {
  const found: Redaction[] = [];
  for (const p of SECRET_PATTERNS) {
    const re = p.regex;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (p.within) {
        for (const [s, e] of p.within(m[0])) found.push({ start: m.index + s, end: m.index + e, label: p.label });
        continue;
      }
      const keep = m.groups?.['keep']?.length ?? 0;
      if (m[0].length > keep) found.push({ start: m.index + keep, end: m.index + m[0].length, label: p.label });
      // A value may swallow the next key name ("password='password='…'"): search again right after this key.
      if (keep > 0) re.lastIndex = m.index + keep;
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Redaction[] = [];
  for (const r of found) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/** Replaces every secret of a SECRET_PATTERNS shape with its label (no stripping; see sanitizeLogText). */
export function redactSecrets(text: string): string {
  let out = '';
  let at = 0;
  for (const r of findSecrets(text)) {
    out += text.slice(at, r.start) + r.label;
    at = r.end;
  }
  return out + text.slice(at);
}

// One pass over everything that is removed or replaced, in priority order at each position:
//  - escape sequences: CSI (ESC [ or 8-bit CSI) … final byte; string commands OSC/DCS/SOS/PM/APC up to BEL
//    or ST, or to the end when unterminated; any other ESC, intermediates, final byte (ECMA-48 ranges);
//  - line breaks of every kind (become "⏎", so one entry can never look like several); tabs (a space);
//  - every other C0/C1 control and DEL;
//  - format characters (category Cf: bidi overrides and isolates U+202A–202E / U+2066–2069, marks,
//    zero-width spaces and joiners, BOM, soft hyphen, tag characters …) and the invisible Hangul fillers,
//    which can disguise what a line says;
//  - lone surrogates (become U+FFFD; with the u flag a character class only matches unpaired ones).
const STRIPPED = new RegExp(
  [
    String.raw`(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]`,
    String.raw`(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^]*?(?:\x07|\x1b\\|\x9c|$)`,
    String.raw`\x1b[ -/]*[0-~]`,
    String.raw`(?<br>\r\n|[\r\n\x0b\x0c\x85\u2028\u2029])`,
    String.raw`(?<tab>\t)`,
    String.raw`[\x00-\x08\x0e-\x1f\x7f-\x9f]`,
    String.raw`[\p{Cf}\u115f\u1160\u3164\uffa0]`,
    String.raw`(?<lone>[\ud800-\udfff])`,
  ].join('|'),
  'gu',
);

export const LINE_BREAK_MARK = '⏎';
export const DEFAULT_MAX_LOG_CHARS = 2048;
/** Anything longer than this many times maxChars is cut before any other work, so a huge entry stays cheap. */
export const PREFIX_FACTOR = 4;
const MIN_MAX_CHARS = 64; // room for the truncation marker and a readable start
// Characters that secret tokens are made of: a run of them cut by the length guard may be a secret's prefix.
const TOKEN_CHAR = /[A-Za-z0-9_\-.+/=]/;
// Longer runs are blobs (a long JWT's header and claims, base64 data), not the start of a token worth hiding;
// dropping them whole would leave an entry that shows nothing.
const MAX_PARTIAL_TOKEN = 256;

/** The stripped text, and for each of its UTF-16 units the index in the input it came from. */
function stripWithOrigins(input: string): { text: string; origin: number[] } {
  let text = '';
  const origin: number[] = [];
  const keep = (from: number, to: number) => {
    text += input.slice(from, to);
    for (let i = from; i < to; i++) origin.push(i);
  };
  let at = 0;
  STRIPPED.lastIndex = 0;
  for (let m = STRIPPED.exec(input); m !== null; m = STRIPPED.exec(input)) {
    keep(at, m.index);
    const replacement = m.groups?.['br'] ? LINE_BREAK_MARK : m.groups?.['tab'] ? ' ' : m.groups?.['lone'] ? '\ufffd' : '';
    if (replacement) {
      text += replacement;
      origin.push(m.index);
    }
    at = m.index + m[0].length;
  }
  keep(at, input.length);
  return { text, origin };
}

/** Removes terminal escape sequences, control and invisible characters; marks line breaks (no redaction). */
export function stripControls(text: string): string {
  return stripWithOrigins(text).text;
}

/**
 * Makes untrusted text safe to log: cut to PREFIX_FACTOR × maxChars first (cheap on huge input); strip escape
 * sequences, control and invisible characters (line breaks become "⏎"); redact secrets; truncate to at most
 * maxChars characters including a "… [truncated N chars]" marker. The output never contains a C0/C1 control
 * character, a format (Cf) character or a lone surrogate.
 *
 * Secrets are looked for in the stripped text — so a secret split by an escape sequence is whole again — and
 * also in the text as it came, because stripping can eat a character next to an escape sequence ("\x1b[p" is a
 * whole CSI sequence) and leave "assword=<secret>". What either view finds is redacted in the output.
 */
export function sanitizeLogText(raw: string, maxChars: number = DEFAULT_MAX_LOG_CHARS): string {
  if (!Number.isInteger(maxChars) || maxChars < MIN_MAX_CHARS) throw new RangeError(`maxChars must be an integer of at least ${MIN_MAX_CHARS}`);
  const input = typeof raw === 'string' ? raw : String(raw);
  const cutAt = maxChars * PREFIX_FACTOR;
  let dropped = Math.max(0, input.length - cutAt);
  const prefix = dropped > 0 ? input.slice(0, cutAt) : input;
  const { text: stripped, origin } = stripWithOrigins(prefix);

  let visible = stripped.length;
  if (dropped > 0) {
    // The cut may have split a token in two; its first half would no longer match its pattern, so drop it.
    // (A scan, not a /…+$/ regex: that would be quadratic on text with long runs.)
    let start = visible;
    while (start > 0 && visible - start <= MAX_PARTIAL_TOKEN && TOKEN_CHAR.test(stripped[start - 1]!)) start--;
    if (visible - start <= MAX_PARTIAL_TOKEN) {
      dropped += visible - start;
      visible = start;
    }
  }

  // Both views' secrets as ranges of the input, merged.
  const ranges = [
    ...findSecrets(prefix),
    ...findSecrets(stripped).map((r) => ({ start: origin[r.start]!, end: origin[r.end - 1]! + 1, label: r.label })),
  ].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Redaction[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.start < last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }

  // The stripped text with every character that came from a secret range replaced by that range's label, once.
  let text = '';
  let r = 0;
  let labelled = -1;
  for (let i = 0; i < visible; i++) {
    const o = origin[i]!;
    while (r < merged.length && merged[r]!.end <= o) r++;
    const range = merged[r];
    if (range && range.start <= o) {
      if (labelled !== r) text += range.label;
      labelled = r;
    } else {
      text += stripped[i];
    }
  }

  if (text.length <= maxChars && dropped === 0) return text;
  // Room for the marker, sized for the largest count it could show.
  const room = maxChars - truncationMarker(text.length + dropped).length;
  let body = text.slice(0, Math.max(0, room));
  if (/[\ud800-\udbff]$/.test(body)) body = body.slice(0, -1); // never end on half a surrogate pair
  return body + truncationMarker(text.length - body.length + dropped);
}

function truncationMarker(n: number): string {
  return `… [truncated ${n} chars]`;
}

// ---------------------------------------------------------------------------------------------------------
// Rate limiting
// ---------------------------------------------------------------------------------------------------------

const LimiterOptionsSchema = z
  .object({
    limit: z.number().int().min(1).max(1_000_000),
    windowMs: z.number().int().min(1),
    now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function'),
    noun: z.tuple([z.string().min(1), z.string().min(1)]),
  })
  .partial()
  .strict();

export interface LogLimiterOptions {
  /** Entries admitted per plugin per window (default 100). */
  limit?: number;
  /** Window length in ms (default 60 000). */
  windowMs?: number;
  /** Clock in ms (default Date.now); tests inject one instead of waiting. */
  now?: () => number;
  /** How the notice names what was dropped: [singular, plural] (default ['log entry', 'log entries']). */
  noun?: [string, string];
}

export interface Admission {
  admitted: boolean;
  /** With the first admitted entry of a window: how many entries the plugin lost in an earlier window. */
  notice?: string;
}

interface PluginWindow {
  window: number;
  admitted: number;
  dropped: number;
}

/**
 * Per-plugin rate limit over FIXED windows: the windows are [k·windowMs, (k+1)·windowMs) of the clock, and
 * each plugin may have `limit` entries admitted in each (default: 100 per 60-second window). Fixed windows
 * (rather than sliding) keep the state to one counter per plugin and make the drop notice name exactly one
 * window. A burst can therefore reach 2 × limit across a window boundary; that is accepted.
 *
 * Memory stays bounded: a plugin is forgotten once it was idle for a window, unless it has dropped entries
 * whose notice was not yet delivered (one small record per such plugin, until its next entry or flush()).
 */
export class LogLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly noun: [string, string];
  private readonly states = new Map<string, PluginWindow>();
  private lastSweep = -Infinity;

  constructor(options: LogLimiterOptions = {}) {
    const parsed = LimiterOptionsSchema.safeParse(options);
    if (!parsed.success) throw new Error(`invalid log limiter options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.limit = options.limit ?? 100;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.noun = options.noun ?? ['log entry', 'log entries'];
  }

  admit(plugin: string): Admission {
    const window = Math.floor(this.now() / this.windowMs);
    this.sweep(window);
    let state = this.states.get(plugin);
    let notice: string | undefined;
    // Only a later window starts afresh: a clock that steps back must not hand out a new allowance.
    if (state && window > state.window) {
      if (state.dropped > 0) notice = this.noticeFor(state.dropped);
      state = undefined;
    }
    if (!state) {
      state = { window, admitted: 0, dropped: 0 };
      this.states.set(plugin, state);
    }
    if (state.admitted < this.limit) {
      state.admitted++;
      return notice === undefined ? { admitted: true } : { admitted: true, notice };
    }
    state.dropped++;
    return { admitted: false };
  }

  /** Takes every pending drop notice (including the current window's), e.g. at exit; each is returned once. */
  flush(): Array<{ plugin: string; notice: string }> {
    const out: Array<{ plugin: string; notice: string }> = [];
    for (const [plugin, state] of this.states) {
      if (state.dropped === 0) continue;
      out.push({ plugin, notice: this.noticeFor(state.dropped) });
      state.dropped = 0;
    }
    return out;
  }

  /** How many plugins the limiter currently remembers (for tests and diagnostics). */
  get trackedPlugins(): number {
    return this.states.size;
  }

  private sweep(window: number): void {
    if (window <= this.lastSweep) return; // at most once per window: admit() stays O(1) amortised
    this.lastSweep = window;
    for (const [plugin, state] of this.states) {
      if (state.window < window && state.dropped === 0) this.states.delete(plugin);
    }
  }

  private noticeFor(dropped: number): string {
    const per = this.windowMs === 60_000 ? 'minute' : `${this.windowMs / 1000} s`;
    return `${dropped} ${dropped === 1 ? this.noun[0] : this.noun[1]} dropped (limit: ${this.limit} per ${per})`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The logger
// ---------------------------------------------------------------------------------------------------------

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogEntry {
  plugin: string;
  level: LogLevel;
  /** 'plugin': the plugin's own api.log text; 'runtime': what the runtime says about the plugin. */
  source: 'plugin' | 'runtime';
  message: string;
  time: number;
}

export interface LogSink {
  write(entry: LogEntry): void;
}

export interface PluginLoggerOptions {
  sink: LogSink;
  /** Limits the plugin's own entries (default: 100 per minute). */
  limiter?: LogLimiter;
  /** Limits runtime notes per plugin (default: 300 per minute); see PluginLogger.runtime. */
  runtimeLimiter?: LogLimiter;
  maxChars?: number;
  /** Clock for LogEntry.time (default Date.now). */
  now?: () => number;
}

/** Plugin names appear in every entry; they are validated elsewhere, but the sink must never depend on that. */
const MAX_PLUGIN_NAME_CHARS = 128;

/**
 * Sends plugin log lines and runtime notes to a sink, each sanitised and redacted by sanitizeLogText, so the
 * sink never receives a control character or a secret of a listed shape. A throwing sink is the host's bug
 * and is not hidden.
 */
export class PluginLogger {
  private readonly sink: LogSink;
  private readonly limiter: LogLimiter;
  private readonly runtimeLimiter: LogLimiter;
  private readonly maxChars: number;
  private readonly now: () => number;

  constructor(options: PluginLoggerOptions) {
    this.sink = options.sink;
    this.limiter = options.limiter ?? new LogLimiter();
    this.runtimeLimiter = options.runtimeLimiter ?? new LogLimiter({ limit: 300, noun: ['runtime note', 'runtime notes'] });
    this.maxChars = options.maxChars ?? DEFAULT_MAX_LOG_CHARS;
    this.now = options.now ?? Date.now;
    sanitizeLogText('', this.maxChars); // refuse a bad maxChars now, not on the first entry
  }

  /**
   * A line the plugin logged. Counts against the plugin's limit; a dropped line is only counted, and the
   * count is reported once, as a runtime entry, before the plugin's next admitted line. Non-string input
   * (it came from an untrusted worker) is logged as JSON. Returns whether the line was written.
   */
  plugin(pluginName: string, rawText: unknown, level: LogLevel = 'info'): boolean {
    const { admitted, notice } = this.limiter.admit(pluginName);
    if (notice !== undefined) this.emit(pluginName, 'warn', 'runtime', notice);
    if (!admitted) return false;
    this.emit(pluginName, level, 'plugin', textOf(rawText));
    return true;
  }

  /**
   * The runtime's own note about a plugin (a denial, a failure, a state change). Not counted against the
   * plugin's log limit — a plugin must not be able to silence reports about itself by logging — but a plugin
   * that triggers a flood of denials still cannot flood the log: runtime notes have their own, higher limit
   * (300 per minute per plugin by default), with the same drop notice.
   */
  runtime(pluginName: string, level: LogLevel, text: string): boolean {
    const { admitted, notice } = this.runtimeLimiter.admit(pluginName);
    if (notice !== undefined) this.emit(pluginName, 'warn', 'runtime', notice);
    if (!admitted) return false;
    this.emit(pluginName, level, 'runtime', text);
    return true;
  }

  /** Writes every pending drop notice (call at exit, so the last window's drops are not lost silently). */
  flush(): void {
    for (const limiter of [this.limiter, this.runtimeLimiter]) {
      for (const { plugin, notice } of limiter.flush()) this.emit(plugin, 'warn', 'runtime', notice);
    }
  }

  private emit(pluginName: string, level: LogLevel, source: LogEntry['source'], text: string): void {
    this.sink.write({
      plugin: sanitizeLogText(String(pluginName), MAX_PLUGIN_NAME_CHARS),
      level,
      source,
      message: sanitizeLogText(text, this.maxChars),
      time: this.now(),
    });
  }
}

function textOf(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  try {
    return JSON.stringify(raw) ?? String(raw);
  } catch {
    return '[a value that cannot be logged]';
  }
}
