import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createReplicatedMap } from "@converge/core";
import { rulesFromManifest } from "@converge/rules";
import { connect, openDocument } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../bin/converge.js", import.meta.url));

interface Running {
  readonly child: ChildProcess;
  readonly url: Promise<string>;
  readonly exit: Promise<number | null>;
  readonly output: () => string;
}

function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [bin, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m !== null) resolve(m[1] as string);
    });
    child.on("exit", () => reject(new Error(`exited before listening:\n${out}\n${err}`)));
  });
  child.stderr?.on("data", (b: Buffer) => {
    err += b.toString();
  });
  url.catch(() => {});
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, url, exit, output: () => `${out}${err}` };
}

describe("converge serve", () => {
  it("serves a document to two clients and stops cleanly on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "converge-serve-"));
    const rules = join(dir, "rules.json");
    writeFileSync(
      rules,
      JSON.stringify({ default: { resolver: "lww" }, keys: { "n:*": { resolver: "pncounter" } } }),
    );
    const server = start(["--port", "0", "--rules", rules, "--token", "t0ken"]);
    try {
      const url = await server.url;
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/sync$/);
      const dial = webSocketDialer(url);
      const a = await openDocument({
        document: "shop",
        dial,
        credentials: "t0ken",
        rules: rulesFromManifest,
      });
      const b = await openDocument({
        document: "shop",
        dial,
        credentials: "t0ken",
        rules: rulesFromManifest,
      });
      a.map.increment("n:apples", 3);
      a.map.set("title", "corner shop");
      const deadline = Date.now() + 10_000;
      while ((b.map.get("n:apples") !== 3 || b.map.get("title") !== "corner shop") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(b.map.get("n:apples")).toBe(3);
      expect(b.map.get("title")).toBe("corner shop");

      // A wrong token is refused.
      const errors: string[] = [];
      const intruder = connect(createReplicatedMap({ resolvers: rulesFromManifest(await manifestOf(a)) }), {
        document: "shop",
        dial,
        credentials: "wrong",
        backoff: { initialMs: 60_000, maxMs: 60_000 },
      });
      intruder.on("error", (e) => errors.push(e.code));
      while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(errors[0]).toBe("UNAUTHORIZED");
      await intruder.close();

      const health = await fetch(url.replace("ws://", "http://").replace("/sync", "/healthz"));
      expect(((await health.json()) as { connections: number }).connections).toBe(2);
      server.child.kill("SIGTERM");
      expect(await server.exit).toBe(0);
      expect(server.output()).toContain("converge serve: SIGTERM, closing");
      expect(server.output()).toContain("converge serve: closed");
      await a.close();
      await b.close();
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 60_000);

  it("exits 64 on a usage error and 2 on rules it cannot load, without listening", async () => {
    const usage = start(["--port", "seventy"]);
    expect(await usage.exit).toBe(64);
    expect(usage.output()).toContain("usage: converge serve");
    const dir = mkdtempSync(join(tmpdir(), "converge-serve-"));
    const bad = join(dir, "rules.json");
    writeFileSync(bad, JSON.stringify({ default: { resolver: "nope" } }));
    const rules = start(["--port", "0", "--rules", bad]);
    expect(await rules.exit).toBe(2);
    expect(rules.output()).toContain("unknown resolver");
    expect(rules.output()).not.toContain("listening");
    const help = start(["--help"]);
    expect(await help.exit).toBe(0);
    expect(help.output()).toContain("--token T");
  }, 30_000);

  it("exits 69 when the port is taken", async () => {
    const first = start(["--port", "0"]);
    try {
      const port = new URL((await first.url).replace("ws://", "http://")).port;
      const second = start(["--port", port]);
      expect(await second.exit).toBe(69);
      expect(second.output()).toContain("cannot listen");
    } finally {
      first.child.kill("SIGTERM");
      expect(await first.exit).toBe(0);
    }
  }, 30_000);
});

/** The manifest a session was built from, rebuilt from its map's document (same rules). */
async function manifestOf(session: {
  map: { fingerprint: string };
}): Promise<import("@converge/sync").RulesManifest> {
  const { manifestFor } = await import("@converge/rules");
  const manifest = manifestFor({ default: { resolver: "lww" }, keys: { "n:*": { resolver: "pncounter" } } });
  expect(manifest.fingerprint).toBe(session.map.fingerprint);
  return manifest;
}
