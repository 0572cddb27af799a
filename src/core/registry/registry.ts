// PluginRegistry: the one owner of every plugin's lifecycle state, grant and health, persisted behind a
// KeyValueStore, and the gate (prepareRun, isGranted) every invocation passes through.
import { makeFailure, type PluginFailure } from '../errors';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import { loadPluginFolder, type LoadedPlugin } from '../manifest';
import type { PermissionId } from '../permissions';
import type { KeyValueStore } from '../store';
import { applyOutcome, type OutcomeLike } from './crashPolicy';
import { PluginDiscovery, isUsable, type Candidate, type FolderLoader, type ScanResult } from './discovery';
import { describeReapproval, grantAllows, makeGrant, reapprovalDiff, revokePermission, type Grant, type ReapprovalDiff } from './grants';
import { emptyHealth, viewHealth, type HealthView, type LastError } from './health';
import { TRANSITIONS, isInstalledState, transition, type LifecycleAction, type PluginState, type TransitionEvent } from './lifecycle';
import { RECORD_KEY_PREFIX, RECORD_VERSION, parseRecord, recordKey, type PluginRecord } from './records';
import * as errors from './registryErrors';
import type { RegistryError } from './registryErrors';

/** What the registry needs from plugin storage: erasing a plugin's data on uninstall. PluginStorage fits. */
export interface PluginDataEraser {
  clear(plugin: string): unknown;
}

export interface RegistryOptions {
  readonly store: KeyValueStore;
  readonly folders: readonly string[];
  readonly limits?: Limits;
  /** Milliseconds since the epoch; injected so tests control time. */
  readonly clock?: () => number;
  /** Erased on uninstall unless keepData. */
  readonly storage?: PluginDataEraser;
  /** Reads one plugin folder; tests inject a counting loader. Defaults to loadPluginFolder. */
  readonly loadFolder?: FolderLoader;
}

export interface InstallDecision {
  readonly approve: boolean;
  /** Approved permissions; default: everything the manifest asks for. */
  readonly permissions?: readonly PermissionId[];
  /** The fingerprint the person reviewed; if given and the files changed since, the install is refused. */
  readonly fingerprint?: string;
}

export interface PluginInfo {
  readonly name: string;
  readonly version?: string;
  readonly displayName?: string;
  readonly description?: string;
  readonly publisher?: string;
  readonly state: PluginState;
  /** What the manifest on disk asks for (empty when it cannot be read). */
  readonly permissions: readonly PermissionId[];
  /** What is granted now ('log' is implied and not listed). */
  readonly granted: readonly PermissionId[];
  /** Why it cannot be installed or run; empty when fine. */
  readonly problems: readonly string[];
  readonly dir: string;
  readonly health: HealthView;
  /** Set when the files on disk are not what was approved. */
  readonly needsReapproval?: ReapprovalDiff;
  readonly lastError?: LastError;
}

export type RegistryResult =
  | { readonly ok: true; readonly state: PluginState; readonly event?: TransitionEvent; readonly warning?: string }
  | { readonly ok: false; readonly error: RegistryError };

/** The plugin as a person is asked to approve it. */
export type Review = { readonly ok: true; readonly plugin: LoadedPlugin; readonly needsReapproval?: ReapprovalDiff } | { readonly ok: false; readonly error: RegistryError };

export type RunRefusalReason = 'unknown' | 'not-installed' | 'not-enabled' | 'error-state' | 'invalid' | 'needs-reapproval' | 'corrupt';

export type RunPreparation =
  | { readonly ok: true; readonly plugin: LoadedPlugin }
  | { readonly ok: false; readonly failure: PluginFailure; readonly reason: RunRefusalReason; readonly needsReapproval?: ReapprovalDiff };

export type OutcomeRecorded =
  | { readonly ok: true; readonly state: PluginState; readonly health: HealthView; readonly switchedOff?: TransitionEvent }
  | { readonly ok: false; readonly error: RegistryError };

