// First invocations (a cold sandbox process; a further plugin once it is up) against the floor of starting
// a bare process and a bare worker, phase by phase; and the precision of the time limit with the recovery
// after it, against the same mechanism bare (a timer, terminate(), a new worker).
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { BenchConfig } from './config';
import { BareChild, BareWorker } from './floors';
import { inputOf, invokeOk, type HostPool } from './hosts';
import { ECHO_SOURCE, LOOP_ON_DEMAND_SOURCE, textOfSize, type BenchPlugins } from './plugins';
import { SandboxDriver } from './sandboxDriver';
import { shuffled, summarizeRounds, type Summary } from './stats';

export interface FirstInvocationResults {
  /** New PluginHost, first invoke: sandbox process start + worker + plugin load + realm + call. */
  coldProcess: Summary;
  /** A second plugin's first invoke on the same host, its sandbox process already up. */
  furtherPlugin: Summary;
  /** Floor of the first: spawn a bare Node child (process.execPath) until its first frame. */
  floorProcessStart: Summary;
  /** Floor of the second: a bare worker thread from `new Worker` until its first round trip. */
  floorWorkerStart: Summary;
  /**
   * The same cold start phase by phase, driving dist/sandbox.js directly with the flags the host used:
   * spawn → ready, load → loaded, the first call, and a further plugin's load and first call.
   */
  phases: { spawnToReady: Summary; firstLoad: Summary; firstCall: Summary; furtherLoad: Summary; furtherCall: Summary };
  /** The flags the sandbox process was started with (the host's most hardened set this runtime accepts). */
  sandboxFlags: string[];
}

export interface TimeoutResults {
  timeoutMs: number;
  /** invoke() of a looping plugin until the timeout failure resolves it. */
  rejection: Summary;
  /** rejection − the limit. */
  overshoot: Summary;
  /** From the rejection until the same plugin's next call has succeeded. */
  nextCallAfterRejection: Summary;
  /** Floor of the rejection: a bare worker spinning in a loop, a 200 ms timer, terminate(). */
  floorRejection: Summary;
  /** Floor of the recovery: a new bare worker until its first round trip, right after that terminate(). */
  floorRecovery: Summary;
}

export async function measureFirstInvocation(config: BenchConfig, pool: HostPool, plugins: BenchPlugins, log: (line: string) => void): Promise<FirstInvocationResults> {
  const first = plugins.write('bench-first', ECHO_SOURCE);
  const further = plugins.write('bench-further', ECHO_SOURCE);
  const input = inputOf(textOfSize(100));
  const samples = {
    coldProcess: [] as number[][],
    furtherPlugin: [] as number[][],
    floorProcessStart: [] as number[][],
    floorWorkerStart: [] as number[][],
    spawnToReady: [] as number[][],
    firstLoad: [] as number[][],
    firstCall: [] as number[][],
    furtherLoad: [] as number[][],
    furtherCall: [] as number[][],
  };
  let flags: string[] | undefined;
  const variants = [
    {
      key: 'host',
      run: async (r: number) => {
        const host = pool.create();
        try {
          const t0 = performance.now();
          await invokeOk(host, first, input);
          const t1 = performance.now();
          await invokeOk(host, further, input);
          const t2 = performance.now();
          samples.coldProcess[r]!.push(t1 - t0);
          samples.furtherPlugin[r]!.push(t2 - t1);
          flags ??= host.status().sandbox?.flags;
        } finally {
          await pool.dispose(host);
        }
      },
    },
    {
      key: 'phases',
      run: async (r: number) => {
        const t0 = performance.now();
        const driver = await SandboxDriver.start(flags ?? []);
        try {
          const t1 = performance.now();
          await driver.load('bench-first', ECHO_SOURCE);
          const t2 = performance.now();
          await driver.invoke('bench-first', input.text);
          const t3 = performance.now();
          await driver.load('bench-further', ECHO_SOURCE);
          const t4 = performance.now();
          await driver.invoke('bench-further', input.text);
          const t5 = performance.now();
          samples.spawnToReady[r]!.push(t1 - t0);
          samples.firstLoad[r]!.push(t2 - t1);
          samples.firstCall[r]!.push(t3 - t2);
          samples.furtherLoad[r]!.push(t4 - t3);
          samples.furtherCall[r]!.push(t5 - t4);
        } finally {
          await driver.shutdown();
        }
      },
    },
    {
      key: 'process',
      run: async (r: number) => {
        const t0 = performance.now();
        const child = await BareChild.start(false);
        samples.floorProcessStart[r]!.push(performance.now() - t0);
        await child.dispose();
      },
    },
    {
      key: 'worker',
      run: async (r: number) => {
        const t0 = performance.now();
        const worker = new BareWorker();
        await worker.roundTrip(input);
        samples.floorWorkerStart[r]!.push(performance.now() - t0);
        await worker.dispose();
      },
    },
  ];
  // Warm-up: the first spawn of a run pays for the file cache and the JIT of the host's own code.
  for (const list of Object.values(samples)) list.push([]);
  for (const v of variants) await v.run(0);
  for (const list of Object.values(samples)) list.length = 0;
  for (let r = 0; r < config.coldRounds; r++) {
    for (const list of Object.values(samples)) list.push([]);
    for (let i = 0; i < config.coldPerRound; i++) {
      for (const v of shuffled(variants, 0xc01d + r * 31 + i)) await v.run(r);
    }
    log(`  first invocation: round ${r + 1}/${config.coldRounds} done`);
  }
  const ms = (key: keyof typeof samples) => summarizeRounds(samples[key], 'ms');
  return {
    coldProcess: ms('coldProcess'),
    furtherPlugin: ms('furtherPlugin'),
    floorProcessStart: ms('floorProcessStart'),
    floorWorkerStart: ms('floorWorkerStart'),
    phases: { spawnToReady: ms('spawnToReady'), firstLoad: ms('firstLoad'), firstCall: ms('firstCall'), furtherLoad: ms('furtherLoad'), furtherCall: ms('furtherCall') },
    sandboxFlags: flags ?? [],
  };
}

