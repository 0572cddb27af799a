// `npm run bench` (= node out/bench/run.js after a build): runs the benchmark, writes
// bench/results/latest.json and latest.md (quick runs: quick.json/.md), and prints the table.
//   --quick         CI-sized run, well under a minute; asserts nothing about speed
//   --only a,b      only these sections: realm, latency, throughput, cpu, first, timeout, memory, attacks
//   --out DIR       write the results there instead of bench/results
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBenchmark } from './benchmark';
import { SECTIONS, type BenchMode, type Section } from './config';
import { REPO_ROOT } from './hosts';
import { renderMarkdown } from './markdown';

interface Args {
  mode: BenchMode;
  only: Section[] | undefined;
  outDir: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mode: 'full', only: undefined, outDir: path.join(REPO_ROOT, 'bench', 'results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.mode = 'quick';
    else if (a === '--tiny') args.mode = 'tiny';
    else if (a === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (unknown.length > 0 || names.length === 0) throw new Error(`--only takes a comma-separated list of ${SECTIONS.join(', ')}`);
      args.only = names as Section[];
    } else if (a === '--out') {
      const dir = argv[++i];
      if (!dir) throw new Error('--out takes a directory');
      args.outDir = path.resolve(dir);
    } else {
      throw new Error(`unknown argument ${a} (use --quick, --only SECTIONS, --out DIR)`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`plugin-runtime bench: ${args.mode} run${args.only ? ` (${args.only.join(', ')})` : ''}`);
  const results = await runBenchmark({ mode: args.mode, only: args.only, log });
  const markdown = renderMarkdown(results);
  const base = args.mode === 'full' && !args.only ? 'latest' : args.only ? `${args.mode}-partial` : args.mode;
  fs.mkdirSync(args.outDir, { recursive: true });
  const jsonFile = path.join(args.outDir, `${base}.json`);
  const mdFile = path.join(args.outDir, `${base}.md`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(mdFile, markdown);
  process.stdout.write(`${markdown}\n`);
  log(`written: ${path.relative(process.cwd(), jsonFile)}, ${path.relative(process.cwd(), mdFile)}`);
}

main().then(
  () => {
    // Every host, process and worker was ended, so the process exits now; if something was left open,
    // this (unref'd) timer is what still runs, and it names the culprits.
    setTimeout(() => process.stderr.write(`bench: still open a second after the run: ${process.getActiveResourcesInfo().join(', ')}\n`), 1000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
