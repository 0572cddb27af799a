// Logging: every secret shape redacted, terminal and bidi injection removed, truncation and its order, the
// fixed-window limiter with an injected clock, and the logger that combines them in front of a sink.
// Every fake secret is assembled at run time, so nothing in this file looks like a real credential.
import * as assert from 'node:assert/strict';
import {
  DEFAULT_MAX_LOG_CHARS,
  LogLimiter,
  PluginLogger,
  SECRET_PATTERNS,
  redactSecrets,
  sanitizeLogText,
  type LogEntry,
} from '../../src/core/logging';

const alnum = (n: number, seed = 7) => Array.from({ length: n }, (_, i) => 'aB3xY9kQ7mZ2'[(i * seed) % 12]).join('');
const upper = (n: number) => Array.from({ length: n }, (_, i) => 'QWERTY2345ZX'[i % 12]).join('');

const fake = {
  awsKeyId: 'AK' + 'IA' + upper(16),
  awsStsKeyId: 'AS' + 'IA' + upper(16),
  awsSecret: alnum(20) + '/' + alnum(19),
  ghp: 'gh' + 'p_' + alnum(36),
  gho: 'gh' + 'o_' + alnum(36),
  ghu: 'gh' + 'u_' + alnum(40),
  ghs: 'gh' + 's_' + alnum(36),
  ghr: 'gh' + 'r_' + alnum(36),
  githubPat: 'github' + '_pat_' + alnum(22) + '_' + alnum(59),
  slack: 'xo' + 'xb-' + '1234567890-' + '0987654321-' + alnum(24),
  jwt: 'ey' + 'JhbGciOiJIUzI1NiJ9' + '.' + 'ey' + 'JzdWIiOiIxMjM0NTY3ODkwIn0' + '.' + alnum(43),
  bearer: alnum(32) + '.' + alnum(8),
  basic: Buffer.from('user:' + alnum(12)).toString('base64'),
  pemBody: Array.from({ length: 4 }, (_, i) => alnum(64, i + 5)).join('\n'),
  password: alnum(16, 5),
};

const s = (raw: string, max?: number) => sanitizeLogText(raw, max);
// eslint-disable-next-line no-control-regex
const CONTROL_OR_INVISIBLE = /[\x00-\x1f\x7f-\x9f\p{Cf}]/u;

