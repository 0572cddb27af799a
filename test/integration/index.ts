// Entry point of the integration suite inside a real VS Code extension host: `run()` is the contract of
// @vscode/test-electron's extensionTestsPath, so scripts/test-integration.mjs (VS Code server + headless
// Chromium) and scripts/test-electron.mjs (desktop VS Code) both run it. It runs mocha (bdd: describe/it)
// over every out/test/integration/**/*.test.js and, when PLUGIN_RUNTIME_TEST_RESULTS names a file, writes
// the results there as JSON for the runner to read (the extension host's console is not reliably visible
// to the runner).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';

/** One test's outcome, as written to the results file. */
export interface TestOutcome {
  title: string;
  fullTitle: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs: number;
  error?: { message: string; stack?: string };
}

/** The results file read by scripts/test-integration.mjs. */
export interface TestResults {
  passes: number;
  failures: number;
  pending: number;
  total: number;
  durationMs: number;
  tests: TestOutcome[];
  /** What the extension host printed to its console during the run (mocha's spec reporter included). */
  output: string[];
  /** Set when the suite could not run at all (a test file failed to load, say). */
  fatal?: string;
}

const RESULTS_ENV = 'PLUGIN_RUNTIME_TEST_RESULTS';

function findTestFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...findTestFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) files.push(full);
  }
  return files.sort();
}

function errorOf(err: unknown): { message: string; stack?: string } {
  if (err instanceof Error) return { message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  return { message: String(err) };
}

/** Writes atomically (temporary file, then rename) so the polling runner never reads half a file. */
function writeResults(results: TestResults): void {
  const target = process.env[RESULTS_ENV];
  if (!target) return;
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 2));
  fs.renameSync(tmp, target);
}

/**
 * Copies the extension host's console output into `lines` until the returned function is called. The
 * runner cannot read it otherwise: in the browser window it arrives late, after the results file.
 */
function captureConsole(lines: string[]): () => void {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const originals = methods.map((m) => console[m]);
  methods.forEach((m, i) => {
    const original = originals[i]!;
    console[m] = (...args: unknown[]) => {
      if (lines.length < 20_000) lines.push(...util.format(...args).split('\n'));
      original.apply(console, args);
    };
  });
  // Mocha's reporters print through a console.log of their own, taken when mocha was loaded.
  const reporterLog = Mocha.reporters.Base.consoleLog;
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
    if (lines.length < 20_000) lines.push(...util.format(...args).split('\n'));
    reporterLog.apply(console, args);
  };
  return () => {
    methods.forEach((m, i) => { console[m] = originals[i]!; });
    Mocha.reporters.Base.consoleLog = reporterLog;
  };
}

function writeRunning(fullTitle: string): void {
  const target = process.env[RESULTS_ENV];
  if (target) fs.writeFileSync(`${target}.running`, fullTitle);
}

export function run(): Promise<void> {
  const started = Date.now();
  const output: string[] = [];
  const restoreConsole = captureConsole(output);
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: Number(process.env.PLUGIN_RUNTIME_TEST_TIMEOUT ?? 30_000),
    ...(process.env.PLUGIN_RUNTIME_TEST_GREP ? { grep: process.env.PLUGIN_RUNTIME_TEST_GREP } : {}),
  });
  const outcomes: TestOutcome[] = [];
  const summary = (fatal?: string): TestResults => {
    const count = (state: TestOutcome['state']) => outcomes.filter((t) => t.state === state).length;
    return {
      passes: count('passed'),
      failures: count('failed'),
      pending: count('pending'),
      total: outcomes.length,
      durationMs: Date.now() - started,
      tests: outcomes,
      output,
      ...(fatal ? { fatal } : {}),
    };
  };

  return new Promise<void>((resolve, reject) => {
    try {
      for (const file of findTestFiles(__dirname)) mocha.addFile(file);
      const runner = mocha.run((failures) => {
        restoreConsole();
        writeResults(summary());
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
      const outcome = (test: Mocha.Test, state: TestOutcome['state'], err?: unknown): TestOutcome => ({
        title: test.title,
        fullTitle: test.fullTitle(),
        state,
        durationMs: test.duration ?? 0,
        ...(err === undefined ? {} : { error: errorOf(err) }),
      });
      // Names the running test beside the results file, so a runner that times out can say which hung.
      runner.on(Mocha.Runner.constants.EVENT_TEST_BEGIN, (test) => writeRunning(test.fullTitle()));
      runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test) => outcomes.push(outcome(test, 'passed')));
      runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test) => outcomes.push(outcome(test, 'pending')));
      // Also fires for failing hooks (before/after), whose "test" is the hook.
      runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, err) => outcomes.push(outcome(test, 'failed', err)));
    } catch (err) {
      // A test file that throws while loading lands here: report it instead of hanging the runner.
      restoreConsole();
      const { message, stack } = errorOf(err);
      outcomes.push({ title: 'loading the integration suite', fullTitle: 'loading the integration suite', state: 'failed', durationMs: 0, error: { message, ...(stack ? { stack } : {}) } });
      writeResults(summary(message));
      reject(err instanceof Error ? err : new Error(message));
    }
  });
}
