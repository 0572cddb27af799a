// Per-plugin health figures: counters, the last error, and p50/p95 over a bounded window of recent durations.
import type { ErrorKind } from '../errors';

/** How many recent durations are kept for the percentiles; older ones drop off. */
export const DURATION_WINDOW = 100;

export interface LastError {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly detail?: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

/** What is persisted per plugin. Plain JSON, immutable by convention (every update makes a new object). */
export interface PluginHealth {
  /** Outcomes seen, of any kind. */
  readonly invocations: number;
  /** Outcomes the crash policy counted as failures. */
  readonly failures: number;
  /** Outcomes that ended in a permission denial (logged, not counted as failures). */
  readonly denials: number;
  readonly consecutiveFailures: number;
  readonly lastError?: LastError;
  /** Most recent durations in ms, oldest first, at most DURATION_WINDOW long. */
  readonly recentDurationsMs: readonly number[];
}

/** What observers see: the figures plus the percentiles (undefined until there is a duration). */
export interface HealthView {
  readonly invocations: number;
  readonly failures: number;
  readonly denials: number;
  readonly consecutiveFailures: number;
  readonly lastError?: LastError;
  readonly p50Ms?: number;
  readonly p95Ms?: number;
}

export function emptyHealth(): PluginHealth {
  return { invocations: 0, failures: 0, denials: 0, consecutiveFailures: 0, recentDurationsMs: [] };
}

/** Appends a duration to the window, dropping the oldest beyond DURATION_WINDOW. */
export function withDuration(durations: readonly number[], ms: number): number[] {
  // A duration comes from the host's own timer, but a NaN or negative value must not poison the figures.
  const clean = Number.isFinite(ms) && ms >= 0 ? ms : 0;
  const next = [...durations, clean];
  return next.length > DURATION_WINDOW ? next.slice(next.length - DURATION_WINDOW) : next;
}

/** Nearest-rank percentile (p in 0..100); undefined for an empty list. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function viewHealth(h: PluginHealth): HealthView {
  const p50Ms = percentile(h.recentDurationsMs, 50);
  const p95Ms = percentile(h.recentDurationsMs, 95);
  return {
    invocations: h.invocations,
    failures: h.failures,
    denials: h.denials,
    consecutiveFailures: h.consecutiveFailures,
    ...(h.lastError ? { lastError: h.lastError } : {}),
    ...(p50Ms !== undefined ? { p50Ms } : {}),
    ...(p95Ms !== undefined ? { p95Ms } : {}),
  };
}
