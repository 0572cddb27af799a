// Limits: defaults from the threat model, and out-of-bounds values refused with the field named.
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/core/limits';
import { ERROR_KINDS, failureMessage, formatFailure, makeFailure } from '../../src/core/errors';

describe('limits', () => {
  it("has the threat model's defaults", () => {
    assert.equal(DEFAULT_LIMITS.timeoutMs, 200);
    assert.equal(DEFAULT_LIMITS.maxHeapMb, 64);
    assert.equal(DEFAULT_LIMITS.maxOutputBytes, 1024 * 1024);
    assert.equal(DEFAULT_LIMITS.logEntriesPerMinute, 100);
    assert.equal(DEFAULT_LIMITS.failureThreshold, 5);
  });

  it('merges valid overrides and refuses out-of-bounds, non-integer and unknown fields', () => {
    assert.equal(resolveLimits({ timeoutMs: 500 }).timeoutMs, 500);
    assert.throws(() => resolveLimits({ timeoutMs: 5 }), /timeoutMs/);
    assert.throws(() => resolveLimits({ maxHeapMb: 1e9 }), /maxHeapMb/);
    assert.throws(() => resolveLimits({ failureThreshold: 2.5 }), /failureThreshold/);
    assert.throws(() => resolveLimits({ timeoutMS: 500 }), /timeoutMS|unrecognized/i);
  });
});

describe('errors', () => {
  it('has one fixed message per kind', () => {
    const messages = ERROR_KINDS.map((k) => failureMessage(k));
    assert.equal(new Set(messages).size, ERROR_KINDS.length);
    assert.equal(failureMessage('timeout', { timeoutMs: 200 }), 'The plugin did not finish within 200 ms and was stopped.');
    assert.equal(failureMessage('output-too-large', { maxOutputBytes: 1024 * 1024 }), "The plugin's output is larger than the 1 MB limit; nothing was applied.");
  });

  it('formats a failure as one line', () => {
    assert.equal(formatFailure(makeFailure('memory', 'heap')), 'error[memory]: The plugin used more memory than it is allowed and was stopped. heap');
  });
});
