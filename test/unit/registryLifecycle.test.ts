// The lifecycle table on its own: exactly the drawn transitions are allowed, every other pair is refused
// with a message naming the plugin, the state and the action.
import assert from 'node:assert/strict';
import { LIFECYCLE_ACTIONS, PLUGIN_STATES, TRANSITIONS, transition } from '../../src/core/registry/lifecycle';

const ALLOWED = [
  'install: AVAILABLE -> INSTALLED',
  'install: UNINSTALLED -> INSTALLED',
  'enable: INSTALLED -> ENABLED',
  'enable: DISABLED -> ENABLED',
  'disable: ENABLED -> DISABLED',
  'fail: ENABLED -> ERROR',
  'reenable: ERROR -> ENABLED',
  'uninstall: INSTALLED -> UNINSTALLED',
  'uninstall: DISABLED -> UNINSTALLED',
  'uninstall: ERROR -> UNINSTALLED',
];

describe('registry lifecycle table', () => {
  it('allows exactly the transitions DESIGN.md draws (plus uninstall from INSTALLED and ERROR)', () => {
    const allowed: string[] = [];
    for (const action of LIFECYCLE_ACTIONS) {
      for (const state of PLUGIN_STATES) {
        const r = transition('p', state, action);
        if (r.ok) allowed.push(`${action}: ${r.from} -> ${r.to}`);
      }
    }
    assert.deepEqual(allowed.sort(), [...ALLOWED].sort());
  });

  for (const line of ALLOWED) {
    it(`allows ${line}`, () => {
      const [action, rest] = line.split(': ') as [keyof typeof TRANSITIONS, string];
      const [from, to] = rest.split(' -> ');
      const r = transition('sort-lines', from as never, action);
      assert.deepEqual(r, { ok: true, from, to });
    });
  }

  for (const action of LIFECYCLE_ACTIONS) {
    for (const state of PLUGIN_STATES) {
      if (TRANSITIONS[action].from.includes(state)) continue;
      it(`refuses ${action} from ${state}, naming plugin, state and action`, () => {
        const r = transition('sort-lines', state, action);
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.error.kind, 'transition-refused');
        assert.equal(r.error.plugin, 'sort-lines');
        assert.equal(r.error.state, state);
        assert.equal(r.error.action, action);
        assert.match(r.error.message, new RegExp(`^cannot ${action} sort-lines: it is ${state}; \\S`));
      });
    }
  }

  it('says what to do instead', () => {
    const msg = (state: (typeof PLUGIN_STATES)[number], action: (typeof LIFECYCLE_ACTIONS)[number]) => {
      const r = transition('sort-lines', state, action);
      assert.equal(r.ok, false);
      return r.ok ? '' : r.error.message;
    };
    assert.equal(msg('UNINSTALLED', 'enable'), 'cannot enable sort-lines: it is UNINSTALLED; install it first');
    assert.equal(msg('ENABLED', 'uninstall'), 'cannot uninstall sort-lines: it is ENABLED; disable it first');
    assert.match(msg('ERROR', 'enable'), /use reenable/);
    assert.match(msg('DISABLED', 'reenable'), /use enable/);
    assert.match(msg('ENABLED', 'install'), /already installed/);
    assert.match(msg('ERROR', 'disable'), /reenable or uninstall/);
  });
});
