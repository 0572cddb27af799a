// The per-plugin limits of the threat model: defaults, bounds, and validation of values from settings/flags.
import { z } from 'zod';

export interface Limits {
  /** Wall time per invocation, enforced by a timer in the host. */
  readonly timeoutMs: number;
  /** V8 old-generation heap per plugin worker (resourceLimits). */
  readonly maxHeapMb: number;
  /** Memory outside the V8 heap (ArrayBuffers, typed arrays) one invocation may allocate in the realm. */
  readonly maxOffHeapMb: number;
  /** Serialized size of one response. */
  readonly maxOutputBytes: number;
  /** UTF-8 size of the text handed to a plugin; larger input is refused before anything runs. */
  readonly maxInputBytes: number;
  /** Plugin log entries per minute per plugin. */
  readonly logEntriesPerMinute: number;
  /** Consecutive failures before the plugin is switched off (ERROR). */
  readonly failureThreshold: number;
  /** A warm worker is reaped after this long without an invocation. */
  readonly idleReapMs: number;
  /** Budget for the whole sandbox process's memory outside the V8 heaps (watchdog). */
  readonly sandboxOffHeapBudgetMb: number;
  /** Budget for the sandbox process's resident set (watchdog). */
  readonly sandboxRssBudgetMb: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  timeoutMs: 200,
  maxHeapMb: 64,
  maxOffHeapMb: 64,
  maxOutputBytes: 1024 * 1024,
  maxInputBytes: 8 * 1024 * 1024,
  logEntriesPerMinute: 100,
  failureThreshold: 5,
  idleReapMs: 5 * 60 * 1000,
  sandboxOffHeapBudgetMb: 512,
  sandboxRssBudgetMb: 2048,
});

/** Bounds: a setting outside them is refused (not clamped silently). */
export const LIMIT_BOUNDS = {
  timeoutMs: { min: 10, max: 60_000 },
  maxHeapMb: { min: 16, max: 4096 },
  maxOffHeapMb: { min: 1, max: 4096 },
  maxOutputBytes: { min: 1024, max: 64 * 1024 * 1024 },
  maxInputBytes: { min: 1024, max: 128 * 1024 * 1024 },
  logEntriesPerMinute: { min: 1, max: 10_000 },
  failureThreshold: { min: 1, max: 1000 },
  idleReapMs: { min: 1000, max: 24 * 60 * 60 * 1000 },
  sandboxOffHeapBudgetMb: { min: 16, max: 65_536 },
  sandboxRssBudgetMb: { min: 128, max: 65_536 },
} as const satisfies Record<keyof Limits, { min: number; max: number }>;

const bounded = (b: { min: number; max: number }) => z.number().int().min(b.min).max(b.max);

export const LimitsOverrideSchema = z
  .object({
    timeoutMs: bounded(LIMIT_BOUNDS.timeoutMs),
    maxHeapMb: bounded(LIMIT_BOUNDS.maxHeapMb),
    maxOffHeapMb: bounded(LIMIT_BOUNDS.maxOffHeapMb),
    maxOutputBytes: bounded(LIMIT_BOUNDS.maxOutputBytes),
    maxInputBytes: bounded(LIMIT_BOUNDS.maxInputBytes),
    logEntriesPerMinute: bounded(LIMIT_BOUNDS.logEntriesPerMinute),
    failureThreshold: bounded(LIMIT_BOUNDS.failureThreshold),
    idleReapMs: bounded(LIMIT_BOUNDS.idleReapMs),
    sandboxOffHeapBudgetMb: bounded(LIMIT_BOUNDS.sandboxOffHeapBudgetMb),
    sandboxRssBudgetMb: bounded(LIMIT_BOUNDS.sandboxRssBudgetMb),
  })
  .partial()
  .strict();

export type LimitsOverride = z.infer<typeof LimitsOverrideSchema>;

/** Merges validated overrides over the defaults; throws a readable error naming the field otherwise. */
export function resolveLimits(override: unknown = {}): Limits {
  const parsed = LimitsOverrideSchema.safeParse(override);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(limits)'}: ${i.message}`);
    throw new Error(`invalid limits: ${problems.join('; ')}`);
  }
  return Object.freeze({ ...DEFAULT_LIMITS, ...parsed.data });
}
