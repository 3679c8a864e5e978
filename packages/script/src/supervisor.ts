import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { numericBatch } from "./batch-input.ts";
import { ScriptError, type ScriptErrorCode } from "./errors.ts";
import type { RelayData, Reply, Request } from "./supervisor-protocol.ts";
import {
  DEFAULT_LIMITS,
  deepFreeze,
  failure,
  type JsonValue,
  type Row,
  type RunStats,
  type ScriptEngine,
  type ScriptEngineName,
  type ScriptHandle,
  type ScriptLimits,
  type ScriptResult,
} from "./types.ts";

/** Time a child process gets to start and load a script, ms. */
const LOAD_BOUND_MS = 10_000;
/** Slack of the watchdog over a run's own budget (process start, copying), ms. */
const GRACE_MS = 2_000;
/** The host's own bound over the relay's, in case the relay itself is stuck, ms. */
const BACKSTOP_MS = 3_000;

const source = import.meta.url.endsWith(".ts");
const file = (name: string): URL => new URL(`./${name}.${source ? "ts" : "js"}`, import.meta.url);

/**
 * Runs an engine under supervision: in a child process (a fatal V8 error, such as isolated-vm's
 * "invalid size", ends only that process) owned by a relay worker thread (whose watchdog kills the
 * child past a bound). The host's calls stay synchronous: it posts the request and blocks on a
 * shared counter (`Atomics.wait`) with a deadline, then reads the answer with
 * `receiveMessageOnPort`. A crash or a hang reads as `SCRIPT_CRASHED` for the resolutions of that
 * call (a batch is then retried one resolution at a time, within the run's budget); the next call
 * starts a new child, which loads the scripts again.
 */
