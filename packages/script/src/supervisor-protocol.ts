import type { MessagePort } from "node:worker_threads";
import type { ScriptEngineName, ScriptLimits, ScriptShape } from "./types.ts";

/** What the host asks the supervised engine (through the relay worker, to the child process). */
export type Request =
  | { readonly id: number; readonly op: "load"; readonly source: string; readonly bound: number }
  | {
      readonly id: number;
      readonly op: "run";
      readonly hash: string;
      readonly kind: "resolve" | "merge";
      /** JSON text of the lists, or the lists packed as numbers. */
      readonly json?: string;
      readonly lengths?: Uint32Array;
      readonly data?: Float64Array;
      readonly bound: number;
    };

/** Rows other than plain numbers: `[index, 0, value]` or `[index, 1, code, message]`. */
export type Reply =
  | {
      readonly id: number;
      readonly op: "load";
      readonly hash: string;
      readonly shape: ScriptShape;
      readonly engineTag: string;
    }
  | {
      readonly id: number;
      readonly op: "run";
      readonly nums: Float64Array;
      readonly extra: string;
      readonly ms: number;
      readonly fuel: number;
    }
  | { readonly id: number; readonly op: "error"; readonly code: string; readonly message: string }
  | { readonly id: number; readonly op: "crashed"; readonly why: "exit" | "hung"; readonly detail: string };

/** What the relay worker is started with. */
export interface RelayData {
  readonly ctrl: Int32Array;
  readonly port: MessagePort;
  readonly child: string;
  readonly execArgv: readonly string[];
  readonly engine: ScriptEngineName;
  readonly limits: ScriptLimits;
}