export type RegistryChange =
  | { readonly type: 'transition'; readonly event: TransitionEvent }
  | { readonly type: 'health'; readonly plugin: string; readonly health: HealthView; readonly time: number }
  | { readonly type: 'grant'; readonly plugin: string; readonly change: 'revoked' | 'reapproved'; readonly granted: readonly PermissionId[]; readonly time: number }
  | { readonly type: 'scan'; readonly time: number };

const PERSON_REASONS: { readonly [A in LifecycleAction]: string } = {
  install: 'installed with approved permissions',
  enable: 'enabled by a person',
  disable: 'disabled by a person',
  fail: 'switched off by the crash policy',
  reenable: 're-enabled by a person (failure count reset)',
  uninstall: 'uninstalled by a person',
};

export class PluginRegistry {
  private readonly store: KeyValueStore;
  private readonly folders: readonly string[];
  private readonly limits: Limits;
  private readonly clock: () => number;
  private readonly storage: PluginDataEraser | undefined;
  private readonly loadFolder: FolderLoader;
  private readonly discovery: PluginDiscovery;
  private readonly records = new Map<string, PluginRecord>();
  /** Plugins whose stored record could not be read, and why. They behave as ERROR without a grant. */
  private readonly corrupt = new Map<string, string>();
  /**
   * The fingerprint prepareRun last read from disk, per plugin. isGranted allows data permissions only while
   * this equals the approved fingerprint, so a plugin whose files changed loses its grants at once.
   */
  private readonly verified = new Map<string, string>();
  private readonly listeners = new Set<(change: RegistryChange) => void>();
  private lastScan: ScanResult | undefined;
  /** Mutations run one at a time, each from the state the previous one committed. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: RegistryOptions) {
    this.store = opts.store;
    this.folders = [...opts.folders];
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.clock = opts.clock ?? Date.now;
    this.storage = opts.storage;
    this.loadFolder = opts.loadFolder ?? loadPluginFolder;
    this.discovery = new PluginDiscovery(this.folders, this.loadFolder);
    for (const key of this.store.keys()) {
      if (!key.startsWith(RECORD_KEY_PREFIX)) continue;
      const name = key.slice(RECORD_KEY_PREFIX.length);
      const parsed = parseRecord(name, this.store.get(key));
      if (parsed.ok) this.records.set(name, parsed.record);
      else this.corrupt.set(name, parsed.problem);
    }
  }

  // ---- discovery and listing ------------------------------------------------------------------------

  /** Rescans the plugin folders (cheap for unchanged plugins) and announces it. */
  scan(): ScanResult {
    this.lastScan = this.discovery.scan();
    this.emit({ type: 'scan', time: this.clock() });
    return this.lastScan;
  }

  /** Problems with the configured folders themselves, from the last scan. */
  folderProblems(): readonly string[] {
    return this.lastScan?.folderProblems ?? [];
  }

  /** Every discovered plugin (each duplicate separately) and every installed one whose folder is gone. */
  list(): PluginInfo[] {
    const scan = this.lastScan ?? this.scan();
    const out: PluginInfo[] = [];
    const listed = new Set<string>();
    for (const c of scan.candidates) {
      listed.add(c.name);
      out.push(this.infoFor(c.name, c));
    }
    const stored = [...new Set([...this.records.keys(), ...this.corrupt.keys()])].sort();
    for (const name of stored) {
      if (listed.has(name)) continue;
      // An uninstalled plugin that is no longer on disk is of no interest to anyone.
      if (this.records.get(name)?.state === 'UNINSTALLED') continue;
      out.push(this.infoFor(name, undefined));
    }
    return out;
  }

  /** The current state; AVAILABLE for anything never installed. */
  stateOf(name: string): PluginState {
    return this.records.get(name)?.state ?? (this.corrupt.has(name) ? 'ERROR' : 'AVAILABLE');
  }

