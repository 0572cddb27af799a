// A plugin worker that speaks the worker protocol badly on purpose (test/unit/protocol-abuse.test.ts).
// It stands in for dist/worker.js inside the real sandbox process. What it does is chosen by the plugin's
// source, which the protocol tests write as a single string statement naming a mode: "mode:<name>".
// A plugin whose mode is "well-behaved" is answered correctly, so a test can show the host recovered.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

const mode = (/mode:([a-z-]+)/.exec(workerData.source) || [])[1] || 'well-behaved';
/** Everything the worker sends for one invocation: the realm's outbox, as the sandbox process expects it. */
const out = (requestId, messages, finished) => parentPort.postMessage({ t: 'out', requestId, payload: JSON.stringify(messages), finished });
const result = (requestId, output) => ({ type: 'result', requestId, output });
let previous; // the requestId of the invocation before this one (for replays)

const modes = {
  unprompted(msg) {
    out(msg.requestId, [result(msg.requestId, `asked ${msg.input.text}`)], true);
  },
  'well-behaved'(msg) {
    out(msg.requestId, [result(msg.requestId, `ok:${msg.input.text}`)], true);
  },
  /** Answers with a requestId the host never issued. */
  'forged-request-id'(msg) {
    out(msg.requestId, [result(424242, 'forged')], true);
  },
  /** Answers twice: the second result is for a request that is no longer running. */
  'duplicate-result'(msg) {
    out(msg.requestId, [result(msg.requestId, `first ${msg.requestId}`), result(msg.requestId, 'second')], true);
  },
  /** Answers the first invocation properly, and every later one with the first one's result (a replay). */
  replay(msg) {
    if (previous === undefined) {
      previous = msg.requestId;
      out(msg.requestId, [result(msg.requestId, `original ${msg.requestId}`)], true);
    } else {
      out(msg.requestId, [result(previous, `replayed ${previous}`)], true);
    }
  },
  /** Answers, then keeps talking about the finished request in a later message. */
  'after-result'(msg) {
    out(msg.requestId, [result(msg.requestId, `done ${msg.requestId}`)], true);
    out(msg.requestId, [{ type: 'api', requestId: msg.requestId, callId: 0, method: 'log', args: ['after the result'] }], false);
  },
  /** A payload that is not JSON at all. */
  'non-json'(msg) {
    parentPort.postMessage({ t: 'out', requestId: msg.requestId, payload: '{"type": "result", oops', finished: true });
  },
  /** JSON, but values of the wrong types: a numeric text. */
  'wrong-types'(msg) {
    out(msg.requestId, [{ type: 'result', requestId: msg.requestId, output: { text: 5 } }], true);
  },
  /** A message type the protocol does not have. */
  'unknown-type'(msg) {
    out(msg.requestId, [{ type: 'exec', requestId: msg.requestId, command: 'rm -rf ~' }], true);
  },
  /** Extra keys on an otherwise valid result (a smuggling attempt). */
  'extra-keys'(msg) {
    out(msg.requestId, [{ type: 'result', requestId: msg.requestId, output: 'x', grant: ['write:data'] }], true);
  },
  /** An error message far over the protocol's 4096-character bound. */
  'oversize-error'(msg) {
    out(msg.requestId, [{ type: 'error', requestId: msg.requestId, message: 'e'.repeat(100_000), stack: '' }], true);
  },
  /** A result over the 1 MB output limit, straight from the worker (no realm to describe it). */
  'oversize-result'(msg) {
    out(msg.requestId, [result(msg.requestId, 'x'.repeat(3 * 1024 * 1024))], true);
  },
  /** An API call whose arguments are larger than any frame the host accepts (20 MB). */
  'oversize-api'(msg) {
    out(msg.requestId, [{ type: 'api', requestId: msg.requestId, callId: 0, method: 'log', args: ['a'.repeat(20 * 1024 * 1024)] }], false);
  },
  /** API calls the host does not know; it must deny each, and we report what came back. */
  'unknown-methods'(msg) {
    const methods = ['fs.readFile', '__proto__', 'constructor', 'storage.get ', 'STORAGE.GET', 'toString'];
    const answers = [];
    parentPort.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.requestId !== msg.requestId || m.type === 'invoke') return;
      answers.push(m);
      if (answers.length === methods.length) out(msg.requestId, [result(msg.requestId, JSON.stringify(answers))], true);
    });
    out(msg.requestId, methods.map((method, callId) => ({ type: 'api', requestId: msg.requestId, callId, method, args: ['k'] })), false);
  },
  /** The same callId twice. */
  'reused-call-id'(msg) {
    out(msg.requestId, [1, 2].map(() => ({ type: 'api', requestId: msg.requestId, callId: 7, method: 'log', args: ['again'] })), false);
  },
  /** Exits in the middle of an invocation. */
  'exit-mid-invocation'() {
    process.exit(3);
  },
  /** Starts a granted storage write and dies before the answer can come back. */
  'exit-during-api'(msg) {
    out(msg.requestId, [{ type: 'api', requestId: msg.requestId, callId: 0, method: 'storage.set', args: ['written-before-death', 'yes'] }], false);
    setImmediate(() => process.exit(4));
  },
  /** Throws out of the worker (an uncaught exception). */
  throws() {
    throw new Error('the worker broke');
  },
  /** Reports a limit for a request that is not running. */
  'stray-limit'(msg) {
    parentPort.postMessage({ t: 'limit', requestId: msg.requestId + 1000, limit: 'memory', detail: 'not me' });
  },
};

parentPort.on('message', (data) => {
  const msg = JSON.parse(data);
  if (msg.type !== 'invoke') return;
  modes[mode](msg);
});

if (mode !== 'never-ready') parentPort.postMessage({ t: 'ready' });
// Speaks before anyone asked: a result for a request the host never issued, right after starting.
if (mode === 'unprompted') parentPort.postMessage({ t: 'out', requestId: 5, payload: JSON.stringify([result(5, 'unasked')]), finished: true });
