/** What `converge verify` reports: the verdict types, the law names, and what a sandbox refusal is. */
import type { JsonValue, ScriptLimits } from "@converge/script";
import type { EngineName } from "./engine.ts";
import type { Replay } from "./replay.ts";

/** The sandbox stopped the script (a limit, or a crash): the verdict of the whole run. */
export interface SandboxRefusal {
  /** The script error code, e.g. `SCRIPT_TIMEOUT`, `SCRIPT_OUT_OF_MEMORY`, `SCRIPT_CRASHED`. */
  readonly code: string;
  readonly message: string;
  /** The law being checked when it happened (absent for a crash of the verifying process). */
  readonly law?: string;
  /** The values the script was resolving. */
  readonly values?: readonly JsonValue[];
}

/** One law's verdict. */
export interface LawVerdict {
  readonly law: string;
  readonly statement: string;
  readonly ok: boolean;
  readonly runs: number;
  readonly seed: number;
  readonly path?: string;
  /** Paste after `--replay` to check exactly this counterexample again. */
  readonly replay?: string;
  readonly counterexample?: string;
  /** Set when the sandbox refused the script during this law (the run stopped there). */
  readonly sandbox?: SandboxRefusal;
  /** Fuel the engine counted during this law (engines that count fuel; not for the map laws). */
  readonly fuel?: number;
  readonly ms: number;
}

/** `pass`: every law holds; `fail`: a law fails; `sandbox`: the sandbox refused the script. */
export type Verdict = "pass" | "fail" | "sandbox";

/** What `converge verify` found. */
export interface VerifyReport {
  readonly script: string;
  readonly id: string;
  readonly seed: number;
  readonly engine: { readonly name: EngineName; readonly fuel?: number };
  readonly verdict: Verdict;
  readonly ok: boolean;
  readonly laws: readonly LawVerdict[];
  /** Laws not checked because the sandbox refused the script first. */
  readonly skipped: readonly string[];
  /** Why the sandbox refused the script, when `verdict` is `sandbox`. */
  readonly sandbox?: SandboxRefusal;
  /** True when the verifying process itself was killed (the refusal is a crash). */
  readonly crash?: boolean;
  /** What makes the verdict weaker than it looks (a `values` schema with a single value). */
  readonly warnings: readonly string[];
}

/** Options of {@link verifyScript}. */
export interface VerifyOptions {
  readonly runs?: number;
  readonly seed?: number;
  readonly limits?: Partial<ScriptLimits>;
  /** The sandbox engine; default {@link DEFAULT_ENGINE}. */
  readonly engine?: EngineName;
  /** Checks only the law and counterexample of a `--replay` token. */
  readonly replay?: Replay;
  /** Progress lines (default: none). */
  readonly progress?: (line: string) => void;
  /** Called with each law's name as its check starts. */
  readonly onLaw?: (law: string) => void;
}

/** Every law `converge verify` knows, in the order they are checked. */
export const LAW_NAMES: readonly string[] = Object.freeze([
  "terminates",
  "deterministic",
  "commutative",
  "associative",
  "idempotent",
  "fold",
  "order-insensitive",
  "batched",
  "converges",
]);

// Failures that are the script's own doing (a law failure); any other code is the sandbox
// refusing the script — a limit, or a crash the supervisor contained.
const SCRIPT_FAULTS: ReadonlySet<string> = new Set([
  "SCRIPT_THREW",
  "SCRIPT_NON_JSON",
  "SCRIPT_NONDETERMINISM",
]);

/** True for a script error code that means the sandbox refused the script. */
export function isSandboxCode(code: string): boolean {
  return code.startsWith("SCRIPT_") && !SCRIPT_FAULTS.has(code);
}
