/**
 * The JavaScript run inside each sandbox context (QuickJS or isolated-vm) before the user's
 * script. Kept as source text: it executes in the engine, never in the host.
 */
import { preludeApi } from "./prelude-api.ts";
import { preludeFuel } from "./prelude-fuel.ts";
import { preludeLockdown } from "./prelude-lockdown.ts";
import { preludeRows } from "./prelude-rows.ts";

/** What the prelude is built for. */
export interface PreludeOptions {
  readonly engine: "quickjs" | "isolated-vm";
  readonly maxOutputBytes: number;
  /**
   * Elements the built-ins that loop in native code without checking for interruption (array
   * and string methods) may walk per resolution; past it the resolution is out of fuel.
   */
  readonly nativeBudget: number;
}

/**
 * Removes clocks, randomness, locale-dependent and shared-memory facilities; charges native
 * loops to the resolution's fuel; defines `__converge` (set the factory, read the shape, run a
 * batch).
 */
export function prelude(options: PreludeOptions): string {
  // One function scope in four pieces, in this order: each uses names the earlier ones declare.
  // The text is what it was as one literal (test/sandbox-text.test.ts pins its hash): it runs
  // inside every resolution's fuel count.
  return (
    preludeLockdown() + preludeFuel(options.nativeBudget) + preludeRows(options.maxOutputBytes) + preludeApi()
  );
}
