// Statistics for the benchmark: percentiles of samples, and the summary of a figure measured in rounds
// (median of the round medians, their spread, the pooled p99, n).

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** A figure measured in rounds. Every number is rounded for the report; `rounds` keeps the round medians. */
export interface Summary {
  unit: string;
  /** Median of the round medians. */
  median: number;
  /** Smallest and largest round median: how much the figure moved between rounds. */
  spread: [number, number];
  /** 99th percentile of all samples of all rounds pooled (null for a figure with one value per round). */
  p99: number | null;
  /** Largest sample (null for a figure with one value per round). */
  max: number | null;
  /** Samples in all rounds together. */
  n: number;
  /** The median of each round, in order. */
  rounds: number[];
}

export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Summarises per-round sample lists (latencies and the like). Empty rounds are skipped. */
export function summarizeRounds(rounds: readonly (readonly number[])[], unit: string): Summary {
  const filled = rounds.filter((r) => r.length > 0);
  const medians = filled.map((r) => median(r));
  const pooled = filled.flat();
  return {
    unit,
    median: round(median(medians)),
    spread: [round(Math.min(...medians)), round(Math.max(...medians))],
    p99: round(percentile(pooled, 99)),
    max: round(Math.max(...pooled)),
    n: pooled.length,
    rounds: medians.map((m) => round(m)),
  };
}

/** Summarises a figure that yields one value per round (a rate, a memory reading). */
export function summarizeValues(values: readonly number[], unit: string, n = values.length): Summary {
  return {
    unit,
    median: round(median(values)),
    spread: [round(Math.min(...values)), round(Math.max(...values))],
    p99: null,
    max: null,
    n,
    rounds: values.map((v) => round(v)),
  };
}

/** Deterministic shuffle (mulberry32), so a run's variant order is reproducible from its seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Runs `call` with `inFlight` calls outstanding at all times (a closed loop) until `total` calls have been
 * made; returns each call's latency in ms, from its start to its settlement. With `gapMs`, each lane idles
 * that long before each call.
 */
export async function closedLoop(inFlight: number, total: number, call: (index: number) => Promise<void>, gapMs = 0): Promise<number[]> {
  const latencies: number[] = [];
  let issued = 0;
  const lane = async (): Promise<void> => {
    while (issued < total) {
      const index = issued;
      issued += 1;
      // An idle gap before the call (not timed): like a person, who does not transform back to back.
      if (gapMs > 0) await sleep(gapMs);
      const t0 = performance.now();
      await call(index);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
  return latencies;
}

/** Like closedLoop, for a fixed duration: returns the completed calls and the elapsed time. */
export async function closedLoopFor(inFlight: number, durationMs: number, call: () => Promise<void>): Promise<{ calls: number; elapsedMs: number }> {
  let calls = 0;
  const start = performance.now();
  const end = start + durationMs;
  const lane = async (): Promise<void> => {
    while (performance.now() < end) {
      await call();
      calls += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { calls, elapsedMs: performance.now() - start };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
