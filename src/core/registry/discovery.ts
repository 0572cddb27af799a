// Discovery: finds plugin candidates in the configured folders (each immediate subfolder with a plugin.json),
// lists invalid ones with their problems, reports duplicate names, and rescans cheaply by file stats.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_MANIFEST_BYTES, ManifestSchema, loadPluginFolder, type LoadedPlugin, type ParseResult } from '../manifest';

export interface Candidate {
  /** The manifest's name; for an invalid plugin, its name if plugin.json names one validly, else the folder name. */
  readonly name: string;
  /** The plugin folder (resolved through links when it could be). */
  readonly dir: string;
  /** The configured folder it was found in. */
  readonly folder: string;
  /** The plugin as loaded; absent when it is invalid. */
  readonly plugin?: LoadedPlugin;
  /** Why it cannot be installed or run; empty for a usable candidate. */
  readonly problems: readonly string[];
}

export interface ScanResult {
  /** Sorted by name, then folder. */
  readonly candidates: readonly Candidate[];
  /** Configured folders that could not be read. */
  readonly folderProblems: readonly string[];
}

export function isUsable(c: Candidate): c is Candidate & { plugin: LoadedPlugin } {
  return c.plugin !== undefined && c.problems.length === 0;
}

export type FolderLoader = (dir: string) => ParseResult<LoadedPlugin>;

interface CacheEntry {
  readonly signature: string;
  readonly plugin: LoadedPlugin;
}

function statSignature(file: string): string {
  const s = fs.statSync(file, { bigint: true });
  // ctime changes on every content or metadata write, even one that restores the old mtime.
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/**
 * The cache only saves re-reading and re-hashing unchanged files for listing. It is never the word on what
 * runs: PluginRegistry.prepareRun and install always read the folder afresh and compare fingerprints, so a
 * change the stats miss (same size within the same timestamp tick) can only make a listing stale.
 */
export class PluginDiscovery {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly folders: readonly string[],
    private readonly load: FolderLoader = loadPluginFolder,
  ) {}

  scan(): ScanResult {
    const folderProblems: string[] = [];
    const found: Candidate[] = [];
    const seenFolders = new Set<string>();
    const seenDirs = new Set<string>();
    for (const folder of this.folders) {
      let realFolder: string;
      let entries: string[];
      try {
        realFolder = fs.realpathSync(folder);
        entries = fs.readdirSync(realFolder).sort();
      } catch (e) {
        folderProblems.push(`plugin folder ${folder} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        continue;
      }
      // The same folder configured twice (or through a link) must not make every plugin a duplicate of itself.
      if (seenFolders.has(realFolder)) continue;
      seenFolders.add(realFolder);
      for (const entry of entries) {
        const sub = path.join(realFolder, entry);
        let realDir: string;
        try {
          if (!fs.statSync(sub).isDirectory() || !fs.existsSync(path.join(sub, 'plugin.json'))) continue;
          realDir = fs.realpathSync(sub);
        } catch {
          continue; // vanished between readdir and stat: not a candidate on this scan
        }
        if (seenDirs.has(realDir)) continue;
        seenDirs.add(realDir);
        found.push(this.candidateAt(realDir, folder));
      }
    }
    for (const key of [...this.cache.keys()]) if (!seenDirs.has(key)) this.cache.delete(key);
    return { candidates: markDuplicates(found), folderProblems };
  }

  private candidateAt(dir: string, folder: string): Candidate {
    const cached = this.cache.get(dir);
    if (cached !== undefined && this.signatureOf(dir, cached.plugin) === cached.signature) {
      return { name: cached.plugin.manifest.name, dir, folder, plugin: cached.plugin, problems: [] };
    }
    this.cache.delete(dir);
    const loaded = this.load(dir);
    if (!loaded.ok) return { name: bestEffortName(dir), dir, folder, problems: loaded.problems };
    const signature = this.signatureOf(dir, loaded.value);
    // Only a valid load is cached: an invalid one may become valid through a file plugin.json does not
    // name (a main script appearing), and invalid folders fail fast anyway.
    if (signature !== undefined) this.cache.set(dir, { signature, plugin: loaded.value });
    return { name: loaded.value.manifest.name, dir, folder, plugin: loaded.value, problems: [] };
  }

  /** Stats of plugin.json and of the main script as the manifest names it now; undefined if unreadable. */
  private signatureOf(dir: string, plugin: LoadedPlugin): string | undefined {
    try {
      const realMain = fs.realpathSync(path.resolve(dir, plugin.manifest.main));
      if (realMain !== plugin.mainPath) return undefined;
      return `${statSignature(path.join(dir, 'plugin.json'))}|${realMain}|${statSignature(realMain)}`;
    } catch {
      return undefined;
    }
  }
}

/** Every candidate sharing a name with another gets a problem naming the other folders; none is merged. */
function markDuplicates(found: readonly Candidate[]): Candidate[] {
  const byName = new Map<string, Candidate[]>();
  for (const c of found) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  const out: Candidate[] = [];
  for (const c of found) {
    const others = (byName.get(c.name) ?? []).filter((o) => o !== c);
    out.push(others.length === 0 ? c : { ...c, problems: [...c.problems, ...others.map((o) => `duplicate name, also in ${o.dir}`)] });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

/** For listing an invalid plugin under the name it is known by, if its plugin.json still names one. */
function bestEffortName(dir: string): string {
  try {
    const file = path.join(dir, 'plugin.json');
    if (fs.statSync(file).size > MAX_MANIFEST_BYTES) return path.basename(dir);
    const raw = fs.readFileSync(file, 'utf8');
    const name: unknown = (JSON.parse(raw) as { name?: unknown } | null)?.name;
    if (ManifestSchema.shape.name.safeParse(name).success) return name as string;
  } catch {
    // fall through to the folder name
  }
  return path.basename(dir);
}