describe('sanitizeLogText: secrets', () => {
  const cases: Array<[string, string, string, string]> = [
    // [title, input, expected output, the secret that must be gone]
    ['AWS access key id (AKIA)', `key ${fake.awsKeyId} used`, 'key [REDACTED:aws-key] used', fake.awsKeyId],
    ['AWS access key id (ASIA)', `key=${fake.awsStsKeyId}`, 'key=[REDACTED:aws-key]', fake.awsStsKeyId],
    ['AWS secret access key', `aws_secret_access_key = ${fake.awsSecret}`, 'aws_secret_access_key = [REDACTED:aws-secret]', fake.awsSecret],
    ['AWS secret access key (env var, quoted)', `AWS_SECRET_ACCESS_KEY="${fake.awsSecret}"`, 'AWS_SECRET_ACCESS_KEY="[REDACTED:aws-secret]"', fake.awsSecret],
    ['GitHub ghp_', `token ${fake.ghp}`, 'token [REDACTED:github-token]', fake.ghp],
    ['GitHub gho_', fake.gho, '[REDACTED:github-token]', fake.gho],
    ['GitHub ghu_ (longer than 36)', `(${fake.ghu})`, '([REDACTED:github-token])', fake.ghu],
    ['GitHub ghs_', `x${fake.ghs}x`, 'x[REDACTED:github-token]', fake.ghs],
    ['GitHub ghr_', fake.ghr, '[REDACTED:github-token]', fake.ghr],
    ['GitHub fine-grained PAT', `GITHUB_TOKEN=${fake.githubPat}`, 'GITHUB_TOKEN=[REDACTED:github-token]', fake.githubPat],
    ['Slack token', `slack: ${fake.slack} ok`, 'slack: [REDACTED:slack-token] ok', fake.slack],
    ['JWT', `got ${fake.jwt} back`, 'got [REDACTED:jwt] back', fake.jwt],
    ['JWT glued to other text', `id=x${fake.jwt}.more`, 'id=x[REDACTED:jwt].more', fake.jwt],
    ['Bearer token', `curl -H "Bearer ${fake.bearer}"`, 'curl -H "Bearer [REDACTED]"', fake.bearer],
    ['Authorization: Bearer', `Authorization: Bearer ${fake.bearer}`, 'Authorization: Bearer [REDACTED]', fake.bearer],
    ['Authorization: Basic', `authorization: Basic ${fake.basic}`, 'authorization: Basic [REDACTED]', fake.basic],
    ['Authorization header without a scheme', `{"Authorization": "${fake.password}"}`, '{"Authorization": "[REDACTED]"}', fake.password],
    [
      'PEM private key block',
      `before -----BEGIN RSA PRIVATE KEY-----\n${fake.pemBody}\n-----END RSA PRIVATE KEY----- after`,
      'before [REDACTED:private-key] after',
      fake.pemBody.slice(0, 64),
    ],
    ['unterminated PEM block (to the end)', `-----BEGIN OPENSSH PRIVATE KEY-----\n${fake.pemBody}`, '[REDACTED:private-key]', fake.pemBody.slice(-64)],
    ['PGP private key block', `-----BEGIN PGP PRIVATE KEY BLOCK-----\n${fake.pemBody}\n-----END PGP PRIVATE KEY BLOCK-----`, '[REDACTED:private-key]', fake.pemBody.slice(0, 64)],
    ['URL credentials', `fetch https://bob:${fake.password}@example.com/x`, 'fetch https://bob:[REDACTED]@example.com/x', fake.password],
  ];
  for (const [title, input, expected, secret] of cases) {
    it(`redacts ${title}`, () => {
      const out = s(input);
      assert.equal(out, expected.replace(/\n/g, '⏎'));
      assert.ok(!out.includes(secret));
    });
  }

  const names = ['password', 'passwd', 'pwd', 'secret', 'token', 'api_key', 'apikey', 'access_key', 'client_secret'];
  for (const name of names) {
    it(`redacts the value of ${name}= / ${name}: in every common form, keeping the name`, () => {
      const v = fake.password;
      const forms: Array<[string, string]> = [
        [`${name}=${v}`, `${name}=[REDACTED]`],
        [`${name.toUpperCase()}: ${v}`, `${name.toUpperCase()}: [REDACTED]`],
        [`${name} = "${v} with spaces"`, `${name} = "[REDACTED]"`],
        [`{'${name}': '${v}'}`, `{'${name}': '[REDACTED]'}`],
        [`{"${name}":"${v}","user":"bob"}`, `{"${name}":"[REDACTED]","user":"bob"}`],
        [`?${name}=${v}&next=1`, `?${name}=[REDACTED]&next=1`],
        [`db_${name}=${v}; other=1`, `db_${name}=[REDACTED]; other=1`],
      ];
      for (const [input, expected] of forms) {
        assert.equal(s(input), expected, input);
        assert.ok(!s(input).includes(v));
      }
    });
  }

  it('leaves ordinary text alone', () => {
    for (const text of [
      'the bearer of bad news',
      'tokens: 5, passwords: 3',
      'version 1.2.3 of eyJ.eyJ.x',
      'AKIA is a prefix',
      'ghp_short',
      'https://example.com/a:b@c', // no user:password before @ in the authority
      'sorted 12 lines in 3 ms',
    ]) {
      assert.equal(s(text), text);
    }
  });

  it('redacts secrets that another match would swallow (patterns are matched independently)', () => {
    const v = fake.password;
    assert.equal(s(`Bearer ${alnum(8)}password=${v}`), 'Bearer [REDACTED]');
    assert.ok(!s(`token=password='${v}'`).includes(v));
    assert.ok(!s(`password='password='${v}'`).includes(v));
    assert.ok(!s(`${fake.ghp}password=${v}`).includes(v));
  });

  it('exports the pattern list, each with an id, a description and a global regex', () => {
    assert.deepEqual(
      SECRET_PATTERNS.map((p) => p.id),
      ['private-key', 'aws-secret-access-key', 'authorization-header', 'bearer-token', 'jwt', 'github-token', 'slack-token', 'aws-access-key-id', 'url-credentials', 'secret-pair'],
    );
    for (const p of SECRET_PATTERNS) {
      assert.ok(p.description.length > 10);
      assert.ok(p.regex.global, p.id);
      assert.match(p.label, /^\[REDACTED(:[a-z-]+)?\]$/);
    }
    assert.ok(Object.isFrozen(SECRET_PATTERNS));
  });

  it('redactSecrets alone redacts without stripping', () => {
    assert.equal(redactSecrets(`a\n${fake.ghp}`), 'a\n[REDACTED:github-token]');
  });
});