  private infoFor(name: string, c: Candidate | undefined): PluginInfo {
    const record = this.records.get(name);
    const corruptProblem = this.corrupt.get(name);
    const m = c?.plugin?.manifest;
    const problems = [...(c?.problems ?? [])];
    if (corruptProblem !== undefined) problems.push(`${corruptProblem}; uninstall it to reset its saved state`);
    if (c === undefined && record !== undefined) problems.push(`not found in the plugin folders (it was installed from ${record.dir})`);
    const health = record ? viewHealth(record.health) : viewHealth(emptyHealth());
    const diff = record?.grant && c?.plugin ? reapprovalDiff(record.grant, c.plugin) : undefined;
    return {
      name,
      ...(m ? { version: m.version, displayName: m.displayName, description: m.description, publisher: m.publisher } : record ? { version: record.version } : {}),
      state: this.stateOf(name),
      permissions: m ? [...m.permissions] : [],
      granted: record?.grant ? [...record.grant.permissions] : [],
      problems,
      dir: c?.dir ?? record?.dir ?? '',
      health,
      ...(diff ? { needsReapproval: diff } : {}),
      ...(health.lastError ? { lastError: health.lastError } : {}),
    };
  }

  // ---- a person's actions ----------------------------------------------------------------------------

  /**
   * What a person is asked to approve before install: the plugin exactly as it is on disk now (its
   * manifest's permissions and its fingerprint), or why it cannot be installed. Changes nothing.
   */
  reviewInstall(name: string): Review {
    const corruptProblem = this.corrupt.get(name);
    // A damaged record must be cleared by uninstall first, whatever the table says about its state.
    if (corruptProblem !== undefined) return { ok: false, error: errors.corruptRecord(name, corruptProblem, 'install') };
    const t = transition(name, this.stateOf(name), 'install');
    if (!t.ok) return { ok: false, error: errors.refused(t.error) };
    return this.freshCandidate(name);
  }

  /** Installs with a person's approval. A denial installs nothing. */
  install(name: string, decision: InstallDecision): Promise<RegistryResult> {
    return this.serial(async () => {
      const from = this.stateOf(name);
      const review = this.reviewInstall(name);
      if (!review.ok) return review;
      const approved = this.checkDecision(name, 'install', decision, review.plugin);
      if (!approved.ok) return approved;
      const record: PluginRecord = {
        v: RECORD_VERSION,
        name,
        state: TRANSITIONS.install.to,
        dir: review.plugin.dir,
        version: review.plugin.manifest.version,
        grant: approved.grant,
        health: emptyHealth(),
        updatedAt: this.clock(),
      };
      return this.commitTransition(name, 'install', from, record, PERSON_REASONS.install);
    });
  }

  enable(name: string): Promise<RegistryResult> {
    return this.serial(() => this.personTransition(name, 'enable'));
  }

  disable(name: string): Promise<RegistryResult> {
    return this.serial(() => this.personTransition(name, 'disable'));
  }

  /** Leaves ERROR (a person's decision) and resets the consecutive-failure count. */
  reenable(name: string): Promise<RegistryResult> {
    return this.serial(() => this.personTransition(name, 'reenable'));
  }

  /** Removes the grant and, unless keepData, the plugin's storage. Refused from ENABLED: disable first. */
  uninstall(name: string, opts: { keepData?: boolean } = {}): Promise<RegistryResult> {
    return this.serial(async () => {
      const result = await this.personTransition(name, 'uninstall');
      if (!result.ok || opts.keepData || this.storage === undefined) return result;
      // The record is written first: if erasing the data fails, the plugin is uninstalled and the leftover
      // data is reported, rather than the data gone and the plugin still installed.
      try {
        await this.storage.clear(name);
        return result;
      } catch (e) {
        return { ...result, warning: `${name} was uninstalled, but its stored data could not be removed (${e instanceof Error ? e.message : String(e)})` };
      }
    });
  }

