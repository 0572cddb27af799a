// plugin.json's JSON Schema against the zod parser: the committed file is what the generator produces, and ajv and
// parseManifest accept and reject the same manifests. What JSON Schema cannot see — the disk: a main that is a
// symlink out of the folder, a missing file, the import() source check — only loading refuses, so for plugin
// folders the schema is the documented superset (it never flags a manifest the runtime would load).
// Replay a generated failure with PLUGIN_RUNTIME_FC_SEED=<seed>.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import fc from 'fast-check';
import { loadPluginFolder, parseManifest } from '../../src/core/manifest';
import { PERMISSION_IDS } from '../../src/core/permissions';
import { MAIN_PATTERN, MANIFEST_JSON_SCHEMA_PATH, manifestJsonSchema, manifestJsonSchemaText } from '../../src/core/manifestJsonSchema';
import { REPO_ROOT, SAMPLES_DIR } from '../helpers/host';

const seed = process.env['PLUGIN_RUNTIME_FC_SEED'] ? Number(process.env['PLUGIN_RUNTIME_FC_SEED']) : Math.floor(Math.random() * 0x7fffffff);
const numRuns = Number(process.env['PLUGIN_RUNTIME_FC_RUNS'] ?? 500);
const replay = `[seed ${seed}; replay with PLUGIN_RUNTIME_FC_SEED=${seed}]`;

const VALID = {
  name: 'sort-lines',
  displayName: 'Sort Lines',
  version: '1.0.0',
  description: 'Sorts the selected lines.',
  publisher: 'example',
  apiVersion: 1,
  main: 'index.js',
  hooks: ['transform'],
  permissions: ['read:data', 'write:data'],
};

/** Ajv as an editor reads the schema: VS Code's own keywords (defaultSnippets, …) are annotations. */
function compile() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addVocabulary(['defaultSnippets', 'markdownDescription', 'markdownEnumDescriptions']);
  return ajv.compile(manifestJsonSchema());
}
const schemaAccepts = compile();
const zodAccepts = (m: unknown) => parseManifest(m).ok;

const without = (key: string) => Object.fromEntries(Object.entries(VALID).filter(([k]) => k !== key));
const withField = (key: string, value: unknown) => ({ ...VALID, [key]: value });

