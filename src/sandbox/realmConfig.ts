// The realm's limits, derived from the host's limits in one place (the sandbox process and benchmarks use it).
import type { SandboxLimits } from '../core/host/protocol';

/** What the realm prelude is configured with (it receives this as JSON, before any plugin code runs). */
export interface RealmConfig {
  maxOffHeapBytes: number;
  maxStringChars: number;
  maxOutputChars: number;
  maxLogsPerInvocation: number;
  maxLogChars: number;
  maxApiCallsPerInvocation: number;
  maxApiArgsChars: number;
}

type RealmLimits = Pick<SandboxLimits, 'maxHeapMb' | 'maxOffHeapMb' | 'maxOutputBytes'>;

export function realmConfigFor(limits: RealmLimits): RealmConfig {
  return {
    maxOffHeapBytes: limits.maxOffHeapMb * 1024 * 1024,
    // A character takes at least one byte: a string longer than the heap in bytes cannot fit in it.
    maxStringChars: limits.maxHeapMb * 1024 * 1024,
    maxOutputChars: limits.maxOutputBytes,
    maxLogsPerInvocation: 200,
    maxLogChars: 8192,
    maxApiCallsPerInvocation: 10_000,
    maxApiArgsChars: 256 * 1024,
  };
}

/** A result (≤ the output limit), plus up to 200 log lines of 8 KB, plus JSON escaping headroom. */
export function maxPayloadCharsFor(limits: RealmLimits): number {
  return limits.maxOutputBytes * 2 + 4 * 1024 * 1024;
}
