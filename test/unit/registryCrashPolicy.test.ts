// The crash policy and health figures: the threshold and around it, resets, denials, and the switch-off
// event carrying the last error; plus the percentile window.
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS } from '../../src/core/limits';
import { COUNTS_AS_FAILURE, applyOutcome } from '../../src/core/registry/crashPolicy';
import { DURATION_WINDOW, emptyHealth, percentile, viewHealth } from '../../src/core/registry/health';
import type { TransitionEvent } from '../../src/core/registry/lifecycle';
import { PluginRegistry } from '../../src/core/registry/registry';
import { MemoryStore } from '../../src/core/store';
import { cleanupTempDirs, failure, manualClock, success, tempDir, writePlugin } from './registryFixtures';

async function enabledRegistry(threshold = DEFAULT_LIMITS.failureThreshold) {
  const folder = tempDir();
  writePlugin(folder, { name: 'flaky', permissions: ['read:data'] });
  const clock = manualClock();
  const registry = new PluginRegistry({ store: new MemoryStore(), folders: [folder], clock: clock.now, limits: { ...DEFAULT_LIMITS, failureThreshold: threshold } });
  assert.equal((await registry.install('flaky', { approve: true })).ok, true);
  assert.equal((await registry.enable('flaky')).ok, true);
  const switchOffs: TransitionEvent[] = [];
  registry.onDidChange((c) => {
    if (c.type === 'transition' && c.event.action === 'fail') switchOffs.push(c.event);
  });
  return { registry, clock, switchOffs };
}

describe('crash policy (pure)', () => {
  it('counts every failure kind of the threat model, and not denials or refusals', () => {
    const counted = Object.entries(COUNTS_AS_FAILURE)
      .filter(([, v]) => v)
      .map(([k]) => k)
      .sort();
    assert.deepEqual(counted, ['invalid-output', 'memory', 'output-too-large', 'plugin-error', 'protocol-violation', 'timeout', 'worker-crashed']);
  });

  it('switches off at the threshold, not before', () => {
    let h = emptyHealth();
    for (let i = 1; i <= 4; i++) {
      const v = applyOutcome(h, failure('timeout', `#${i}`), { threshold: 5, now: i, enabled: true });
      assert.equal(v.switchOff, undefined, `failure ${i} must not switch off`);
      h = v.health;
    }
    const fifth = applyOutcome(h, failure('memory', '#5'), { threshold: 5, now: 5, enabled: true });
    assert.equal(fifth.health.consecutiveFailures, 5);
    assert.equal(fifth.switchOff?.lastError.kind, 'memory');
    assert.equal(fifth.switchOff?.lastError.detail, '#5');
    assert.match(fifth.switchOff?.reason ?? '', /^5 consecutive failures; last: error\[memory\]: /);
  });

  it('does not switch off a plugin that is not ENABLED, but still counts', () => {
    let h = emptyHealth();
    for (let i = 0; i < 6; i++) h = applyOutcome(h, failure(), { threshold: 5, now: i, enabled: false }).health;
    assert.equal(h.consecutiveFailures, 6);
    assert.equal(h.failures, 6);
  });

  it('a denial neither counts nor resets', () => {
    let h = emptyHealth();
    h = applyOutcome(h, failure(), { threshold: 5, now: 1, enabled: true }).health;
    h = applyOutcome(h, failure('permission-denied'), { threshold: 5, now: 2, enabled: true }).health;
    assert.equal(h.consecutiveFailures, 1);
    assert.equal(h.failures, 1);
    assert.equal(h.denials, 1);
    assert.equal(h.invocations, 2);
  });
});