  /** Revokes one granted permission; the plugin's next call to it is denied. */
  revoke(name: string, permission: PermissionId): Promise<RegistryResult> {
    return this.serial(async () => {
      const corruptProblem = this.corrupt.get(name);
      if (corruptProblem !== undefined) return { ok: false, error: errors.corruptRecord(name, corruptProblem, 'revoke') };
      const record = this.records.get(name);
      if (!record?.grant) return { ok: false, error: errors.notInstalled(name, this.stateOf(name), 'revoke') };
      const revoked = revokePermission(record.grant, permission);
      if (!revoked.ok) return { ok: false, error: errors.invalidDecision(name, revoked.problem, 'revoke') };
      const next: PluginRecord = { ...record, grant: revoked.grant, updatedAt: this.clock() };
      const written = await this.write(name, next, 'revoke', record.state);
      if (!written.ok) return written;
      this.emit({ type: 'grant', plugin: name, change: 'revoked', granted: revoked.grant.permissions, time: next.updatedAt });
      return { ok: true, state: record.state };
    });
  }

  /**
   * What a person is asked to re-approve: the plugin as it is on disk now and what changed since the
   * current approval (no diff when the files are unchanged, e.g. to give back a revoked permission).
   */
  reviewReapproval(name: string): Review {
    const corruptProblem = this.corrupt.get(name);
    if (corruptProblem !== undefined) return { ok: false, error: errors.corruptRecord(name, corruptProblem, 'reapprove') };
    const record = this.records.get(name);
    if (!record?.grant) return { ok: false, error: errors.notInstalled(name, this.stateOf(name), 'reapprove') };
    const fresh = this.freshCandidate(name);
    if (!fresh.ok) return fresh;
    const diff = reapprovalDiff(record.grant, fresh.plugin);
    return diff ? { ok: true, plugin: fresh.plugin, needsReapproval: diff } : fresh;
  }

  /**
   * Replaces an installed plugin's grant with a new approval of the files as they are now (after they
   * changed, or to give back a revoked permission). The lifecycle state is unchanged.
   */
  reapprove(name: string, decision: InstallDecision): Promise<RegistryResult> {
    return this.serial(async () => {
      const review = this.reviewReapproval(name);
      if (!review.ok) return review;
      const record = this.records.get(name);
      if (!record) return { ok: false, error: errors.notInstalled(name, this.stateOf(name), 'reapprove') };
      const approved = this.checkDecision(name, 'reapprove', decision, review.plugin);
      if (!approved.ok) return approved;
      const next: PluginRecord = { ...record, dir: review.plugin.dir, version: review.plugin.manifest.version, grant: approved.grant, updatedAt: this.clock() };
      const written = await this.write(name, next, 'reapprove', record.state);
      if (!written.ok) return written;
      this.emit({ type: 'grant', plugin: name, change: 'reapproved', granted: approved.grant.permissions, time: next.updatedAt });
      return { ok: true, state: record.state };
    });
  }

  // ---- the run-time gate -------------------------------------------------------------------------------