export async function measureTimeout(config: BenchConfig, pool: HostPool, plugins: BenchPlugins, log: (line: string) => void): Promise<TimeoutResults> {
  const timeoutMs = 200;
  const host = pool.create({ timeoutMs });
  const plugin = plugins.write('bench-loop-on-demand', LOOP_ON_DEMAND_SOURCE);
  const ok = inputOf('ok');
  const loop = inputOf('loop');
  const rejection: number[][] = [];
  const next: number[][] = [];
  const floorRejection: number[][] = [];
  const floorRecovery: number[][] = [];
  const hostCycle = async (r: number | undefined) => {
    const t0 = performance.now();
    const outcome = await host.invoke(plugin, 'transform', loop);
    const t1 = performance.now();
    if (outcome.ok || outcome.failure.kind !== 'timeout') throw new Error(`bench: the looping plugin was not stopped by the time limit (${outcome.ok ? 'it answered' : outcome.failure.kind})`);
    await invokeOk(host, plugin, ok);
    const t2 = performance.now();
    if (r !== undefined) {
      rejection[r]!.push(t1 - t0);
      next[r]!.push(t2 - t1);
    }
  };
  const floorCycle = async (r: number | undefined) => {
    const spinning = new Worker('for (;;) {}', { eval: true });
    await once(spinning, 'online');
    const t0 = performance.now();
    await new Promise<void>((resolve) => setTimeout(resolve, timeoutMs));
    await spinning.terminate();
    const t1 = performance.now();
    const replacement = new BareWorker();
    await replacement.roundTrip(ok);
    const t2 = performance.now();
    await replacement.dispose();
    if (r !== undefined) {
      floorRejection[r]!.push(t1 - t0);
      floorRecovery[r]!.push(t2 - t1);
    }
  };
  try {
    await invokeOk(host, plugin, ok);
    await hostCycle(undefined);
    await floorCycle(undefined);
    for (let r = 0; r < config.timeoutRounds; r++) {
      for (const list of [rejection, next, floorRejection, floorRecovery]) list.push([]);
      for (let i = 0; i < config.timeoutPerRound; i++) {
        for (const cycle of shuffled([hostCycle, floorCycle], 0x7173 + r * 31 + i)) await cycle(r);
      }
      log(`  timeout: round ${r + 1}/${config.timeoutRounds} done`);
    }
  } finally {
    await pool.dispose(host);
  }
  return {
    timeoutMs,
    rejection: summarizeRounds(rejection, 'ms'),
    overshoot: summarizeRounds(rejection.map((rs) => rs.map((x) => x - timeoutMs)), 'ms'),
    nextCallAfterRejection: summarizeRounds(next, 'ms'),
    floorRejection: summarizeRounds(floorRejection, 'ms'),
    floorRecovery: summarizeRounds(floorRecovery, 'ms'),
  };
}
