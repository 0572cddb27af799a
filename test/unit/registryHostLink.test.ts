// The link between a plugin host and the registry: outcomes reach the crash policy, and a plugin's worker is
// unloaded when it leaves ENABLED.
import assert from 'node:assert/strict';
import type { OutcomeLike } from '../../src/core/registry/crashPolicy';
import { linkHostToRegistry, type OutcomeSource } from '../../src/core/registry/hostLink';
import { PluginRegistry } from '../../src/core/registry/registry';
import { MemoryStore } from '../../src/core/store';
import { FlakyStore, cleanupTempDirs, failure, success, tempDir, writePlugin } from './registryFixtures';

class FakeHost implements OutcomeSource {
  readonly unloaded: string[] = [];
  private listeners: Array<(e: { plugin: string; outcome: OutcomeLike }) => void> = [];
  onOutcome(listener: (e: { plugin: string; outcome: OutcomeLike }) => void) {
    this.listeners.push(listener);
    return { dispose: () => void (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }
  async unload(name: string): Promise<void> {
    this.unloaded.push(name);
  }
  fire(plugin: string, outcome: OutcomeLike): void {
    for (const l of this.listeners) l({ plugin, outcome });
  }
}

async function setup(store = new MemoryStore()) {
  const folder = tempDir();
  writePlugin(folder, { name: 'linked' });
  const registry = new PluginRegistry({ store, folders: [folder] });
  await registry.install('linked', { approve: true });
  await registry.enable('linked');
  const host = new FakeHost();
  const errors: string[] = [];
  const link = linkHostToRegistry(host, registry, (e) => errors.push(e.message));
  return { registry, host, link, errors };
}

describe('registry host link', () => {
  afterEach(cleanupTempDirs);

  it('feeds every host outcome to the crash policy and unloads the worker on ERROR', async () => {
    const { registry, host, link } = await setup();
    for (let i = 0; i < 5; i++) host.fire('linked', failure('worker-crashed'));
    await link.settled();
    assert.equal(registry.stateOf('linked'), 'ERROR');
    assert.deepEqual(host.unloaded, ['linked']);
  });

  it('unloads on disable but not on enable', async () => {
    const { registry, host, link } = await setup();
    await registry.disable('linked');
    await registry.enable('linked');
    await link.settled();
    assert.deepEqual(host.unloaded, ['linked']);
  });

  it('reports outcomes it could not record', async () => {
    const store = new FlakyStore();
    const { host, link, errors } = await setup(store);
    store.failing = true;
    host.fire('linked', success());
    host.fire('ghost', success());
    await link.settled();
    assert.equal(errors.length, 2);
    assert.match(errors[0] ?? '', /disk full/);
    assert.match(errors[1] ?? '', /^cannot record an outcome for ghost: it is AVAILABLE/);
  });

  it('stops listening once disposed', async () => {
    const { registry, host, link } = await setup();
    link.dispose();
    host.fire('linked', success());
    await link.settled();
    assert.equal(registry.list()[0]?.health.invocations, 0);
  });
});