  /**
   * Whether the plugin may run now, and the exact bytes to run. Re-reads the plugin folder every time (no
   * cache) and refuses if it is not what was approved.
   */
  prepareRun(name: string): RunPreparation {
    const disabled = (reason: RunRefusalReason, detail: string): RunPreparation => ({ ok: false, reason, failure: makeFailure('plugin-disabled', detail) });
    const invalid = (detail: string): RunPreparation => ({ ok: false, reason: 'invalid', failure: makeFailure('invalid-manifest', detail) });
    const corruptProblem = this.corrupt.get(name);
    if (corruptProblem !== undefined) return disabled('corrupt', `${name}: ${corruptProblem}; uninstall it to reset its saved state.`);
    const record = this.records.get(name);
    const scan = this.scan();
    const candidates = scan.candidates.filter((c) => c.name === name);
    if (!record || !record.grant) {
      if (candidates.length === 0 && !record) return disabled('unknown', `There is no plugin named ${name} in the plugin folders.`);
      return disabled('not-installed', `${name} is ${this.stateOf(name)}; install it first.`);
    }
    switch (record.state) {
      case 'ENABLED':
        break;
      case 'ERROR': {
        const last = record.health.lastError;
        const why = last ? ` after ${record.health.consecutiveFailures} consecutive failures (last: error[${last.kind}]: ${last.message}${last.detail ? ` ${last.detail}` : ''})` : '';
        return disabled('error-state', `${name} was switched off${why}; re-enable it once it is fixed.`);
      }
      default:
        return disabled('not-enabled', `${name} is ${record.state}; enable it first.`);
    }
    if (candidates.length === 0) return invalid(`${name} is no longer in the plugin folders (it was installed from ${record.dir}).`);
    const [candidate, ...others] = candidates;
    if (candidate === undefined || others.length > 0 || candidate.problems.length > 0) {
      return invalid(`${name}: ${candidates.flatMap((c) => c.problems).join('; ')}`);
    }
    const fresh = this.loadFolder(candidate.dir);
    if (!fresh.ok) return invalid(`${name}: ${fresh.problems.join('; ')}`);
    this.verified.set(name, fresh.value.fingerprint);
    const diff = reapprovalDiff(record.grant, fresh.value);
    if (diff !== undefined) {
      return { ok: false, reason: 'needs-reapproval', needsReapproval: diff, failure: makeFailure('plugin-disabled', `${describeReapproval(diff)}; approve it again to run it.`) };
    }
    return { ok: true, plugin: fresh.value };
  }

  /**
   * The host's per-call permission check (PluginHost's GrantCheck). Fail-closed: an always-granted
   * permission ('log') is allowed; anything else needs an ENABLED plugin, a grant that holds it, and files
   * that prepareRun last found identical to what was approved. Any exception is a denial.
   */
  isGranted(plugin: string, permission: PermissionId): boolean {
    try {
      if (grantAllows(undefined, permission)) return true;
      if (this.corrupt.has(plugin)) return false;
      const record = this.records.get(plugin);
      if (!record || record.state !== 'ENABLED' || !record.grant) return false;
      if (this.verified.get(plugin) !== record.grant.fingerprint) return false;
      return grantAllows(record.grant, permission);
    } catch {
      return false;
    }
  }

  // ---- the crash policy ----------------------------------------------------------------------------------

  /** Feeds one outcome (from PluginHost.onOutcome) to the crash policy and the health figures. */
  recordOutcome(name: string, outcome: OutcomeLike): Promise<OutcomeRecorded> {
    return this.serial(async (): Promise<OutcomeRecorded> => {
      const corruptProblem = this.corrupt.get(name);
      if (corruptProblem !== undefined) return { ok: false, error: errors.corruptRecord(name, corruptProblem, 'record') };
      const record = this.records.get(name);
      if (!record || !isInstalledState(record.state)) return { ok: false, error: errors.notInstalled(name, this.stateOf(name), 'record') };
      const now = this.clock();
      const verdict = applyOutcome(record.health, outcome, { threshold: this.limits.failureThreshold, now, enabled: record.state === 'ENABLED' });
      let next: PluginRecord = { ...record, health: verdict.health, updatedAt: now };
      let event: TransitionEvent | undefined;
      if (verdict.switchOff) {
        const t = transition(name, record.state, 'fail');
        if (t.ok) {
          next = { ...next, state: t.to };
          event = { plugin: name, action: 'fail', from: t.from, to: t.to, reason: verdict.switchOff.reason, time: now, lastError: verdict.switchOff.lastError };
        }
      }
      const written = await this.write(name, next, 'record', record.state);
      if (!written.ok) return written;
      const health = viewHealth(next.health);
      this.emit({ type: 'health', plugin: name, health, time: now });
      if (event) this.emit({ type: 'transition', event });
      return { ok: true, state: next.state, health, ...(event ? { switchedOff: event } : {}) };
    });
  }

  // ---- events ----------------------------------------------------------------------------------------