/** [label, manifest, accepted by both] */
const CORPUS: Array<[string, unknown, boolean]> = [
  ['the README example', VALID, true],
  ['without permissions (defaults to none)', without('permissions'), true],
  ['no permissions', withField('permissions', []), true],
  ['every permission', withField('permissions', ['log', 'read:data', 'write:data']), true],
  ['with a $schema reference', withField('$schema', './node_modules/plugin-runtime/schemas/plugin.schema.json'), true],
  ['main in a subfolder', withField('main', 'dist/index.js'), true],
  ['main .cjs', withField('main', 'index.cjs'), true],
  ['main ./index.js', withField('main', './index.js'), true],
  ['main starting with two dots that are not a segment', withField('main', '..index.js'), true],
  ['main with a backslash subfolder', withField('main', 'dist\\index.js'), true],
  ['prerelease version with build metadata', withField('version', '2.0.0-beta.1+sha.abc'), true],
  ['name with digits and dashes', withField('name', 'md-table-2'), true],
  ['64-character name', withField('name', 'a'.repeat(64)), true],
  ['non-ASCII (BMP) display name', withField('displayName', 'Trier les lignes ✓'), true],
  // Both count lengths in code points (zod 4 and JSON Schema alike), not UTF-16 units.
  ['100 astral characters as displayName', withField('displayName', '😀'.repeat(100)), true],

  ['not an object: array', [], false],
  ['not an object: null', null, false],
  ['not an object: string', 'plugin', false],
  ['not an object: number', 1, false],
  ...(['name', 'displayName', 'version', 'description', 'publisher', 'apiVersion', 'main', 'hooks'] as const).map(
    (k): [string, unknown, boolean] => [`missing ${k}`, without(k), false],
  ),
  ...(['name', 'displayName', 'version', 'description', 'publisher', 'main', '$schema'] as const).flatMap((k): Array<[string, unknown, boolean]> => [
    [`${k} is a number`, withField(k, 1), false],
    [`${k} is null`, withField(k, null), false],
  ]),
  ...(['name', 'displayName', 'description', 'publisher', 'main', 'version'] as const).map((k): [string, unknown, boolean] => [`${k} is empty`, withField(k, ''), false]),
  ['name with capitals', withField('name', 'Sort-Lines'), false],
  ['name with a space', withField('name', 'sort lines'), false],
  ['name with a double dash', withField('name', 'sort--lines'), false],
  ['name with a leading dash', withField('name', '-sort'), false],
  ['name with a trailing dash', withField('name', 'sort-'), false],
  ['name with a dot', withField('name', 'sort.lines'), false],
  ['65-character name', withField('name', 'a'.repeat(65)), false],
  ['101-character displayName', withField('displayName', 'x'.repeat(101)), false],
  ['101 astral characters as displayName', withField('displayName', '😀'.repeat(101)), false],
  ['501-character description', withField('description', 'x'.repeat(501)), false],
  ['displayName with a newline', withField('displayName', 'Sort\nLines'), false],
  ['publisher with an escape character', withField('publisher', 'ex\u001bample'), false],
  ['description with a bidi override', withField('description', 'abc\u202edef'), false],
  ['displayName with a C1 control', withField('displayName', 'a\u0085b'), false],
  ['version 1.0', withField('version', '1.0'), false],
  ['version with a leading zero', withField('version', '01.0.0'), false],
  ['version with a v', withField('version', 'v1.0.0'), false],
  ['version is a number', withField('version', 1), false],
  ['apiVersion 2', withField('apiVersion', 2), false],
  ['apiVersion 0', withField('apiVersion', 0), false],
  ['apiVersion 1.5', withField('apiVersion', 1.5), false],
  ['apiVersion "1"', withField('apiVersion', '1'), false],
  ['apiVersion null', withField('apiVersion', null), false],
  ['main absolute', withField('main', '/etc/index.js'), false],
  ['main absolute with a backslash', withField('main', '\\index.js'), false],
  ['main with a drive letter', withField('main', 'C:\\plugins\\index.js'), false],
  ['main with a drive-relative path', withField('main', 'c:index.js'), false],
  ['main escaping with ..', withField('main', '../index.js'), false],
  ['main escaping with .. inside', withField('main', 'dist/../../index.js'), false],
  ['main escaping with backslashes', withField('main', 'dist\\..\\..\\index.js'), false],
  ['main ending in ..', withField('main', 'dist/..'), false],
  ['main not a .js file', withField('main', 'index.ts'), false],
  ['main .mjs', withField('main', 'index.mjs'), false],
  ['main .js followed by a newline', withField('main', 'index.js\n'), false],
  ['main 256 characters', withField('main', `${'a'.repeat(253)}.js`), false],
  ['hooks empty', withField('hooks', []), false],
  ['hooks unknown', withField('hooks', ['render']), false],
  ['hooks twice the same', withField('hooks', ['transform', 'transform']), false],
  ['hooks a string', withField('hooks', 'transform'), false],
  ['permissions unknown', withField('permissions', ['net']), false],
  ['permissions wrong case', withField('permissions', ['READ:DATA']), false],
  ['permissions twice the same', withField('permissions', ['read:data', 'read:data']), false],
  ['permissions a string', withField('permissions', 'read:data'), false],
  ['permissions with a number', withField('permissions', [1]), false],
  ['permissions null', withField('permissions', null), false],
  ['unknown field', withField('dependencies', { lodash: '^4' }), false],
  ['unknown field differing by case', withField('Name', 'x'), false],
  ['an __proto__ field', JSON.parse('{"__proto__": {"x": 1}}') as unknown, false],
];

