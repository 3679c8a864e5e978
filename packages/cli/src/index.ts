/**
 * @converge/cli — `converge verify <resolver.js>`: checks a resolver script's laws in the sandbox
 * replicas use, before it is deployed. The same check is available as {@link verifyScript}.
 *
 * @packageDocumentation
 */

export { crashReport } from "./crash-report.ts";
export { ENGINE_NAMES, type EngineName, isEngineName } from "./engine.ts";
export { junitReport, xmlText } from "./junit.ts";
export { CRASHED_ENV, EXIT, main, PROGRESS_ENV } from "./main.ts";
export { parseReplay, type Replay, replayToken } from "./replay.ts";
export { genericJson, SchemaError, schemaArbitrary, type ValueSchema } from "./schema.ts";
export { checkSyntax, ScriptSyntaxError } from "./syntax.ts";
export { verifyScript } from "./verify.ts";
export {
  isSandboxCode,
  LAW_NAMES,
  type LawVerdict,
  type SandboxRefusal,
  type Verdict,
  type VerifyOptions,
  type VerifyReport,
} from "./verify-report.ts";
