// Errors are values: every way a plugin invocation can fail has a `kind` and one fixed message, made here.

export const ERROR_KINDS = [
  'timeout',
  'memory',
  'output-too-large',
  'invalid-output',
  'plugin-error',
  'protocol-violation',
  'permission-denied',
  'worker-crashed',
  'invalid-manifest',
  'plugin-disabled',
  'input-too-large',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** A failure as the caller sees it: a kind, the fixed message for that kind, and an optional detail. */
export interface PluginFailure {
  readonly kind: ErrorKind;
  readonly message: string;
  /** Extra context (the plugin's own error text, which limit, …). Never trusted for decisions. */
  readonly detail?: string;
}

/** The one fixed message per kind. Tests assert these exactly. */
export function failureMessage(kind: ErrorKind, limits?: { timeoutMs?: number; maxOutputBytes?: number; maxInputBytes?: number }): string {
  switch (kind) {
    case 'timeout':
      return `The plugin did not finish within ${limits?.timeoutMs ?? 200} ms and was stopped.`;
    case 'memory':
      return 'The plugin used more memory than it is allowed and was stopped.';
    case 'output-too-large':
      return `The plugin's output is larger than the ${formatBytes(limits?.maxOutputBytes ?? 1024 * 1024)} limit; nothing was applied.`;
    case 'invalid-output':
      return 'The plugin returned something other than a string or { text: string }; nothing was applied.';
    case 'plugin-error':
      return 'The plugin threw an error.';
    case 'protocol-violation':
      return 'The plugin sandbox sent a malformed or unexpected message; the plugin was stopped.';
    case 'permission-denied':
      return 'The plugin used a permission it was not granted.';
    case 'worker-crashed':
      return 'The plugin sandbox stopped unexpectedly while the plugin was running.';
    case 'invalid-manifest':
      return 'The plugin is invalid and cannot be run.';
    case 'plugin-disabled':
      return 'The plugin is not enabled.';
    case 'input-too-large':
      return `The text is larger than the ${formatBytes(limits?.maxInputBytes ?? 8 * 1024 * 1024)} a plugin may receive; nothing was run. Select a smaller part.`;
  }
}

export function makeFailure(kind: ErrorKind, detail?: string, limits?: { timeoutMs?: number; maxOutputBytes?: number; maxInputBytes?: number }): PluginFailure {
  return detail === undefined ? { kind, message: failureMessage(kind, limits) } : { kind, message: failureMessage(kind, limits), detail };
}

/** One line for terminals and notifications: `error[kind]: message (detail)`. */
export function formatFailure(f: PluginFailure): string {
  return `error[${f.kind}]: ${f.message}${f.detail ? ` ${f.detail}` : ''}`;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