describe('sanitizeLogText: injection', () => {
  it('removes ANSI/VT escape sequences (CSI, OSC, DCS, 8-bit CSI, other ESC sequences)', () => {
    assert.equal(s('\x1b[31mred\x1b[0m \x1b[2K\x1b[1Gerased \x1b[?25lhidden'), 'red erased hidden');
    assert.equal(s('\x1b]0;fake title\x07after'), 'after');
    assert.equal(s('\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ here'), 'click here');
    assert.equal(s('\x1bPq#0;2;0;0;0\x1b\\ok'), 'ok');
    assert.equal(s('\x9b31mred\x9b0m'), 'red');
    assert.equal(s('\x1b(Bcharset \x1b7saved\x1b8'), 'charset saved');
    assert.equal(s('\x1b]unterminated osc swallows the rest'), '');
  });

  it('turns every kind of line break into a visible mark, so no log line can be forged', () => {
    const out = s('done\n[ERROR] [other-plugin] forged\r\nx\ry\u2028z\u2029w\x85v\x0bu\x0ct');
    assert.equal(out, 'done⏎[ERROR] [other-plugin] forged⏎x⏎y⏎z⏎w⏎v⏎u⏎t');
  });

  it('removes other C0/C1 controls and DEL, and turns tabs into spaces', () => {
    assert.equal(s('a\x00b\x07c\x08d\x7fe\x80\x9af\tg'), 'abcdef g');
  });

  it('removes bidi overrides/isolates and other invisible format characters', () => {
    const bidi = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c'];
    for (const c of bidi) assert.equal(s(`evil${c}txt.exe`), 'eviltxt.exe', `U+${c.codePointAt(0)!.toString(16)}`);
    assert.equal(s('pass\u200bword\u200c\u200d\u2060\ufeff\u00ad\u{e0041}\u3164!'), 'password!');
  });

  it('replaces lone surrogates and keeps pairs', () => {
    assert.equal(s('a\ud800b\udc00c😀'), 'a\ufffdb\ufffdc😀');
  });

  it('strips before redacting: a secret split by escape or invisible characters is still redacted', () => {
    const [head, tail] = [fake.ghp.slice(0, 10), fake.ghp.slice(10)];
    assert.equal(s(`${head}\x1b[0m${tail}`), '[REDACTED:github-token]');
    assert.equal(s(`${head}\u200b${tail}`), '[REDACTED:github-token]');
    assert.equal(s(`${head}\x00${tail}`), '[REDACTED:github-token]');
    assert.equal(s(`pass\x1b[1mword=${fake.password}`), 'password=[REDACTED]');
  });

  it('redacts before stripping too: an escape sequence cannot eat the start of a key name', () => {
    // "\x1b[p" is a complete CSI sequence; stripping alone would leave "assword=<secret>"
    assert.equal(s(`\x1b[password=${fake.password}`), 'assword=[REDACTED]');
    assert.ok(!s(`\x1b-----BEGIN RSA PRIVATE KEY-----\n${fake.pemBody}`).includes(fake.pemBody.slice(0, 64)));
  });
});

