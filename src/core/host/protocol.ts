// The messages between the extension host, the sandbox process and a plugin's worker: one discriminated
// union per direction, a zod schema per message. Everything arriving at the host is parsed with these.
import { z } from 'zod';
import { MAX_PLUGIN_NAME_CHARS, PLUGIN_NAME_RE } from '../pluginName';

/** A requestId is issued by the host only, one per invocation. */
export const RequestId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** A callId numbers the plugin API calls within one invocation (issued by the realm). */
export const CallId = z.number().int().nonnegative().max(1_000_000);
const PluginName = z.string().regex(PLUGIN_NAME_RE).max(MAX_PLUGIN_NAME_CHARS);
const Generation = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
const JsonValue: z.ZodType<Json> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
);

// ---- host → worker (DESIGN.md "Message protocol") ----

/** host → worker: run a hook on an input. */
export const InvokeMessage = z.object({
  type: z.literal('invoke'),
  hook: z.literal('transform'),
  input: z.object({ text: z.string(), languageId: z.string(), fileName: z.string() }).strict(),
  requestId: RequestId,
}).strict();

/** host → worker: the answer to an `api` call. Exactly one of result/error. */
export const ApiResponseMessage = z.object({
  type: z.literal('api_response'),
  requestId: RequestId,
  callId: CallId,
  result: JsonValue.optional(),
  error: z.string().optional(),
}).strict();

/** host → worker: an `api` call was refused; the plugin's promise rejects. */
export const ApiDeniedMessage = z.object({
  type: z.literal('api_denied'),
  requestId: RequestId,
  callId: CallId,
  permission: z.string().max(64),
}).strict();

export const HostToWorker = z.discriminatedUnion('type', [InvokeMessage, ApiResponseMessage, ApiDeniedMessage]);
export type HostToWorker = z.infer<typeof HostToWorker>;

// ---- worker → host ----

/**
 * worker → host: the hook's answer. `output` is a string, `{ text }`, or the realm's own description of an
 * unusable answer (`{ invalid }`, `{ tooLarge }`): the host decides which failure that is.
 */
export const ResultMessage = z.object({
  type: z.literal('result'),
  requestId: RequestId,
  output: z.union([
    z.string(),
    z.object({ text: z.string() }).strict(),
    z.object({ invalid: z.string().max(500) }).strict(),
    z.object({ tooLarge: z.number().nonnegative() }).strict(),
  ]),
}).strict();

/** worker → host: the hook threw or rejected. `stack` is empty: stacks are off in the realm (see realm). */
export const ErrorMessage = z.object({
  type: z.literal('error'),
  requestId: RequestId,
  message: z.string().max(4096),
  stack: z.string().max(4096),
}).strict();

/** worker → host: a plugin API call (`log`, `storage.get`, …). Unknown methods are denied, not trusted. */
export const ApiMessage = z.object({
  type: z.literal('api'),
  requestId: RequestId,
  callId: CallId,
  method: z.string().max(64),
  args: z.array(JsonValue).max(4),
}).strict();

export const WorkerToHost = z.discriminatedUnion('type', [ResultMessage, ErrorMessage, ApiMessage]);
export type WorkerToHost = z.infer<typeof WorkerToHost>;

// ---- extension host → sandbox process (supervision + envelopes) ----

export const SandboxLimits = z.object({
  maxHeapMb: z.number().int().positive(),
  maxOffHeapMb: z.number().int().positive(),
  maxOutputBytes: z.number().int().positive(),
  sandboxOffHeapBudgetMb: z.number().int().positive(),
  sandboxRssBudgetMb: z.number().int().positive(),
}).strict();
export type SandboxLimits = z.infer<typeof SandboxLimits>;

export const ToSandbox = z.discriminatedUnion('kind', [
  /** Start (or replace) the plugin's worker at this generation with this exact source. */
  z.object({ kind: z.literal('load'), plugin: PluginName, generation: Generation, source: z.string(), filename: z.string().max(1024), limits: SandboxLimits }).strict(),
  /** An envelope for a host → worker message. */
  z.object({ kind: z.literal('worker'), plugin: PluginName, generation: Generation, message: HostToWorker }).strict(),
  /** Terminate the plugin's worker (time limit, violation, reaping, unload). */
  z.object({ kind: z.literal('terminate'), plugin: PluginName, generation: Generation, reason: z.string().max(200) }).strict(),
  z.object({ kind: z.literal('shutdown') }).strict(),
]);
export type ToSandbox = z.infer<typeof ToSandbox>;

// ---- sandbox process → extension host ----

export const WorkerExitReason = z.enum(['memory', 'crashed', 'terminated']);

export const FromSandbox = z.discriminatedUnion('kind', [
  /** The sandbox process is up; whether Node's permission model confines it. */
  z.object({ kind: z.literal('ready'), pid: z.number().int(), permissionModel: z.boolean(), node: z.string().max(64) }).strict(),
  /** The plugin's worker is up and takes invocations. */
  z.object({ kind: z.literal('loaded'), plugin: PluginName, generation: Generation }).strict(),
  /** An envelope for one worker → host message. */
  z.object({ kind: z.literal('worker'), plugin: PluginName, generation: Generation, message: z.unknown() }).strict(),
  /** A limit enforced inside the sandbox (realm caps, output size, watchdog) ended the current invocation. */
  z.object({
    kind: z.literal('limit'),
    plugin: PluginName,
    generation: Generation,
    requestId: RequestId.nullable(),
    limit: z.enum(['memory', 'output-too-large', 'protocol-violation']),
    detail: z.string().max(1000),
  }).strict(),
  /** What the invocation that just ended used; sent after its last message. Informational only. */
  z.object({
    kind: z.literal('usage'),
    plugin: PluginName,
    generation: Generation,
    requestId: RequestId,
    heapUsedBytes: z.number().nonnegative(),
    offHeapBytes: z.number().nonnegative(),
  }).strict(),
  /** The plugin's worker ended; `terminated` is the answer to our own `terminate`. */
  z.object({ kind: z.literal('worker-exit'), plugin: PluginName, generation: Generation, reason: WorkerExitReason, detail: z.string().max(1000) }).strict(),
]);
export type FromSandbox = z.infer<typeof FromSandbox>;
