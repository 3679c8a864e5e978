/**
 * The supervised engine's child process: loads scripts into an in-process engine and runs batches
 * for the relay. A fatal error here ends only this process.
 */
import { packResults } from "./batch-input.ts";
import { ScriptError } from "./errors.ts";
import { createIsolatedVmEngine, packedRunner } from "./ivm-engine.ts";
import { createQuickJSEngine } from "./quickjs-engine.ts";
import { loadQuickJS } from "./quickjs-module.ts";
import type { Reply, Request } from "./supervisor-protocol.ts";
import type { JsonValue, ScriptEngine, ScriptEngineName, ScriptHandle, ScriptLimits } from "./types.ts";

const { engine: name, limits } = JSON.parse(process.argv[2] ?? "{}") as {
  engine: ScriptEngineName;
  limits: ScriptLimits;
};
if (name === "quickjs") await loadQuickJS();
const engine: ScriptEngine =
  name === "quickjs" ? createQuickJSEngine(limits) : createIsolatedVmEngine(limits);
const handles = new Map<string, ScriptHandle>();

const reply = (r: Reply): void => {
  process.send?.(r);
};

function unpack(req: Extract<Request, { op: "run" }>): JsonValue[][] {
  if (req.json !== undefined) return JSON.parse(req.json) as JsonValue[][];
  const lengths = req.lengths ?? new Uint32Array(0);
  const data = req.data ?? new Float64Array(0);
  const lists: number[][] = new Array(lengths.length);
  let p = 0;
  for (let i = 0; i < lengths.length; i++) {
    const n = lengths[i] as number;
    const list: number[] = new Array(n);
    for (let k = 0; k < n; k++) list[k] = data[p + k] as number;
    p += n;
    lists[i] = list;
  }
  return lists;
}

process.on("message", (req: Request) => {
  try {
    if (req.op === "load") {
      const h = engine.load(req.source);
      handles.set(h.hash, h);
      reply({ id: req.id, op: "load", hash: h.hash, shape: h.shape, engineTag: h.engineTag });
      return;
    }
    const h = handles.get(req.hash);
    if (h === undefined)
      throw new ScriptError("SCRIPT_LOAD", "the script is not loaded in the engine process");
    const packed = packedRunner(h);
    const { nums, extra } =
      packed !== undefined && req.lengths !== undefined && req.data !== undefined
        ? packed(req.kind, { lengths: req.lengths, data: req.data })
        : packResults(h.run(req.kind, unpack(req)));
    const stats = h.lastRun();
    reply({ id: req.id, op: "run", nums, extra, ms: stats.ms, fuel: stats.fuel });
  } catch (e) {
    const code = e instanceof ScriptError ? e.code : "SCRIPT_THREW";
    const message = (e instanceof Error ? e.message : String(e)).slice(0, 500);
    reply({ id: req.id, op: "error", code, message });
  }
});
