// Copies a plugin folder a person picked into the managed plugins folder (in the extension's global storage):
// only plugin.json and the main script (the bytes the approval is bound to), assembled in a staging folder,
// checked to be exactly what was read from the source, and only then moved into place.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPluginFolder } from '../core/manifest';

export type CopyResult =
  | { readonly ok: true; readonly name: string; readonly dir: string; readonly fingerprint: string }
  | { readonly ok: false; readonly message: string };

/** Whether `child` is `parent` or inside it (both resolved through links where they exist). */
export function isInsideFolder(parent: string, child: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const rel = path.relative(real(parent), real(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Copies the plugin at `source` to `<managedFolder>/<name>`, replacing a previous copy there. `mayReplace` is
 * asked first whether a plugin of that name may be replaced (the caller refuses if it is installed).
 */
export function copyIntoManaged(source: string, managedFolder: string, stagingFolder: string, mayReplace: (name: string) => string | undefined): CopyResult {
  const loaded = loadPluginFolder(source);
  if (!loaded.ok) return { ok: false, message: `${source} is not a valid plugin: ${loaded.problems.join('; ')}` };
  const plugin = loaded.value;
  const name = plugin.manifest.name;
  const refusal = mayReplace(name);
  if (refusal !== undefined) return { ok: false, message: refusal };

  fs.mkdirSync(stagingFolder, { recursive: true });
  const staging = path.join(stagingFolder, `${name}-${randomBytes(6).toString('hex')}`);
  try {
    fs.mkdirSync(staging);
    // Written from what was read and checked, not copied from disk again: no window for the source to change.
    fs.writeFileSync(path.join(staging, 'plugin.json'), plugin.manifestText);
    const mainTarget = path.join(staging, plugin.manifest.main);
    fs.mkdirSync(path.dirname(mainTarget), { recursive: true });
    fs.writeFileSync(mainTarget, plugin.source);
    const readme = path.join(plugin.dir, 'README.md');
    if (fs.existsSync(readme) && fs.statSync(readme).isFile() && fs.statSync(readme).size <= 256 * 1024) fs.copyFileSync(readme, path.join(staging, 'README.md'));
    const copy = loadPluginFolder(staging);
    if (!copy.ok || copy.value.fingerprint !== plugin.fingerprint) {
      return { ok: false, message: `the copy of ${name} does not match ${source}; nothing was installed` };
    }
    fs.mkdirSync(managedFolder, { recursive: true });
    const target = path.join(managedFolder, name);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    return { ok: true, name, dir: target, fingerprint: plugin.fingerprint };
  } catch (e) {
    return { ok: false, message: `could not copy ${name} into ${managedFolder}: ${(e as Error).message}` };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