describe('sanitizeLogText: truncation', () => {
  it('returns short text unchanged', () => {
    assert.equal(s('x'.repeat(DEFAULT_MAX_LOG_CHARS)), 'x'.repeat(DEFAULT_MAX_LOG_CHARS));
  });

  it('truncates to maxChars including the marker, and says how much was cut', () => {
    const out = s('y'.repeat(3000));
    assert.equal(out.length <= DEFAULT_MAX_LOG_CHARS, true);
    const m = /… \[truncated (\d+) chars\]$/.exec(out);
    assert.ok(m, out.slice(-40));
    assert.equal(out.length - m[0].length + Number(m[1]), 3000, 'kept + reported = original');
    assert.equal(s('z'.repeat(200), 100), 'z'.repeat(77) + '… [truncated 123 chars]');
  });

  it('redacts before truncating: a secret at the cut is never partly shown', () => {
    for (let pad = 60; pad < 100; pad++) {
      const out = s('p'.repeat(pad) + ' ' + fake.ghp + ' tail', 100);
      assert.ok(!out.includes(fake.ghp.slice(0, 8)), `pad ${pad}: ${out}`);
    }
  });

  it('never ends on half a surrogate pair', () => {
    const out = s('😀'.repeat(100), 64);
    assert.ok(!/[\ud800-\udbff]…/.test(out));
    assert.ok(!CONTROL_OR_INVISIBLE.test(out));
  });

  it('cuts huge input to a bounded entry and still reports the whole amount', () => {
    const huge = 'w'.repeat(10_000_000);
    const out = s(huge);
    assert.ok(out.length <= DEFAULT_MAX_LOG_CHARS);
    const m = /… \[truncated (\d+) chars\]$/.exec(out)!;
    assert.equal(out.length - m[0].length + Number(m[1]), 10_000_000, 'kept + reported = original');
  });

  it('drops a token cut in half by the length guard, even when stripping pulls it into view', () => {
    // 7200 characters of escape sequences vanish, so the text at the 4 × 2048 cut lands inside the output.
    const padding = '\x1b[0m'.repeat(1800);
    const before = 'x '.repeat(486);
    const room = 4 * DEFAULT_MAX_LOG_CHARS - padding.length - before.length;
    const raw = padding + before + fake.ghp.slice(0, room) + fake.ghp.slice(room) + ' after';
    assert.ok(room > 4 && room < fake.ghp.length, 'the cut falls inside the token');
    const out = s(raw);
    assert.ok(!out.includes(fake.ghp.slice(0, room)), out.slice(-80));
    assert.match(out, /… \[truncated \d+ chars\]$/);
  });

  it('refuses a maxChars too small for the marker', () => {
    assert.throws(() => s('x', 10), RangeError);
    assert.throws(() => s('x', 100.5), RangeError);
  });

  // Speed is the benchmark's business; here, inputs built to make the patterns backtrack must still come
  // back bounded and clean (a catastrophic pattern would show up as this test hanging into mocha's timeout).
  it('handles inputs built to make regexes backtrack', () => {
    const n = 4 * DEFAULT_MAX_LOG_CHARS;
    const nasty = ['eyJ'.repeat(n / 3), 'token:'.repeat(n / 6), 'password='.repeat(n / 9), "password='".repeat(n / 10), 'a'.repeat(n), '-----BEGIN '.repeat(n / 11), 'xoxb-'.repeat(n / 5), 'a://b:'.repeat(n / 6)];
    for (const text of nasty) {
      const out = s(text);
      assert.ok(out.length <= DEFAULT_MAX_LOG_CHARS, text.slice(0, 12));
      assert.ok(!CONTROL_OR_INVISIBLE.test(out), text.slice(0, 12));
    }
  });
});

