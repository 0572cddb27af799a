// `run --report`: what a run's invocations used against every limit (time, heap, off-heap, output, log rate),
// as percentages with a warning above WARN_RATIO, so plugin authors see how close they are before users do.
import { formatBytes } from '../core/errors';
import type { InvokeOutcome } from '../core/host/pluginHost';
import type { Limits } from '../core/limits';

/** A row is flagged at or above this share of its limit. */
export const WARN_RATIO = 0.8;

export type UsageRowName = 'time' | 'heap' | 'offHeap' | 'output' | 'logs';

export interface UsageRow {
  readonly name: UsageRowName;
  /** What was used (ms, bytes or entries); null when the sandbox did not report it (the worker was stopped). */
  readonly used: number | null;
  readonly limit: number;
  readonly unit: 'ms' | 'bytes' | 'entries';
  /** used / limit × 100, rounded to 0.1; null with `used`. */
  readonly percent: number | null;
  /** At or above WARN_RATIO of the limit, or exceeded. */
  readonly warning: boolean;
  /** The run failed on this limit (or, for a figure the limit counts exactly, the figure is over it). */
  readonly exceeded: boolean;
  readonly note?: string;
}

export interface UsageReport {
  readonly invocations: number;
  readonly rows: readonly UsageRow[];
}

interface RowOptions {
  note?: string;
  /** The run failed on this limit. */
  failedHere?: boolean;
  /** The figure counts more than the limit does (a cold first invocation's time): it is shown, never flagged. */
  upperBound?: boolean;
}

function row(name: UsageRowName, used: number | undefined, limit: number, unit: UsageRow['unit'], options: RowOptions = {}): UsageRow {
  const known = used === undefined ? null : used;
  const percent = known === null ? null : Math.round((known / limit) * 1000) / 10;
  const exceeded = options.failedHere === true || (known !== null && known > limit && options.upperBound !== true);
  const warning = exceeded || (known !== null && known >= limit * WARN_RATIO && options.upperBound !== true);
  const note = [known === null ? 'not reported: the worker was stopped' : '', options.note ?? ''].filter(Boolean).join('; ');
  return note === '' ? { name, used: known, limit, unit, percent, warning, exceeded } : { name, used: known, limit, unit, percent, warning, exceeded, note };
}

const max = (values: Array<number | undefined>): number | undefined => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : Math.max(...known);
};

/**
 * The usage of one CLI run (one or more invocations on one warm host, in order). Per-invocation limits take
 * the largest figure of any invocation; the log rate counts every entry of the run, since a run shorter than
 * a minute falls in one rate window.
 */
export function buildUsageReport(outcomes: readonly InvokeOutcome[], limits: Limits): UsageReport {
  const usages = outcomes.map((o) => o.usage);
  const offHeapLimit = limits.maxOffHeapMb * 1024 * 1024;
  // Which limit stopped the run: a `memory` failure is the off-heap cap when the realm charged past it, else the heap.
  const failedOn = outcomes.flatMap((o): UsageRowName[] => {
    if (o.ok) return [];
    if (o.failure.kind === 'timeout') return ['time'];
    if (o.failure.kind === 'output-too-large') return ['output'];
    // The realm's cap names ArrayBuffers in its detail (src/sandbox/worker.ts); a heap OOM or the sandbox's budget does not.
    if (o.failure.kind === 'memory') return [(o.usage?.offHeapBytes ?? 0) > offHeapLimit || /outside the heap|ArrayBuffers/.test(o.failure.detail ?? '') ? 'offHeap' : 'heap'];
    return [];
  });
  const hit = (name: UsageRowName) => failedOn.includes(name);

  // The host's duration runs from invoke() to the result: the first invocation also waits for the sandbox
  // process and the plugin's worker to start, which the time limit does not count. Warm invocations are the
  // fair measure when there are any.
  const warm = outcomes.slice(1);
  const timeNote =
    outcomes.length > 1
      ? `slowest of ${warm.length} warm invocation${warm.length === 1 ? '' : 's'}; the first, which started the worker, took ${round1(outcomes[0]!.durationMs)} ms`
      : 'includes starting the sandbox and worker, which the limit does not count: use --repeat 3 for warm timings';
  const timeUsed = hit('time') ? limits.timeoutMs : max((warm.length > 0 ? warm : outcomes).map((o) => o.durationMs));

  const logs = usages.some((u) => u !== undefined) ? usages.reduce((sum, u) => sum + (u?.logEntries ?? 0), 0) : undefined;
  return {
    invocations: outcomes.length,
    rows: [
      row('time', timeUsed === undefined ? undefined : round1(timeUsed), limits.timeoutMs, 'ms', { note: timeNote, failedHere: hit('time'), upperBound: warm.length === 0 }),
      row('heap', max(usages.map((u) => u?.heapUsedBytes)), limits.maxHeapMb * 1024 * 1024, 'bytes', { note: 'V8 heap in use when the invocation ended', failedHere: hit('heap') }),
      row('offHeap', max(usages.map((u) => u?.offHeapBytes)), offHeapLimit, 'bytes', { note: 'ArrayBuffers and typed arrays allocated per invocation', failedHere: hit('offHeap') }),
      row('output', max(usages.map((u) => u?.outputBytes)), limits.maxOutputBytes, 'bytes', { note: 'UTF-8 bytes of the result', failedHere: hit('output') }),
      row('logs', logs, limits.logEntriesPerMinute, 'entries', outcomes.length > 1 ? { note: `all ${outcomes.length} invocations: the rate is per plugin` } : {}),
    ],
  };
}

const LABELS: Record<UsageRowName, string> = { time: 'time', heap: 'heap', offHeap: 'off-heap', output: 'output', logs: 'log entries' };

function amount(value: number, unit: UsageRow['unit']): string {
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'ms') return `${value} ms`;
  return String(value);
}

function limitText(r: UsageRow): string {
  return r.name === 'logs' ? `${r.limit} per minute` : amount(r.limit, r.unit);
}

/** The report as a small table for a terminal (the CLI prints it to stderr). */
export function formatUsageReport(report: UsageReport): string {
  const lines = report.rows.map((r) => {
    const used = r.used === null ? '?' : amount(r.used, r.unit);
    const percent = r.percent === null ? '' : `${r.percent}%`;
    const flag = r.exceeded ? 'LIMIT REACHED' : r.warning ? 'close to the limit' : '';
    return { mark: r.warning ? '!' : ' ', label: LABELS[r.name], used, limit: limitText(r), percent, note: [flag, r.note ?? ''].filter(Boolean).join('; ') };
  });
  const w = (k: 'label' | 'used' | 'limit' | 'percent') => Math.max(...lines.map((l) => l[k].length));
  const out = [`usage against limits (${report.invocations} invocation${report.invocations === 1 ? '' : 's'}; ! = at least ${WARN_RATIO * 100}% of the limit):`];
  for (const l of lines) {
    out.push(`${l.mark} ${l.label.padEnd(w('label'))}  ${l.used.padStart(w('used'))} of ${l.limit.padEnd(w('limit'))}  ${l.percent.padStart(w('percent'))}${l.note ? `  (${l.note})` : ''}`.trimEnd());
  }
  return `${out.join('\n')}\n`;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
