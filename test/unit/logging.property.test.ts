// Property tests for sanitizeLogText: no control, format or bidi character ever comes out, and a generated fake
// secret embedded in arbitrary text never comes out either. Replay a failure with PLUGIN_RUNTIME_FC_SEED=<seed>.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcSettings } from '../helpers/fastCheck';
import { sanitizeLogText } from '../../src/core/logging';

const { seed, numRuns, replay } = fcSettings(500);
const settings = { seed, numRuns };

// Characters that make sanitising hard, mixed into arbitrary UTF-16 (lone surrogates included).
const hostileUnit = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\x1b', '\x1b[', '\x1b]', '\x1bP', '\x1b\\', '\x07', '\x9b', '\x9c', '\x9d', '\x85', '\n', '\r', '\t', '\x00', '\x7f',
      '\u202a', '\u202e', '\u2066', '\u2069', '\u200b', '\u200d', '\ufeff', '\u2028', '\ud800', '\udc00', '[', ']', ';', '0', 'm', '"', "'", '=', ':', ' ', '.', '@', '/',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('password=', 'token: ', 'Bearer ', 'Authorization: Basic ', 'eyJ', 'ghp_', 'AKIA', 'xoxb-', '-----BEGIN RSA PRIVATE KEY-----', '://u:') },
);
const hostileText = (maxLength: number) => fc.string({ unit: hostileUnit, maxLength });

// Printable text without escape introducers, for the "is visibly redacted" property.
const plainText = fc.string({ unit: fc.constantFrom(...'abcXYZ019 .,;:-_/"\'=()[]{}é✓'.split('')), maxLength: 60 });

const chars = (alphabet: string, minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...alphabet.split('')), minLength, maxLength });
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64URL = `${ALNUM}_-`;

/** A fake secret in one of the listed shapes: the text to embed, and the part that must never be shown. */
const secretArb: fc.Arbitrary<{ shape: string; text: string; secret: string }> = fc.oneof(
  fc.tuple(fc.constantFrom('AKIA', 'ASIA'), chars(UPPER_DIGITS, 16, 16)).map(([p, r]) => ({ shape: 'aws-key', text: p + r, secret: p + r })),
  fc.tuple(fc.constantFrom('aws_secret_access_key=', 'AWS_SECRET_ACCESS_KEY: ', 'aws_secret_access_key = "'), chars(`${ALNUM}/+`, 40, 40)).map(([k, v]) => ({
    shape: 'aws-secret',
    text: k.endsWith('"') ? `${k}${v}"` : k + v,
    secret: v,
  })),
  fc.tuple(fc.constantFrom('ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'), chars(ALNUM, 36, 50)).map(([p, r]) => ({ shape: 'github', text: p + r, secret: p + r })),
  chars(`${ALNUM}_`, 22, 82).map((r) => ({ shape: 'github-pat', text: `github_pat_${r}`, secret: `github_pat_${r}` })),
  fc.tuple(fc.constantFrom(...'abposr'.split('')), chars(`${ALNUM}-`, 10, 40)).map(([c, r]) => ({ shape: 'slack', text: `xox${c}-${r}`, secret: `xox${c}-${r}` })),
  fc.tuple(chars(B64URL, 5, 40), chars(B64URL, 5, 40), chars(B64URL, 0, 50)).map(([h, p, sig]) => {
    const jwt = `eyJ${h}.eyJ${p}.${sig}`;
    return { shape: 'jwt', text: jwt, secret: jwt };
  }),
  fc.tuple(fc.constantFrom('Bearer ', 'bearer  ', 'Authorization: Bearer '), chars(`${ALNUM}-._~+/`, 12, 60)).map(([p, t]) => ({ shape: 'bearer', text: p + t, secret: t })),
  fc.tuple(fc.constantFrom('Authorization: Basic ', 'authorization="Basic '), chars(`${ALNUM}+/`, 12, 40)).map(([p, t]) => ({ shape: 'basic', text: p + t, secret: t })),
  fc.tuple(fc.constantFrom('RSA ', 'EC ', 'OPENSSH ', ''), chars(`${ALNUM}+/`, 64, 64), chars(`${ALNUM}+/`, 16, 64), fc.boolean()).map(([kind, line1, line2, terminated]) => ({
    shape: 'pem',
    text: `-----BEGIN ${kind}PRIVATE KEY-----\n${line1}\n${line2}\n${terminated ? `-----END ${kind}PRIVATE KEY-----` : ''}`,
    secret: line1,
  })),
  fc
    .tuple(
      fc.constantFrom('password', 'PASSWD', 'pwd', 'Secret', 'token', 'api_key', 'apikey', 'ACCESS_KEY', 'client_secret'),
      fc.constantFrom('=', ':', ' = ', ': '),
      fc.constantFrom('', '"', "'"),
      chars(ALNUM, 12, 30),
    )
    .map(([name, sep, quote, v]) => ({ shape: 'pair', text: `${name}${sep}${quote}${v}${quote}`, secret: v })),
  fc.tuple(chars(ALNUM, 1, 10), chars(ALNUM, 12, 30)).map(([user, pw]) => ({ shape: 'url', text: `https://${user}:${pw}@example.com/`, secret: pw })),
);

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\p{Cf}]/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe(`sanitizeLogText properties ${replay}`, () => {
  it(`never outputs a control, format/bidi character or lone surrogate, and never more than maxChars`, () => {
    fc.assert(
      fc.property(hostileText(3000), fc.integer({ min: 64, max: 3000 }), (raw, maxChars) => {
        const out = sanitizeLogText(raw, maxChars);
        assert.ok(!FORBIDDEN.test(out), JSON.stringify(out));
        assert.ok(!LONE_SURROGATE.test(out), JSON.stringify(out));
        assert.ok(out.length <= maxChars, `${out.length} > ${maxChars}`);
      }),
      settings,
    );
  });

  it(`never outputs a generated fake secret embedded in arbitrary text`, () => {
    fc.assert(
      fc.property(hostileText(200), secretArb, hostileText(200), (before, { text, secret }, after) => {
        const out = sanitizeLogText(before + text + after);
        assert.ok(!out.includes(secret), `secret visible in ${JSON.stringify(out)}`);
      }),
      settings,
    );
  });

  it(`visibly redacts a fake secret between plain words`, () => {
    fc.assert(
      fc.property(plainText, secretArb, plainText, (before, { text, secret }, after) => {
        const out = sanitizeLogText(`${before} ${text} ${after}`);
        assert.ok(!out.includes(secret), `secret visible in ${JSON.stringify(out)}`);
        assert.match(out, /\[REDACTED(:[a-z-]+)?\]/);
      }),
      settings,
    );
  });

  it(`a secret split by escape sequences or invisible characters is still not shown`, () => {
    const splitter = fc.constantFrom('\x1b[0m', '\x1b[1;31m', '\u200b', '\u202e', '\x00', '\x1b]0;t\x07');
    fc.assert(
      fc.property(secretArb, fc.nat(), splitter, ({ text, secret }, at, split) => {
        const cut = at % (text.length + 1);
        const out = sanitizeLogText(text.slice(0, cut) + split + text.slice(cut));
        assert.ok(!out.includes(secret), `secret visible in ${JSON.stringify(out)}`);
      }),
      settings,
    );
  });
});