describe('LogLimiter', () => {
  let t: number;
  const clock = () => t;
  beforeEach(() => {
    t = 0;
  });

  it('admits 100 entries per window and drops the 101st', () => {
    const limiter = new LogLimiter({ now: clock });
    for (let i = 0; i < 100; i++) assert.deepEqual(limiter.admit('a'), { admitted: true }, `entry ${i + 1}`);
    assert.deepEqual(limiter.admit('a'), { admitted: false });
  });

  it('reports the drops once, with the first admitted entry of a later window', () => {
    const limiter = new LogLimiter({ now: clock });
    for (let i = 0; i < 105; i++) limiter.admit('a');
    t = 60_000;
    assert.deepEqual(limiter.admit('a'), { admitted: true, notice: '5 log entries dropped (limit: 100 per minute)' });
    assert.deepEqual(limiter.admit('a'), { admitted: true });
    t = 120_000;
    assert.deepEqual(limiter.admit('a'), { admitted: true }, 'a window without drops has no notice');
  });

  it('reports a drop from a window long ago when the plugin next logs', () => {
    const limiter = new LogLimiter({ now: clock, limit: 1 });
    limiter.admit('a');
    limiter.admit('a');
    t = 10 * 60_000;
    assert.deepEqual(limiter.admit('a'), { admitted: true, notice: '1 log entry dropped (limit: 1 per minute)' });
  });

  it('uses fixed windows aligned to the clock, not to the first entry', () => {
    const limiter = new LogLimiter({ now: clock });
    t = 59_000;
    for (let i = 0; i < 100; i++) limiter.admit('a');
    t = 59_999;
    assert.equal(limiter.admit('a').admitted, false, 'still the first window');
    t = 60_000;
    assert.equal(limiter.admit('a').admitted, true, 'a new window starts at 60 000, one second after the first entry');
    for (let i = 0; i < 99; i++) limiter.admit('a');
    t = 119_999;
    assert.equal(limiter.admit('a').admitted, false);
  });

  it('does not start a new window when the clock steps back', () => {
    const limiter = new LogLimiter({ now: clock, limit: 2 });
    t = 120_000;
    limiter.admit('a');
    limiter.admit('a');
    t = 60_000;
    assert.equal(limiter.admit('a').admitted, false);
  });

  it('counts each plugin separately', () => {
    const limiter = new LogLimiter({ now: clock, limit: 3 });
    for (let i = 0; i < 3; i++) limiter.admit('a');
    assert.equal(limiter.admit('a').admitted, false);
    assert.equal(limiter.admit('b').admitted, true);
  });

  it('flush() returns the pending notices once, including the current window, and they are not repeated', () => {
    const limiter = new LogLimiter({ now: clock, limit: 1 });
    limiter.admit('a');
    limiter.admit('a');
    limiter.admit('a');
    limiter.admit('b');
    assert.deepEqual(limiter.flush(), [{ plugin: 'a', notice: '2 log entries dropped (limit: 1 per minute)' }]);
    assert.deepEqual(limiter.flush(), []);
    t = 60_000;
    assert.deepEqual(limiter.admit('a'), { admitted: true });
  });

  it('forgets plugins idle for a window, but keeps undelivered drop counts', () => {
    const limiter = new LogLimiter({ now: clock, limit: 1 });
    for (let i = 0; i < 1000; i++) limiter.admit(`p${i}`);
    limiter.admit('p0'); // p0 drops one
    assert.equal(limiter.trackedPlugins, 1000);
    t = 60_000;
    limiter.admit('fresh');
    assert.equal(limiter.trackedPlugins, 2, 'only "fresh" and p0 (whose drop was not reported yet)');
    assert.deepEqual(limiter.flush(), [{ plugin: 'p0', notice: '1 log entry dropped (limit: 1 per minute)' }]);
    t = 120_000;
    limiter.admit('fresh');
    assert.equal(limiter.trackedPlugins, 1);
  });

  it('names other windows and nouns in the notice', () => {
    const limiter = new LogLimiter({ now: clock, limit: 1, windowMs: 10_000, noun: ['runtime note', 'runtime notes'] });
    limiter.admit('a');
    limiter.admit('a');
    assert.deepEqual(limiter.flush(), [{ plugin: 'a', notice: '1 runtime note dropped (limit: 1 per 10 s)' }]);
  });

  it('refuses invalid options', () => {
    assert.throws(() => new LogLimiter({ limit: 0 }), /invalid log limiter options: limit/);
    assert.throws(() => new LogLimiter({ windowMs: 0.5 }), /invalid log limiter options: windowMs/);
  });
});

