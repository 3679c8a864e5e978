import { spawn } from "node:child_process";

/**
 * Runs `node --conditions=@converge/source …args` and SIGKILLs it `afterMs` after its first output
 * (or after 20 s whatever happens). Resolves with the numbers it printed, one per whole line: a
 * child prints a number only once the write it names is acknowledged or committed, and a line cut
 * by the kill does not count. For the kill -9 tests.
 */
export function killAfterOutput(
  args: readonly string[],
  options: { readonly afterMs: number; readonly env?: Readonly<Record<string, string>> },
): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--conditions=@converge/source", ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    let first = false;
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!first) {
        first = true;
        setTimeout(() => proc.kill("SIGKILL"), options.afterMs);
      }
    });
    const guard = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    proc.on("error", reject);
    proc.on("exit", () => {
      clearTimeout(guard);
      const lines = out.split("\n");
      lines.pop();
      resolve(lines.map(Number));
    });
  });
}