  /** Transition, health, grant and scan events. A throwing listener does not affect the registry. */
  onDidChange(listener: (change: RegistryChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  private emit(change: RegistryChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch {
        // Observers (tree view, log) must not be able to undo or block a committed change.
      }
    }
  }

  // ---- internals -------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async personTransition(name: string, action: 'enable' | 'disable' | 'reenable' | 'uninstall'): Promise<RegistryResult> {
    const from = this.stateOf(name);
    const corruptProblem = this.corrupt.get(name);
    if (corruptProblem !== undefined && action !== 'uninstall') return { ok: false, error: errors.corruptRecord(name, corruptProblem, action) };
    const t = transition(name, from, action);
    if (!t.ok) return { ok: false, error: errors.refused(t.error) };
    const record = this.records.get(name);
    const now = this.clock();
    let next: PluginRecord;
    if (record === undefined) {
      // Only reachable for a corrupt record being uninstalled: write a clean UNINSTALLED one in its place.
      const c = this.lastScan?.candidates.find((x) => x.name === name);
      next = { v: RECORD_VERSION, name, state: t.to, dir: c?.dir ?? '', version: c?.plugin?.manifest.version ?? '', health: emptyHealth(), updatedAt: now };
    } else if (action === 'uninstall') {
      const { grant: _removed, ...rest } = record;
      next = { ...rest, state: t.to, updatedAt: now };
    } else if (action === 'reenable') {
      next = { ...record, state: t.to, health: { ...record.health, consecutiveFailures: 0 }, updatedAt: now };
    } else {
      next = { ...record, state: t.to, updatedAt: now };
    }
    return this.commitTransition(name, action, from, next, PERSON_REASONS[action]);
  }

  private async commitTransition(name: string, action: LifecycleAction, from: PluginState, next: PluginRecord, reason: string): Promise<RegistryResult> {
    const written = await this.write(name, next, action, from);
    if (!written.ok) return written;
    if (action === 'uninstall') this.verified.delete(name);
    const event: TransitionEvent = { plugin: name, action, from, to: next.state, reason, time: next.updatedAt };
    this.emit({ type: 'transition', event });
    return { ok: true, state: next.state, event };
  }

  /** Persists first and only then changes memory: a failed write leaves everything as it was. */
  private async write(name: string, next: PluginRecord, action: LifecycleAction | 'revoke' | 'reapprove' | 'record', stays: PluginState): Promise<{ ok: true } | { ok: false; error: RegistryError }> {
    try {
      await this.store.update(recordKey(name), next);
    } catch (e) {
      return { ok: false, error: errors.storeWriteFailed(name, action, stays, e) };
    }
    this.records.set(name, next);
    this.corrupt.delete(name);
    return { ok: true };
  }

  /** The single usable candidate of that name, read afresh from disk (never from the scan cache). */
  private freshCandidate(name: string): Review {
    const candidates = this.scan().candidates.filter((c) => c.name === name);
    if (candidates.length === 0) return { ok: false, error: errors.unknownPlugin(name, this.folders) };
    const [candidate, ...others] = candidates;
    if (candidate === undefined || others.length > 0 || !isUsable(candidate)) {
      return { ok: false, error: errors.notInstallable(name, candidates.flatMap((c) => c.problems)) };
    }
    const fresh = this.loadFolder(candidate.dir);
    if (!fresh.ok) return { ok: false, error: errors.notInstallable(name, fresh.problems) };
    return { ok: true, plugin: fresh.value };
  }

  /** The person's decision, checked against the files they reviewed, turned into a grant. */
  private checkDecision(name: string, action: 'install' | 'reapprove', decision: InstallDecision, plugin: LoadedPlugin): { ok: true; grant: Grant } | { ok: false; error: RegistryError } {
    if (!decision.approve) return { ok: false, error: errors.approvalDenied(name, action) };
    if (decision.fingerprint !== undefined && decision.fingerprint !== plugin.fingerprint) {
      return { ok: false, error: errors.changedDuringReview(name, action) };
    }
    const granted = makeGrant(plugin, decision.permissions, this.clock());
    if (!granted.ok) return { ok: false, error: errors.invalidDecision(name, granted.problem, action) };
    return { ok: true, grant: granted.grant };
  }
}
