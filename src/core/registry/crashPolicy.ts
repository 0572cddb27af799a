// The crash policy: which outcomes count as failures, and when consecutive failures switch a plugin off.
import { formatFailure, type ErrorKind, type PluginFailure } from '../errors';
import { withDuration, type PluginHealth } from './health';

/**
 * The outcome of one invocation as the policy needs it. PluginHost's InvokeOutcome fits this shape; the
 * registry does not import the host so the core's layers stay one-way.
 */
export type OutcomeLike = { readonly ok: true; readonly durationMs: number } | { readonly ok: false; readonly failure: PluginFailure; readonly durationMs: number };

/**
 * Whether an outcome of each kind counts towards switching the plugin off. A Record over every ErrorKind,
 * so a new kind cannot be added without deciding here.
 *
 * - permission-denied: NOT a failure. A plugin asking for something it was not granted (or that was
 *   revoked) and handling the denial is behaving correctly; counting it would let a person's revocation
 *   push a well-behaved plugin into ERROR. Denials are counted separately in the health figures and logged
 *   by the host. A denial neither adds to nor resets the consecutive-failure count.
 * - plugin-disabled / invalid-manifest: the runtime refused before the plugin ran; nothing to blame it for.
 */
export const COUNTS_AS_FAILURE: { readonly [K in ErrorKind]: boolean } = {
  timeout: true,
  memory: true,
  'output-too-large': true,
  'invalid-output': true,
  'plugin-error': true,
  'protocol-violation': true,
  'worker-crashed': true,
  'permission-denied': false,
  'plugin-disabled': false,
  'invalid-manifest': false,
  // Refused by the host before the plugin ran: the text was too large, not the plugin at fault.
  'input-too-large': false,
};

export interface PolicyVerdict {
  readonly health: PluginHealth;
  /** Set when this outcome makes the plugin reach the threshold while ENABLED: switch it off. */
  readonly switchOff?: { readonly reason: string; readonly lastError: PluginFailure };
}

/**
 * Applies one outcome to a plugin's health. Pure. Failures are counted in any state (an invocation that
 * was already running when a person disabled the plugin still failed), but only an ENABLED plugin is
 * switched off, since `fail` is a transition from ENABLED only.
 */
export function applyOutcome(health: PluginHealth, outcome: OutcomeLike, ctx: { readonly threshold: number; readonly now: number; readonly enabled: boolean }): PolicyVerdict {
  const recentDurationsMs = withDuration(health.recentDurationsMs, outcome.durationMs);
  const invocations = health.invocations + 1;
  if (outcome.ok) {
    return { health: { ...health, invocations, consecutiveFailures: 0, recentDurationsMs } };
  }
  const failure = outcome.failure;
  if (failure.kind === 'permission-denied') {
    return { health: { ...health, invocations, denials: health.denials + 1, recentDurationsMs } };
  }
  if (!COUNTS_AS_FAILURE[failure.kind]) {
    return { health: { ...health, invocations, recentDurationsMs } };
  }
  const consecutiveFailures = health.consecutiveFailures + 1;
  const next: PluginHealth = {
    ...health,
    invocations,
    failures: health.failures + 1,
    consecutiveFailures,
    lastError: { kind: failure.kind, message: failure.message, ...(failure.detail !== undefined ? { detail: failure.detail } : {}), time: ctx.now },
    recentDurationsMs,
  };
  if (ctx.enabled && consecutiveFailures >= ctx.threshold) {
    return { health: next, switchOff: { reason: `${consecutiveFailures} consecutive failures; last: ${formatFailure(failure)}`, lastError: failure } };
  }
  return { health: next };
}
