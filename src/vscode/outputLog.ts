// The "Plugin Runtime" output channel: the core logger's entries (already sanitised, redacted and rate-limited)
// as `[plugin-name] message`, and the registry's lifecycle and grant events.
import * as vscode from 'vscode';
import type { LogEntry, LogSink } from '../core/logging';
import type { RegistryChange } from '../core/registry/registry';

export const OUTPUT_CHANNEL_NAME = 'Plugin Runtime';

export class OutputLog implements LogSink, vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  }

  /** LogSink: one entry from the core's PluginLogger. */
  write(entry: LogEntry): void {
    const line = `[${entry.plugin}] ${entry.message}`;
    switch (entry.level) {
      case 'error':
        this.channel.error(line);
        return;
      case 'warn':
        this.channel.warn(line);
        return;
      default:
        this.channel.info(line);
    }
  }

  /** A registry event, in words. Health updates are too frequent to log; the tree shows them. */
  registryChange(change: RegistryChange): void {
    switch (change.type) {
      case 'transition': {
        const e = change.event;
        const line = `[${e.plugin}] ${e.from} → ${e.to}: ${e.reason}`;
        if (e.to === 'ERROR') this.channel.error(line);
        else this.channel.info(line);
        return;
      }
      case 'grant':
        this.channel.info(`[${change.plugin}] permissions ${change.change}; granted now: ${['log', ...change.granted].join(', ')}`);
        return;
      default:
        return;
    }
  }

  info(text: string): void {
    this.channel.info(text);
  }

  warn(text: string): void {
    this.channel.warn(text);
  }

  error(text: string): void {
    this.channel.error(text);
  }

  show(): void {
    this.channel.show(false);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