export function createSupervisedEngine(
  name: ScriptEngineName,
  limits: Partial<ScriptLimits> = {},
): ScriptEngine {
  const lim: ScriptLimits = { ...DEFAULT_LIMITS, ...limits };
  const ctrl = new Int32Array(new SharedArrayBuffer(4));
  let relay: { worker: Worker; port: MessagePort } | undefined;
  let seq = 0;
  const handles = new Map<string, ScriptHandle>();

  const startRelay = (): { worker: Worker; port: MessagePort } => {
    const { port1, port2 } = new MessageChannel();
    const execArgv = ["--no-node-snapshot", ...(source ? ["--conditions=@converge/source"] : [])];
    const data: RelayData = {
      ctrl,
      port: port2,
      child: file("supervisor-child").pathname,
      execArgv,
      engine: name,
      limits: lim,
    };
    const worker = new Worker(file("supervisor-relay"), {
      workerData: data,
      transferList: [port2],
      execArgv: source ? ["--conditions=@converge/source"] : [],
    });
    worker.unref();
    port1.unref();
    return { worker, port: port1 };
  };

  const stopRelay = (): void => {
    if (relay === undefined) return;
    void relay.worker.terminate();
    relay.port.close();
    relay = undefined;
  };

  /** Sends a request and blocks until its answer, or until the bound (then the relay is replaced). */
  const request = (req: Request, transfer: ArrayBuffer[] = []): Reply => {
    relay ??= startRelay();
    const r = relay;
    r.port.postMessage(req, transfer);
    const deadline = performance.now() + req.bound + BACKSTOP_MS;
    for (;;) {
      const seen = Atomics.load(ctrl, 0);
      let m = receiveMessageOnPort(r.port);
      while (m !== undefined) {
        const reply = m.message as Reply;
        if (reply.id === req.id) return reply;
        m = receiveMessageOnPort(r.port);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        stopRelay();
        return { id: req.id, op: "crashed", why: "hung", detail: "the supervisor did not answer in time" };
      }
      Atomics.wait(ctrl, 0, seen, Math.min(left, 1000));
    }
  };

  const load = (text: string): ScriptHandle => {
    if (typeof text !== "string") throw new ScriptError("SCRIPT_LOAD", "script source must be a string");
    const reply = request({ id: ++seq, op: "load", source: text, bound: LOAD_BOUND_MS });
    if (reply.op === "error") throw new ScriptError(reply.code as ScriptErrorCode, reply.message);
    if (reply.op === "crashed") {
      throw new ScriptError(
        "SCRIPT_LOAD",
        `the script failed to load: its engine process ${reply.why === "hung" ? "hung" : "crashed"}`,
      );
    }
    if (reply.op !== "load")
      throw new ScriptError("SCRIPT_LOAD", "the engine process answered another request");
    const known = handles.get(reply.hash);
    if (known !== undefined) return known;
    const { hash, shape, engineTag } = reply;
    let stats: RunStats = { engine: name, resolutions: 0, fuel: 0, maxFuel: 0, ms: 0 };

    /** One call for `lists[from, to)`; false when the engine process crashed or hung. */
    const call = (
      kind: "resolve" | "merge",
      lists: readonly (readonly JsonValue[])[],
      from: number,
      to: number,
      bound: number,
      out: (ScriptResult | undefined)[],
    ): { crashed?: string; fuel: number } => {
      const numeric = numericBatch(lists, from, to);
      const base = { id: ++seq, op: "run" as const, hash, kind, bound };
      const req: Request =
        numeric === undefined
          ? { ...base, json: JSON.stringify(lists.slice(from, to)) }
          : { ...base, lengths: numeric.lengths, data: numeric.data };
      const reply = request(
        req,
        numeric === undefined
          ? []
          : [numeric.lengths.buffer as ArrayBuffer, numeric.data.buffer as ArrayBuffer],
      );
      if (reply.op === "crashed") return { crashed: reply.detail, fuel: 0 };
      if (reply.op === "error") {
        for (let i = from; i < to; i++) out[i] = failure(reply.code as ScriptErrorCode, reply.message);
        return { fuel: 0 };
      }
      if (reply.op !== "run" || !(reply.nums instanceof Float64Array) || reply.nums.length !== to - from) {
        for (let i = from; i < to; i++)
          out[i] = failure("SCRIPT_ROW_MISMATCH", "the engine process answered another request");
        return { fuel: 0 };
      }
      const nums = reply.nums;
      if (reply.extra === "[]") {
        // Every result a number: the common case of numeric scripts, read without a lookup.
        for (let i = 0; i < nums.length; i++) out[from + i] = { ok: true, value: nums[i] as number };
        return { fuel: reply.fuel };
      }
      const special = new Set<number>();
      for (const row of JSON.parse(reply.extra) as Row[]) {
        const i = row[0];
        if (!Number.isInteger(i) || i < 0 || i >= to - from || special.has(i)) {
          for (let k = from; k < to; k++)
            out[k] = failure("SCRIPT_ROW_MISMATCH", "the engine process returned a row out of place");
          return { fuel: 0 };
        }
        special.add(i);
        out[from + i] =
          row[1] === 0 ? { ok: true, value: deepFreeze(row[2]) } : failure(row[2] as ScriptErrorCode, row[3]);
      }
      for (let i = 0; i < reply.nums.length; i++)
        if (!special.has(i)) out[from + i] = { ok: true, value: reply.nums[i] as number };
      return { fuel: reply.fuel };
    };

    const run = (kind: "resolve" | "merge", lists: readonly (readonly JsonValue[])[]): ScriptResult[] => {
      const t0 = performance.now();
      const out: (ScriptResult | undefined)[] = new Array(lists.length);
      // The run's budget, in time: the engine's own budget plus the watchdog's slack.
      const budget = lim.applyTimeoutMs + lim.timeoutMs + GRACE_MS;
      const left = (): number => budget - (performance.now() - t0);
      let fuel = 0;
      const first = call(kind, lists, 0, lists.length, budget, out);
      fuel += first.fuel;
      if (first.crashed !== undefined) {
        if (lists.length === 1) out[0] = failure("SCRIPT_CRASHED", first.crashed);
        else {
          // Find the resolution that brings the engine down: one at a time, while the budget lasts.
          for (let i = 0; i < lists.length && left() > 0; i++) {
            const one = call(
              kind,
              lists,
              i,
              i + 1,
              Math.max(1, Math.min(left(), lim.timeoutMs + GRACE_MS)),
              out,
            );
            fuel += one.fuel;
            if (one.crashed !== undefined) out[i] = failure("SCRIPT_CRASHED", one.crashed);
          }
        }
      }
      for (let i = 0; i < lists.length; i++) {
        if (out[i] === undefined) out[i] = failure("SCRIPT_APPLY_BUDGET", "the apply's budget was spent");
      }
      stats = { engine: name, resolutions: lists.length, fuel, maxFuel: 0, ms: performance.now() - t0 };
      return out as ScriptResult[];
    };
    const handle: ScriptHandle = Object.freeze({ hash, shape, engineTag, run, lastRun: () => stats });
    handles.set(hash, handle);
    return handle;
  };

  return {
    name,
    limits: lim,
    load,
    dispose: () => {
      handles.clear();
      stopRelay();
    },
  };
}
