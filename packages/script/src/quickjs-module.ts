import {
  type CustomizeVariantOptions,
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { ScriptError } from "./errors.ts";

/**
 * Where QuickJS's WebAssembly comes from: a URL (or its text) to fetch it from, its bytes, or a
 * compiled `WebAssembly.Module`. Default: the `.wasm` file beside the pinned variant's module
 * (`@jitl/quickjs-wasmfile-release-sync`), found by `import.meta.url` — read from disk in Node;
 * fetched in a page (bundlers such as Vite, webpack 5 and Parcel copy it as an asset; with
 * esbuild, serve `@jitl/quickjs-wasmfile-release-sync/wasm` beside the bundle or pass it here).
 */
export interface QuickJSWasmOptions {
  readonly wasm?: string | URL | ArrayBuffer | Uint8Array | WebAssembly.Module;
}

let module: QuickJSWASMModule | undefined;

/** The variant object of the variant package's module (its default export, once or twice wrapped). */
function variantOf(imported: unknown): QuickJSSyncVariant {
  let v = imported as { readonly default?: unknown; readonly type?: unknown };
  for (let i = 0; i < 2 && v.type === undefined && typeof v.default === "object" && v.default !== null; i++)
    v = v.default as typeof v;
  return v as QuickJSSyncVariant;
}
let loading: Promise<void> | undefined;

/**
 * Instantiates QuickJS's WebAssembly once for the process or page; later calls return the same
 * promise (the first call's `wasm` wins). Engines are created synchronously afterwards. The
 * wasm is only ever the pinned build (0.32.0, release-sync): the fuel count depends on it.
 * @throws ScriptError `SCRIPT_UNAVAILABLE` (the promise rejects) when the wasm cannot be loaded;
 *   a later call tries again.
 */
export function loadQuickJS(options: QuickJSWasmOptions = {}): Promise<void> {
  if (loading !== undefined) return loading;
  const start = async (): Promise<void> => {
    const base = variantOf(await import("@jitl/quickjs-wasmfile-release-sync"));
    const { wasm } = options;
    const custom: CustomizeVariantOptions | undefined =
      wasm === undefined
        ? undefined
        : typeof wasm === "string" || wasm instanceof URL
          ? { wasmLocation: String(wasm) }
          : wasm instanceof ArrayBuffer
            ? { wasmBinary: wasm }
            : wasm instanceof Uint8Array
              ? { wasmBinary: wasm.slice().buffer }
              : { wasmModule: wasm };
    module = await newQuickJSWASMModuleFromVariant(custom === undefined ? base : newVariant(base, custom));
  };
  loading = start().catch((e: unknown) => {
    loading = undefined;
    throw new ScriptError(
      "SCRIPT_UNAVAILABLE",
      `QuickJS's WebAssembly could not be loaded: ${e instanceof Error ? e.message : String(e)}`.slice(
        0,
        500,
      ),
    );
  });
  return loading;
}

/**
 * The instantiated QuickJS module.
 * @throws ScriptError `SCRIPT_UNAVAILABLE` before {@link loadQuickJS} has finished.
 * @internal
 */
export function quickJSModule(): QuickJSWASMModule {
  if (module === undefined) {
    throw new ScriptError(
      "SCRIPT_UNAVAILABLE",
      "QuickJS is not loaded yet: await loadQuickJS() before creating a QuickJS engine",
    );
  }
  return module;
}