describe('PluginLogger', () => {
  let t: number;
  let entries: LogEntry[];
  let logger: PluginLogger;
  const clock = () => t;
  beforeEach(() => {
    t = 1_000;
    entries = [];
    logger = new PluginLogger({ sink: { write: (e) => entries.push(e) }, limiter: new LogLimiter({ now: clock }), now: clock });
  });

  it('writes a plugin line sanitised and redacted, with plugin, level, source and time', () => {
    assert.equal(logger.plugin('sort-lines', `run 1\n\x1b[31m[ERROR] fake\x1b[0m token=${fake.password}`), true);
    assert.deepEqual(entries, [{ plugin: 'sort-lines', level: 'info', source: 'plugin', message: `run 1⏎[ERROR] fake token=[REDACTED]`, time: 1_000 }]);
  });

  it('logs non-string values from the worker as JSON', () => {
    logger.plugin('a', { n: 1 });
    logger.plugin('a', undefined);
    assert.deepEqual(
      entries.map((e) => e.message),
      ['{"n":1}', 'undefined'],
    );
  });

  it('rate-limits plugin lines and reports the drops as one runtime entry in the next window', () => {
    for (let i = 0; i < 130; i++) logger.plugin('a', `line ${i}`);
    assert.equal(entries.length, 100);
    t = 61_000;
    logger.plugin('a', 'next');
    assert.deepEqual(entries.slice(100), [
      { plugin: 'a', level: 'warn', source: 'runtime', message: '30 log entries dropped (limit: 100 per minute)', time: 61_000 },
      { plugin: 'a', level: 'info', source: 'plugin', message: 'next', time: 61_000 },
    ]);
  });

  it('runtime notes do not count against the plugin\'s limit, and are sanitised too', () => {
    for (let i = 0; i < 100; i++) logger.plugin('a', 'x');
    assert.equal(logger.runtime('a', 'warn', `denied read:data\n${fake.ghp}`), true);
    assert.equal(logger.plugin('a', 'dropped'), false);
    assert.deepEqual(entries[100], { plugin: 'a', level: 'warn', source: 'runtime', message: 'denied read:data⏎[REDACTED:github-token]', time: 1_000 });
    const fresh = new PluginLogger({ sink: { write: (e) => entries.push(e) }, limiter: new LogLimiter({ now: clock }), now: clock });
    for (let i = 0; i < 200; i++) fresh.runtime('b', 'warn', 'denied');
    assert.equal(fresh.plugin('b', 'still allowed'), true);
  });

  it('limits a flood of runtime notes separately (300 per minute by default)', () => {
    const runtimeOnly = new PluginLogger({
      sink: { write: (e) => entries.push(e) },
      runtimeLimiter: new LogLimiter({ now: clock, limit: 300, noun: ['runtime note', 'runtime notes'] }),
      now: clock,
    });
    for (let i = 0; i < 400; i++) runtimeOnly.runtime('a', 'warn', 'denied');
    assert.equal(entries.length, 300);
    runtimeOnly.flush();
    assert.deepEqual(entries[300], { plugin: 'a', level: 'warn', source: 'runtime', message: '100 runtime notes dropped (limit: 300 per minute)', time: 1_000 });
    const byDefault = new PluginLogger({ sink: { write: () => undefined } });
    let written = 0;
    for (let i = 0; i < 400; i++) if (byDefault.runtime('a', 'error', 'x')) written++;
    assert.equal(written, 300);
  });

  it('flush() writes pending drop notices once', () => {
    for (let i = 0; i < 102; i++) logger.plugin('a', 'x');
    logger.flush();
    logger.flush();
    assert.deepEqual(entries.slice(100), [{ plugin: 'a', level: 'warn', source: 'runtime', message: '2 log entries dropped (limit: 100 per minute)', time: 1_000 }]);
  });

  it('the sink never receives a control character or a listed secret, in any field', () => {
    const tokens = [fake.ghp, fake.jwt, fake.awsKeyId, fake.slack];
    const secrets = [...tokens, fake.password];
    const nasty = [
      ...tokens.map((x) => `\x1b[1m${x}\x1b[0m\n`),
      `password=${fake.password}\r\n\u202e`,
      '\x00\x1b]0;title\x07\u2066x\u2069',
    ];
    for (const text of nasty) {
      logger.plugin('a', text);
      logger.runtime('a', 'error', text);
    }
    logger.plugin('bad\nname\u202e', 'x');
    for (const e of entries) {
      for (const field of [e.plugin, e.message]) {
        assert.ok(!CONTROL_OR_INVISIBLE.test(field), JSON.stringify(field));
        for (const x of secrets) assert.ok(!field.includes(x), field);
      }
    }
    assert.equal(entries.at(-1)!.plugin, 'bad⏎name');
  });

  it('refuses a bad maxChars when constructed', () => {
    assert.throws(() => new PluginLogger({ sink: { write: () => undefined }, maxChars: 3 }), RangeError);
  });
});
