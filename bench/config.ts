// How much of each measurement a run makes: `full` (the published figures, under 10 minutes), `quick`
// (CI: under a minute, asserts nothing about speed) and `tiny` (the unit test's smoke run).

export type BenchMode = 'full' | 'quick' | 'tiny';

export interface BenchConfig {
  mode: BenchMode;
  /** Rounds of the warm-latency table; every variant runs once per round, in a shuffled order. */
  rounds: number;
  /** Calls per variant per round, by input size. */
  calls: { '100B': number; '10KB': number; '1MB': number };
  /** Rounds of the throughput variants, and of the CPU-per-call measurement. */
  throughputRounds: number;
  /** Duration of one throughput variant (and one CPU-per-call round) in one round. */
  throughputMs: number;
  coldRounds: number;
  /** Cold sandbox starts per round (each a new PluginHost). */
  coldPerRound: number;
  timeoutRounds: number;
  timeoutPerRound: number;
  memoryRounds: number;
  /** Warm plugins the per-plugin RSS slope is fitted over (1..memoryPlugins). */
  memoryPlugins: number;
  /** Rounds of the memory attacks. */
  attackRounds: number;
  /** One uncounted round of attacks first, so the host's RSS baseline is taken in its steady state. */
  attackWarmUp: boolean;
  /** Heap bombs under the real 200 ms limit, each followed by a well-behaved plugin's calls (up to 20 s). */
  collateralProbes: number;
  realmRounds: number;
  realmIterations: number;
}

export const CONFIGS: Record<BenchMode, BenchConfig> = {
  full: {
    mode: 'full',
    rounds: 9,
    calls: { '100B': 200, '10KB': 150, '1MB': 24 },
    throughputRounds: 5,
    throughputMs: 1500,
    coldRounds: 7,
    coldPerRound: 3,
    timeoutRounds: 5,
    timeoutPerRound: 8,
    memoryRounds: 3,
    memoryPlugins: 8,
    attackRounds: 4,
    attackWarmUp: true,
    collateralProbes: 2,
    realmRounds: 5,
    realmIterations: 300,
  },
  quick: {
    mode: 'quick',
    rounds: 2,
    calls: { '100B': 50, '10KB': 30, '1MB': 4 },
    throughputRounds: 2,
    throughputMs: 400,
    coldRounds: 2,
    coldPerRound: 1,
    timeoutRounds: 2,
    timeoutPerRound: 2,
    memoryRounds: 1,
    memoryPlugins: 3,
    attackRounds: 1,
    attackWarmUp: false,
    collateralProbes: 0,
    realmRounds: 2,
    realmIterations: 100,
  },
  tiny: {
    mode: 'tiny',
    rounds: 1,
    calls: { '100B': 5, '10KB': 3, '1MB': 1 },
    throughputRounds: 1,
    throughputMs: 100,
    coldRounds: 1,
    coldPerRound: 1,
    timeoutRounds: 1,
    timeoutPerRound: 1,
    memoryRounds: 1,
    memoryPlugins: 2,
    attackRounds: 1,
    attackWarmUp: false,
    collateralProbes: 0,
    realmRounds: 1,
    realmIterations: 10,
  },
};

/** Figures the run can be limited to (`--only`), for working on one of them. */
export const SECTIONS = ['realm', 'latency', 'throughput', 'cpu', 'first', 'timeout', 'memory', 'attacks'] as const;
export type Section = (typeof SECTIONS)[number];