describe('plugin.json JSON Schema', () => {
  it(`the committed ${MANIFEST_JSON_SCHEMA_PATH} is exactly what the generator produces (run npm run build and commit it)`, () => {
    const committed = fs.readFileSync(path.join(REPO_ROOT, MANIFEST_JSON_SCHEMA_PATH), 'utf8');
    assert.equal(committed, manifestJsonSchemaText());
  });

  it('is a draft-07 schema ajv compiles in strict mode, with the runtime-only rules stated', () => {
    const s = manifestJsonSchema();
    assert.equal(s['$schema'], 'http://json-schema.org/draft-07/schema#');
    assert.equal(s['additionalProperties'], false);
    assert.deepEqual(s['required'], ['name', 'displayName', 'version', 'description', 'publisher', 'apiVersion', 'main', 'hooks']);
    const props = s['properties'] as Record<string, Record<string, unknown>>;
    assert.equal(props['main']!['pattern'], MAIN_PATTERN);
    assert.equal(props['hooks']!['uniqueItems'], true);
    assert.equal(props['permissions']!['uniqueItems'], true);
    assert.deepEqual((props['permissions']!['items'] as { enum: string[] }).enum, [...PERMISSION_IDS]);
  });

  for (const [label, manifest, accepted] of CORPUS) {
    it(`${accepted ? 'both accept' : 'both reject'}: ${label}`, () => {
      assert.equal(zodAccepts(manifest), accepted, `zod ${accepted ? 'rejected' : 'accepted'} it: ${JSON.stringify(parseManifest(manifest))}`);
      assert.equal(schemaAccepts(manifest), accepted, `the JSON Schema ${accepted ? 'rejected' : 'accepted'} it: ${JSON.stringify(schemaAccepts.errors)}`);
    });
  }

  it('both accept every sample plugin manifest', () => {
    const dirs = fs.readdirSync(SAMPLES_DIR).filter((d) => fs.existsSync(path.join(SAMPLES_DIR, d, 'plugin.json')));
    assert.ok(dirs.length > 0);
    for (const d of dirs) {
      const m = JSON.parse(fs.readFileSync(path.join(SAMPLES_DIR, d, 'plugin.json'), 'utf8')) as unknown;
      assert.ok(zodAccepts(m), d);
      assert.ok(schemaAccepts(m), `${d}: ${JSON.stringify(schemaAccepts.errors)}`);
    }
  });

  describe('documented difference: the schema cannot see the disk, so it accepts more, never less', () => {
    it('a main that is a symlink out of the folder passes the schema (it cannot see the disk) and fails loading', function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-schema-'));
      try {
        const outside = path.join(dir, 'outside.js');
        fs.writeFileSync(outside, 'module.exports = { transform: (i) => i.text };');
        const plugin = path.join(dir, 'p');
        fs.mkdirSync(plugin);
        fs.writeFileSync(path.join(plugin, 'plugin.json'), JSON.stringify(VALID));
        try {
          fs.symlinkSync(outside, path.join(plugin, 'index.js'));
        } catch {
          this.skip(); // no symlinks on this file system
        }
        assert.equal(schemaAccepts(VALID), true);
        assert.equal(zodAccepts(VALID), true);
        const loaded = loadPluginFolder(plugin);
        assert.deepEqual(loaded.ok ? [] : loaded.problems, ['main: is a link that leads outside the plugin folder']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('generated manifests', () => {
    // Strings from an alphabet of the characters the rules are about, so the interesting cases come up often.
    const unit = fc.constantFrom(...'az09-._/\\:ACjs '.split(''), '\n', '\u0000', '\u007f', '\u202e', 'é', '✓');
    const str = fc.oneof(fc.string({ unit, maxLength: 12 }), fc.constantFrom('index.js', 'a/../b.js', '../x.js', '1.0.0', 'C:x.js', '..js', 'x'.repeat(70)));
    const fieldValue = fc.oneof({ weight: 6, arbitrary: str }, fc.integer({ min: -1, max: 3 }), fc.constant(null), fc.array(str, { maxLength: 3 }), fc.array(fc.constantFrom('transform', 'log', 'read:data', 'write:data', 'net'), { maxLength: 4 }));
    const keys = [...Object.keys(VALID), '$schema', 'extra'];
    const manifest = fc.dictionary(fc.constantFrom(...keys), fieldValue, { maxKeys: 3 }).chain((changes) =>
      fc.subarray(Object.keys(VALID), { maxLength: 2 }).map((dropped) => {
        const m: Record<string, unknown> = { ...VALID, ...changes };
        for (const k of dropped) delete m[k];
        return m;
      }),
    );

    it(`ajv and zod agree on every generated manifest (values from the rules' alphabet) ${replay}`, () => {
      fc.assert(
        fc.property(manifest, (m) => {
          assert.equal(schemaAccepts(m), zodAccepts(m), `${JSON.stringify(m)}: zod ${JSON.stringify(parseManifest(m))}, ajv ${JSON.stringify(schemaAccepts.errors)}`);
        }),
        { seed, numRuns },
      );
    });

    it(`ajv and zod agree on text fields of any Unicode, astral characters included ${replay}`, () => {
      const anyString = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 110 }), fc.string({ unit: 'binary', maxLength: 110 }));
      const m = fc.record({ displayName: anyString, description: anyString, publisher: anyString }).map((f) => ({ ...VALID, ...f }));
      fc.assert(
        fc.property(m, (x) => {
          assert.equal(schemaAccepts(x), zodAccepts(x), JSON.stringify(x));
        }),
        { seed, numRuns },
      );
    });
  });
});
