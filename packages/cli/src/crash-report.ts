/** `crashReport`: the report of a run whose verifying process was killed while the script ran. */
import { createHash } from "node:crypto";
import { scriptId } from "@converge/script";
import type { EngineName } from "./engine.ts";
import { LAW_NAMES, type SandboxRefusal, type VerifyReport } from "./verify-report.ts";

/** The report of a run whose verifying process was killed while the script ran. */
export function crashReport(
  name: string,
  source: string,
  how: string,
  engineName: EngineName,
  seed: number,
  law?: string,
): VerifyReport {
  const hash = createHashHex(source);
  const sandbox: SandboxRefusal = {
    code: "SCRIPT_CRASHED",
    message: `the sandbox did not contain the script: the verifying process was killed (${how})`,
    ...(law === undefined ? {} : { law }),
  };
  return {
    script: name,
    id: scriptId(hash),
    seed,
    engine: { name: engineName },
    verdict: "sandbox",
    ok: false,
    laws: [],
    skipped: law === undefined ? [...LAW_NAMES] : LAW_NAMES.slice(Math.max(0, LAW_NAMES.indexOf(law))),
    sandbox,
    crash: true,
    warnings: [],
  };
}

function createHashHex(source: string): string {
  return createHash("sha256").update(source).digest("hex");
}
