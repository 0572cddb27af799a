// fast-check settings shared by the property suites: a fresh seed per run unless PLUGIN_RUNTIME_FC_SEED replays
// one, and PLUGIN_RUNTIME_FC_RUNS to override the suite's default number of runs. Both go in test titles.

export interface FcSettings {
  seed: number;
  numRuns: number;
  /** For test titles: the seed, the runs, and how to replay. */
  replay: string;
}

export function fcSettings(defaultRuns: number): FcSettings {
  const envSeed = process.env['PLUGIN_RUNTIME_FC_SEED'];
  const seed = envSeed ? Number(envSeed) : Math.floor(Math.random() * 0x7fffffff);
  const numRuns = Number(process.env['PLUGIN_RUNTIME_FC_RUNS'] ?? defaultRuns);
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(numRuns) || numRuns < 1) {
    throw new Error('PLUGIN_RUNTIME_FC_SEED and PLUGIN_RUNTIME_FC_RUNS must be integers');
  }
  return { seed, numRuns, replay: `[seed ${seed}, ${numRuns} runs; replay with PLUGIN_RUNTIME_FC_SEED=${seed}]` };
}
