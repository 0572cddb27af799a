// Summarises V8 .cpuprofile files (from `node --cpu-prof`): self time by function, inclusive time by
// function, and self time by where the code lives (our bundles, zod, Node internals, GC).
//   node out/bench/profileSummary.js FILE_OR_DIR... [--top N]
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  /** Wall time the profile covers, ms. */
  wallMs: number;
  /** Sampled time that was not idle, ms. */
  busyMs: number;
  selfByFunction: { name: string; ms: number; share: number }[];
  inclusiveByFunction: { name: string; ms: number; share: number }[];
  selfByPlace: { place: string; ms: number; share: number }[];
}

const IDLE = new Set(['(idle)', '(program)']);

function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  return `${name} ${path.basename(url)}:${lineNumber + 1}`;
}

/** Where a function's code lives, coarsely: what a reader needs to tell whose cost it is. */
function placeOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.includes('node_modules/zod') || /zod/.test(functionName)) return 'zod (validation)';
  if (url.startsWith('node:internal/per_context') || url.includes('primordials')) return 'Node per-context bootstrap';
  if (url.startsWith('node:')) return `Node: ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
  if (url.includes('plugin-runtime:realm-prelude')) return 'realm prelude';
  if (url.startsWith('plugin:')) return 'plugin code';
  return `ours: ${path.basename(url)}`;
}

export function summarizeProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const places = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000; // the delta after a sample is the time it stands for
    if (!node || IDLE.has(node.callFrame.functionName)) continue;
    busy += dt;
    const key = functionKey(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    const place = placeOf(node);
    places.set(place, (places.get(place) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = functionKey(byId.get(id)!);
      if (seen.has(k) || k === '(root)') continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const ranked = (m: Map<string, number>) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10, share: Math.round((ms / busy) * 1000) / 10 }));
  return {
    file,
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busy),
    selfByFunction: ranked(self),
    inclusiveByFunction: ranked(inclusive),
    selfByPlace: ranked(places).map(({ name, ms, share }) => ({ place: name, ms, share })),
  };
}

export function renderProfileSummary(s: ProfileSummary): string {
  const lines = [`${path.basename(s.file)}: ${s.busyMs} ms busy of ${s.wallMs} ms`];
  lines.push('  self time by place:');
  for (const p of s.selfByPlace) lines.push(`    ${p.share.toFixed(1).padStart(5)}%  ${p.ms.toFixed(0).padStart(6)} ms  ${p.place}`);
  lines.push('  self time by function:');
  for (const f of s.selfByFunction) lines.push(`    ${f.share.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}`);
  lines.push('  inclusive time by function:');
  for (const f of s.inclusiveByFunction) lines.push(`    ${f.share.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}`);
  return lines.join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  let top = 20;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]);
    else {
      const p = args[i]!;
      if (fs.statSync(p).isDirectory()) files.push(...fs.readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(p, f)));
      else files.push(p);
    }
  }
  if (files.length === 0) throw new Error('usage: node out/bench/profileSummary.js FILE_OR_DIR... [--top N]');
  for (const f of files) process.stdout.write(`${renderProfileSummary(summarizeProfile(f, top))}\n\n`);
}

if (require.main === module) main();