describe('crash policy (through the registry)', () => {
  afterEach(cleanupTempDirs);

  it('4 failures leave it ENABLED; the 5th switches it off with an event carrying the last error', async () => {
    const { registry, clock, switchOffs } = await enabledRegistry();
    for (let i = 1; i <= 4; i++) {
      const r = await registry.recordOutcome('flaky', failure('plugin-error', `boom ${i}`));
      assert.equal(r.ok && r.state, 'ENABLED');
    }
    assert.equal(registry.stateOf('flaky'), 'ENABLED');
    assert.equal(registry.prepareRun('flaky').ok, true);
    clock.advance(500);
    const fifth = await registry.recordOutcome('flaky', failure('timeout', 'boom 5'));
    assert.equal(fifth.ok, true);
    assert.equal(registry.stateOf('flaky'), 'ERROR');
    assert.equal(switchOffs.length, 1);
    const e = switchOffs[0];
    assert.equal(e?.from, 'ENABLED');
    assert.equal(e?.to, 'ERROR');
    assert.equal(e?.time, clock.now());
    assert.deepEqual(e?.lastError, { kind: 'timeout', message: 'The plugin did not finish within 200 ms and was stopped.', detail: 'boom 5' });
    assert.equal(e?.reason, '5 consecutive failures; last: error[timeout]: The plugin did not finish within 200 ms and was stopped. boom 5');
    const info = registry.list()[0];
    assert.equal(info?.lastError?.kind, 'timeout');
    assert.equal(info?.lastError?.time, clock.now());
  });

  it('refuses to run a plugin in ERROR with plugin-disabled, saying what to do, until reenable', async () => {
    const { registry } = await enabledRegistry();
    for (let i = 0; i < 5; i++) await registry.recordOutcome('flaky', failure('plugin-error', 'x'));
    const refused = registry.prepareRun('flaky');
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.failure.kind, 'plugin-disabled');
      assert.equal(refused.reason, 'error-state');
      assert.match(refused.failure.detail ?? '', /flaky was switched off after 5 consecutive failures \(last: error\[plugin-error\]: The plugin threw an error\. x\); re-enable it/);
    }
    assert.equal((await registry.reenable('flaky')).ok, true);
    assert.equal(registry.list()[0]?.health.consecutiveFailures, 0);
    assert.equal(registry.list()[0]?.health.failures, 5, 'reenable resets the streak, not the history');
    assert.equal(registry.prepareRun('flaky').ok, true);
    // After reenable it takes a full new streak to switch off again.
    for (let i = 0; i < 4; i++) await registry.recordOutcome('flaky', failure());
    assert.equal(registry.stateOf('flaky'), 'ENABLED');
  });

  it('a success in between resets the count', async () => {
    const { registry, switchOffs } = await enabledRegistry();
    for (let i = 0; i < 4; i++) await registry.recordOutcome('flaky', failure());
    await registry.recordOutcome('flaky', success());
    for (let i = 0; i < 4; i++) await registry.recordOutcome('flaky', failure());
    assert.equal(registry.stateOf('flaky'), 'ENABLED');
    assert.equal(registry.list()[0]?.health.consecutiveFailures, 4);
    assert.equal(switchOffs.length, 0);
    await registry.recordOutcome('flaky', failure());
    assert.equal(registry.stateOf('flaky'), 'ERROR');
  });

  it('permission denials do not count, however many', async () => {
    const { registry } = await enabledRegistry();
    for (let i = 0; i < 20; i++) await registry.recordOutcome('flaky', failure('permission-denied', 'write:data'));
    assert.equal(registry.stateOf('flaky'), 'ENABLED');
    const h = registry.list()[0]?.health;
    assert.equal(h?.denials, 20);
    assert.equal(h?.failures, 0);
    assert.equal(h?.consecutiveFailures, 0);
  });

  it('uses the configured threshold', async () => {
    const { registry } = await enabledRegistry(2);
    await registry.recordOutcome('flaky', failure());
    assert.equal(registry.stateOf('flaky'), 'ENABLED');
    await registry.recordOutcome('flaky', failure());
    assert.equal(registry.stateOf('flaky'), 'ERROR');
  });

  it('does not switch off a DISABLED plugin whose last run failed', async () => {
    const { registry } = await enabledRegistry(1);
    await registry.disable('flaky');
    const r = await registry.recordOutcome('flaky', failure());
    assert.equal(r.ok && r.state, 'DISABLED');
    assert.equal(registry.list()[0]?.health.failures, 1);
  });

  it('refuses to record an outcome for a plugin that is not installed', async () => {
    const { registry } = await enabledRegistry();
    const r = await registry.recordOutcome('ghost', failure());
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.kind, 'not-installed');
  });

  it('keeps health figures: invocations, failures, p50/p95 over recent durations', async () => {
    const { registry } = await enabledRegistry(1000);
    for (let ms = 1; ms <= 100; ms++) await registry.recordOutcome('flaky', ms % 10 === 0 ? failure('plugin-error', undefined, ms) : success(ms));
    const h = registry.list()[0]?.health;
    assert.equal(h?.invocations, 100);
    assert.equal(h?.failures, 10);
    assert.equal(h?.consecutiveFailures, 1);
    assert.equal(h?.p50Ms, 50);
    assert.equal(h?.p95Ms, 95);
  });

  it('emits a health event for every recorded outcome', async () => {
    const { registry } = await enabledRegistry();
    const seen: number[] = [];
    registry.onDidChange((c) => void (c.type === 'health' && seen.push(c.health.invocations)));
    await registry.recordOutcome('flaky', success());
    await registry.recordOutcome('flaky', failure());
    assert.deepEqual(seen, [1, 2]);
  });
});

describe('health figures', () => {
  it('keeps a bounded window of recent durations', () => {
    let h = emptyHealth();
    for (let i = 0; i < DURATION_WINDOW + 50; i++) h = applyOutcome(h, success(i < 50 ? 10_000 : 1), { threshold: 5, now: i, enabled: true }).health;
    assert.equal(h.recentDurationsMs.length, DURATION_WINDOW);
    assert.equal(viewHealth(h).p95Ms, 1, 'the slow early runs dropped out of the window');
    assert.equal(h.invocations, DURATION_WINDOW + 50);
  });

  it('computes nearest-rank percentiles and has none without data', () => {
    assert.equal(percentile([], 50), undefined);
    assert.equal(percentile([7], 95), 7);
    assert.equal(percentile([4, 1, 3, 2], 50), 2);
    assert.equal(percentile([4, 1, 3, 2], 95), 4);
    assert.deepEqual(viewHealth(emptyHealth()), { invocations: 0, failures: 0, denials: 0, consecutiveFailures: 0 });
  });

  it('does not let a bad duration poison the figures', () => {
    const h = applyOutcome(emptyHealth(), success(Number.NaN), { threshold: 5, now: 0, enabled: true }).health;
    assert.deepEqual(h.recentDurationsMs, [0]);
  });
});
