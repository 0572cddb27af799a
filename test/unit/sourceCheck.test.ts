// The static check that keeps dynamic import() (and unparsable code) out of the realm.
import assert from 'node:assert/strict';
import * as vm from 'node:vm';
import { checkPluginSource } from '../../src/core/sourceCheck';

const refused = (src: string) => checkPluginSource(src).some((p) => p.message.startsWith('dynamic import()'));

describe('checkPluginSource', () => {
  it('accepts ordinary scripts, including the word import in strings, comments, regexes and property names', () => {
    for (const src of [
      'module.exports = { transform: (i) => i.text.replace(/import\\(/g, "") };',
      '// import("fs")\nmodule.exports = {};',
      'const s = "import(\'fs\')"; const t = `import(${1})`; module.exports = {};',
      'const o = { import: 1 }; o.import; module.exports = {};',
      '#!/usr/bin/env node\nmodule.exports = {};',
    ]) {
      assert.deepEqual(checkPluginSource(src), [], src);
    }
  });

  it('refuses import() in every position, however it is spelled', () => {
    for (const src of [
      'import("fs")',
      'import ("fs")',
      'import/**/("fs")',
      'import\n(\n"fs"\n)',
      'async function f() { await import(`f${"s"}`); }',
      'const f = () => import("fs");',
      'x = [1, 2].map(() => import("fs"))',
      'class A { static { import("fs"); } }',
      'a = b\n/import("x")/g',
    ]) {
      assert.equal(refused(src), true, src);
    }
  });

  it('refuses what it cannot parse (fail closed), including module syntax in a script', () => {
    for (const src of ['module.exports = {', 'import fs from "fs";', 'export const x = 1;', 'import.meta.url']) {
      assert.ok(checkPluginSource(src).length > 0, src);
    }
  });

  it('treats HTML-like comments as V8 does in a classic script', () => {
    // Annex B: `<!--` starts a line comment in scripts; what follows on that line is not code.
    assert.deepEqual(checkPluginSource('x = 1; <!-- import("fs")\nmodule.exports = {};'), []);
    // `-->` at the start of a line is a comment too; a parser that disagreed would fail closed here.
    assert.deepEqual(checkPluginSource('x = 1;\n--> import("fs")\nmodule.exports = {};'), []);
  });

  it('agrees with V8 on what is a comment (a differential check: V8 must not run what acorn skipped)', () => {
    for (const src of ['x = 1; <!-- throw new Error("ran")\n', 'x = 1;\n--> throw new Error("ran")\n', '/* */ --> throw new Error("ran")\n']) {
      assert.deepEqual(checkPluginSource(src.replace('throw new Error("ran")', 'import("fs")')), [], src);
      assert.doesNotThrow(() => new vm.Script(src).runInNewContext(Object.create(null)), src);
    }
  });
});
