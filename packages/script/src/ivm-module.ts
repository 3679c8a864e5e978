/** isolated-vm as this package uses it: its surface, loading the optional peer, and its failures as typed errors. */
import { createRequire } from "node:module";
import { ScriptError } from "./errors.ts";

// isolated-vm's surface as used here (its own typings are not a dependency of this package's API).
export interface IvmReference {
  applySync(
    receiver: undefined,
    args: unknown[],
    options?: { timeout?: number; arguments?: { copy: true }; result?: { copy: true } },
  ): unknown;
  release(): void;
}
export interface IvmContext {
  evalSync(code: string, options?: { timeout?: number; reference?: boolean }): unknown;
  release(): void;
}
export interface IvmScript {
  runSync(context: IvmContext, options?: { timeout?: number }): unknown;
}
export interface IvmIsolate {
  readonly isDisposed: boolean;
  createContextSync(): IvmContext;
  compileScriptSync(code: string): IvmScript;
  dispose(): void;
}
export interface Ivm {
  Isolate: new (options: { memoryLimit: number }) => IvmIsolate;
}

let cachedIvm: Ivm | undefined;
/** isolated-vm, loaded once on first use; `SCRIPT_UNAVAILABLE` when the optional peer is missing. */
export function loadIvm(): Ivm {
  if (cachedIvm !== undefined) return cachedIvm;
  try {
    cachedIvm = createRequire(import.meta.url)("isolated-vm") as Ivm;
    return cachedIvm;
  } catch (e) {
    throw new ScriptError(
      "SCRIPT_UNAVAILABLE",
      `the isolated-vm engine needs the optional peer dependency isolated-vm (7.x): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** The message of an error isolated-vm raised in the host, bounded before it is read further. */
export function hostMessage(e: unknown): string {
  try {
    return (e instanceof Error ? String(e.message) : "a failure").slice(0, 300);
  } catch {
    return "a failure";
  }
}

/** The typed error for a failure isolated-vm raised: out of memory (or a disposed isolate), timeout, or a throw. */
export function classify(e: unknown, isolate: IvmIsolate | undefined): ScriptError {
  const message = hostMessage(e);
  if (isolate === undefined || isolate.isDisposed || /memory limit/i.test(message)) {
    return new ScriptError("SCRIPT_OUT_OF_MEMORY", `the script ran out of memory (${message})`);
  }
  if (/timed out/i.test(message))
    return new ScriptError("SCRIPT_TIMEOUT", "the script ran past its time limit");
  return new ScriptError("SCRIPT_THREW", message);
}
