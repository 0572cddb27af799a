// CapabilityGate: default deny; unknown method, missing grant, throwing or non-boolean grant check → denied.
import assert from 'node:assert/strict';
import { CapabilityGate, StaticGrants } from '../../src/core/host/capabilityGate';

describe('CapabilityGate', () => {
  it('always allows log', () => {
    assert.deepEqual(new CapabilityGate(new StaticGrants([])).check('p', 'log'), { allowed: true, permission: 'log' });
  });

  it('maps storage methods to their permission and allows only what was granted', () => {
    const gate = new CapabilityGate(new StaticGrants(['read:data']));
    assert.equal(gate.check('p', 'storage.get').allowed, true);
    assert.equal(gate.check('p', 'storage.keys').allowed, true);
    assert.deepEqual(gate.check('p', 'storage.set'), { allowed: false, permission: 'write:data', reason: 'the plugin was not granted "write:data"' });
    assert.equal(gate.check('p', 'storage.delete').allowed, false);
  });

  it('denies unknown and non-string methods, including prototype names', () => {
    const gate = new CapabilityGate(new StaticGrants(['read:data', 'write:data']));
    for (const m of ['fs.read', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 42, null, undefined, { toString: () => 'log' }]) {
      const d = gate.check('p', m);
      assert.equal(d.allowed, false, String(m));
      assert.equal(d.permission, undefined);
    }
  });

  it('denies when the grant check throws or answers anything but true', () => {
    const throwing = new CapabilityGate({ isGranted: () => { throw new Error('store unreadable'); } });
    assert.deepEqual(throwing.check('p', 'storage.get'), { allowed: false, permission: 'read:data', reason: 'the grant check failed (store unreadable), so it was denied' });
    for (const answer of [1, 'yes', {}, [], undefined, null]) {
      const gate = new CapabilityGate({ isGranted: () => answer as unknown as boolean });
      assert.equal(gate.check('p', 'storage.get').allowed, false, String(answer));
    }
  });

  it("asks the grant check with the calling plugin's name", () => {
    const asked: string[] = [];
    new CapabilityGate({ isGranted: (plugin, perm) => (asked.push(`${plugin}:${perm}`), true) }).check('alpha', 'storage.set');
    assert.deepEqual(asked, ['alpha:write:data']);
  });
});
