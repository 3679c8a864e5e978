import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReplicatedMap } from "@converge/core";
import { rulesFromManifest } from "@converge/rules";
import { connect, openDocument, type SyncSession } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";

/** What the system demo found, for tests. */
export interface SystemDemoOutcome {
  readonly converged: boolean;
  /** Writes the server acknowledged before it was killed that it no longer had after the restart. */
  readonly lostAcknowledged: number;
  readonly acknowledgedBeforeKill: number;
  readonly stock: unknown;
}

const bin = fileURLToPath(new URL("../packages/cli/bin/converge.js", import.meta.url));

/** Starts `converge serve` as its own process (not through the launcher, so SIGKILL hits it). */
function serve(args: readonly string[]): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ["--no-node-snapshot", "--conditions=@converge/source", bin, "serve", ...args],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CONVERGE_CLI_CHILD: "1" } },
    );
    let out = "";
    const guard = setTimeout(() => reject(new Error(`converge serve did not start: ${out}`)), 20_000);
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(guard);
        resolve({ proc, url: m[1] as string });
      }
    });
    proc.on("exit", (code) => reject(new Error(`converge serve exited (${code}): ${out}`)));
  });
}

const killed = (proc: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once("exit", () => resolve());
    proc.kill("SIGKILL");
  });

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/**
 * The whole system on localhost: `converge serve --data DIR` in its own process and three
 * replicas (till, web, phone) over WebSocket. The phone goes offline and edits; the till and the
 * web keep writing while the server is killed with SIGKILL and restarted on the same data
 * directory; everyone converges, and every write the server acknowledged before the kill is
 * still there — checked against each replica's log of acknowledged writes.
 */
export async function runSystemDemo(log: (line: string) => void): Promise<SystemDemoOutcome> {
  const dir = mkdtempSync(join(tmpdir(), "converge-demo-"));
  const rulesFile = join(dir, "rules.json");
  writeFileSync(
    rulesFile,
    JSON.stringify({ default: { resolver: "lww" }, keys: { "stock:*": { resolver: "pncounter" } } }),
  );
  const data = join(dir, "data");
  let server = await serve(["--port", "0", "--data", data, "--rules", rulesFile]);
  const port = new URL(server.url).port;
  log(`converge serve --data ${data}: ${server.url}`);
  const dial = webSocketDialer(server.url, { connectTimeoutMs: 3000 });
  const backoff = { initialMs: 50, maxMs: 400 };
  const sessions: SyncSession[] = [];
  /** Per replica: key → the sequence number that wrote it, and keys the server acknowledged. */
  const ledger = new Map<ReplicatedMap, { written: Map<string, number>; acked: Set<string> }>();
  const track = (s: SyncSession): SyncSession => {
    const book = ledger.get(s.map) ?? { written: new Map<string, number>(), acked: new Set<string>() };
    ledger.set(s.map, book);
    s.on("ack", (v) => {
      for (const [k, seq] of book.written) if (seq <= v.get(s.map.id)) book.acked.add(k);
    });
    sessions.push(s);
    return s;
  };
  const write = (m: ReplicatedMap, key: string, value: unknown): void => {
    m.set(key, value);
    ledger.get(m)?.written.set(key, m.versionVector().get(m.id));
  };
  try {
    const till = track(await openDocument({ document: "shop", dial, rules: rulesFromManifest, backoff }));
    const web = track(await openDocument({ document: "shop", dial, rules: rulesFromManifest, backoff }));
    let phone = track(await openDocument({ document: "shop", dial, rules: rulesFromManifest, backoff }));
    log("till, web and phone joined document shop, rules from the server's manifest");
    till.map.increment("stock:apple", 20);
    write(till.map, "price:apple", 120);
    await until(() => phone.map.get("stock:apple") === 20, 10_000, "the first sync");
    log("till stocked 20 apples at 120; the phone reads them");

    await phone.close();
    phone.map.decrement("stock:apple", 2);
    write(phone.map, "note:phone", "sold 2 at the market");
    log("phone went offline, sold 2 apples and left a note");

    for (let i = 0; i < 40; i++) {
      write(till.map, `sale:till:${i}`, i);
      write(web.map, `sale:web:${i}`, i);
      if (i === 25) web.map.increment("stock:apple", 5);
      await new Promise((r) => setTimeout(r, 3));
    }
    const acknowledgedBeforeKill = [...ledger.values()].flatMap((b) => [...b.acked]);
    await killed(server.proc);
    log(`server killed with SIGKILL after acknowledging ${acknowledgedBeforeKill.length} writes`);
    for (let i = 40; i < 50; i++) write(till.map, `sale:till:${i}`, i); // written while it is down
    server = await serve(["--port", port, "--data", data, "--rules", rulesFile]);
    log("server restarted on the same data directory");

    phone = track(connect(phone.map, { document: "shop", dial, backoff }));
    log("phone is back online");
    await Promise.all(sessions.filter((s) => s.status() !== "closed").map((s) => s.whenSynced()));
    await until(
      () => sessions.every((s) => s.status() === "closed" || s.outboxSize() === 0),
      15_000,
      "outboxes",
    );
    const reader = track(await openDocument({ document: "shop", dial, rules: rulesFromManifest, backoff }));
    const maps = [till.map, web.map, phone.map, reader.map];
    await until(
      () => maps.every((m) => hex(m.encodeState()) === hex(till.map.encodeState())),
      15_000,
      "convergence",
    );
    const lost = acknowledgedBeforeKill.filter((k) => !reader.map.has(k));
    const made = [...ledger.values()].flatMap((b) => [...b.written.keys()]);
    const missing = made.filter((k) => !reader.map.has(k));
    const stock = reader.map.get("stock:apple");
    log(`everyone reads stock:apple=${JSON.stringify(stock)} (20 - 2 + 5), ${reader.map.size} keys`);
    log(
      `acknowledged writes lost by the SIGKILL: ${lost.length} of ${acknowledgedBeforeKill.length}; writes missing: ${missing.length} of ${made.length}`,
    );
    const converged = stock === 23 && missing.length === 0;
    log(`all replicas and the restarted server converged: ${converged ? "yes" : "no"}`);
    return {
      converged,
      lostAcknowledged: lost.length,
      acknowledgedBeforeKill: acknowledgedBeforeKill.length,
      stock,
    };
  } finally {
    for (const s of sessions) await s.close();
    await killed(server.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}
