import { createReplicatedMap, isConvergeError, type KeyRulesConfig } from "@converge/core";
import { gcounter, lww, maxRegister, minRegister, multiValue, pncounter } from "@converge/resolvers";
import { scriptResolver } from "@converge/script";
import type { RulesManifest } from "@converge/sync";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BUILTIN_RESOLVERS,
  type BuiltinResolverName,
  describeRules,
  documentRules,
  fingerprintOf,
  manifestFor,
  rulesFromManifest,
  sha256Of,
} from "../src/index.ts";

const MAX = "export function merge(a, b) { return Math.max(a, b); }";
const MIN = "export function merge(a, b) { return Math.min(a, b); }";

const factories: Readonly<Record<BuiltinResolverName, () => KeyRulesConfig["default"]>> = {
  lww,
  multiValue,
  maxRegister,
  minRegister,
  gcounter,
  pncounter,
};

/** The manifest as a client receives it: through JSON. */
const overTheWire = (m: RulesManifest): RulesManifest => JSON.parse(JSON.stringify(m)) as RulesManifest;

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("rules manifests", () => {
  it.each(BUILTIN_RESOLVERS)(
    "%s round-trips: same fingerprint and same reads as the hand-built rules",
    (name) => {
      const description = { default: { resolver: "lww" }, keys: { "k:*": { resolver: name } } };
      const manifest = overTheWire(manifestFor(description));
      const built = rulesFromManifest(manifest);
      const byHand: KeyRulesConfig = { default: lww(), keys: { "k:*": factories[name]() } };
      expect(manifest.fingerprint).toBe(fingerprintOf(byHand));
      expect(createReplicatedMap({ resolvers: built }).fingerprint).toBe(manifest.fingerprint);
      // A replica on the hand-built rules and one on the manifest's merge each other's states.
      const a = createReplicatedMap({ resolvers: byHand });
      const b = createReplicatedMap({ resolvers: built });
      const counter = name === "gcounter" || name === "pncounter";
      if (counter) a.increment("k:1", 5);
      else a.set("k:1", 7);
      a.set("other", "x");
      b.applyState(a.encodeState());
      expect(b.get("k:1")).toEqual(a.get("k:1"));
      expect(b.get("other")).toBe("x");
      expect(b.encodeState()).toEqual(a.encodeState());
    },
  );

  it("random descriptions of built-ins give the fingerprint of the same rules built by hand", () => {
    const name = fc.constantFrom(...BUILTIN_RESOLVERS);
    const pattern = fc
      .tuple(fc.stringMatching(/^[a-z:]{0,6}$/), fc.boolean())
      .map(([p, star]) => (star ? `${p}*` : p));
    fc.assert(
      fc.property(name, fc.dictionary(pattern, name, { maxKeys: 6 }), (fallback, keys) => {
        const description = {
          default: { resolver: fallback },
          keys: Object.fromEntries(Object.entries(keys).map(([p, n]) => [p, { resolver: n }])),
        };
        const manifest = overTheWire(manifestFor(description));
        // One instance per resolver name, as core requires of rules that reuse a resolver.
        const made = new Map<string, KeyRulesConfig["default"]>();
        const one = (n: BuiltinResolverName) => {
          const known = made.get(n);
          if (known !== undefined) return known;
          const r = factories[n]();
          made.set(n, r);
          return r;
        };
        const byHand: KeyRulesConfig = {
          default: one(fallback),
          keys: Object.fromEntries(Object.entries(keys).map(([p, n]) => [p, one(n)])),
        };
        expect(manifest.fingerprint).toBe(fingerprintOf(byHand));
        expect(fingerprintOf(rulesFromManifest(manifest))).toBe(manifest.fingerprint);
      }),
    );
  });

  it("a script rule: the manifest carries the source by hash; client and server rules share a fingerprint", () => {
    const sha = sha256Of(MAX);
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    const description = {
      default: { resolver: "lww" },
      keys: {
        "stock:*": { resolver: "pncounter" },
        "best:*": { resolver: "script", sha256: sha },
        "top:*": { resolver: "script", sha256: sha },
      },
    };
    const { rules, manifest } = documentRules(description, [MIN, MAX]);
    // Only the scripts the rules name travel.
    expect(Object.keys(manifest.scripts)).toEqual([sha]);
    const client = rulesFromManifest(overTheWire(manifest));
    expect(fingerprintOf(client)).toBe(manifest.fingerprint);
    expect(fingerprintOf(rules)).toBe(manifest.fingerprint);
    // The same as a hand-built script resolver under the same patterns.
    const script = scriptResolver({ source: MAX });
    expect(manifest.fingerprint).toBe(
      fingerprintOf({ default: lww(), keys: { "stock:*": pncounter(), "best:*": script, "top:*": script } }),
    );
    // And it resolves as the script says.
    const a = createReplicatedMap({ resolvers: rules });
    const b = createReplicatedMap({ resolvers: client });
    a.set("best:x", 3);
    b.set("best:x", 9);
    a.applyState(b.encodeState());
    b.applyState(a.encodeState());
    expect(a.get("best:x")).toBe(9);
    expect(b.encodeState()).toEqual(a.encodeState());
  });

  it("script limits are part of the fingerprint", () => {
    const sha = sha256Of(MAX);
    const plain = manifestFor({ default: { resolver: "script", sha256: sha } }, [MAX]);
    const lowFuel = manifestFor({ default: { resolver: "script", sha256: sha, limits: { fuel: 500 } } }, [
      MAX,
    ]);
    expect(lowFuel.fingerprint).not.toBe(plain.fingerprint);
    expect(fingerprintOf(rulesFromManifest(overTheWire(lowFuel)))).toBe(lowFuel.fingerprint);
  });

  it("refuses a tampered script with RULES_SCRIPT_HASH, and a missing one with RULES_SCRIPT_MISSING", () => {
    const sha = sha256Of(MAX);
    const manifest = manifestFor({ default: { resolver: "script", sha256: sha } }, [MAX]);
    const tampered: RulesManifest = { ...manifest, scripts: { [sha]: MIN } };
    const e = caught(() => rulesFromManifest(tampered));
    expect(isConvergeError(e, "RULES_SCRIPT_HASH")).toBe(true);
    if (isConvergeError(e, "RULES_SCRIPT_HASH")) expect(e.sha256).toBe(sha);
    expect(
      isConvergeError(
        caught(() => rulesFromManifest({ ...manifest, scripts: {} })),
        "RULES_SCRIPT_MISSING",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => manifestFor({ default: { resolver: "script", sha256: sha } }, [MIN])),
        "RULES_SCRIPT_MISSING",
      ),
    ).toBe(true);
  });

  it("refuses a manifest whose fingerprint is not what its rules build to, naming both", () => {
    const manifest = manifestFor({ default: { resolver: "lww" } });
    const e = caught(() => rulesFromManifest({ ...manifest, fingerprint: "0123456789abcdef" }));
    expect(isConvergeError(e, "CONFIG_MISMATCH")).toBe(true);
    if (isConvergeError(e, "CONFIG_MISMATCH")) {
      expect(e.expected).toBe("0123456789abcdef");
      expect(e.received).toBe(manifest.fingerprint);
    }
  });

  it.each([
    ["not an object", 3],
    ["no default", { keys: {} }],
    ["an unknown field", { default: { resolver: "lww" }, extra: 1 }],
    ["an unknown resolver", { default: { resolver: "lwww" } }],
    ["a factory name that is not a resolver", { default: { resolver: "toString" } }],
    ["options on a built-in", { default: { resolver: "lww", options: { x: 1 } } }],
    ["a script without sha256", { default: { resolver: "script" } }],
    ["an upper-case sha256", { default: { resolver: "script", sha256: "A".repeat(64) } }],
    ["an unknown engine", { default: { resolver: "script", sha256: "a".repeat(64), engine: "v8" } }],
    ["an unknown limit", { default: { resolver: "script", sha256: "a".repeat(64), limits: { speed: 1 } } }],
    ["a negative limit", { default: { resolver: "script", sha256: "a".repeat(64), limits: { fuel: -1 } } }],
    ["a star inside a pattern", { default: { resolver: "lww" }, keys: { "a*b": { resolver: "lww" } } }],
    ["keys that are not an object", { default: { resolver: "lww" }, keys: [1] }],
  ])("refuses %s with INVALID_CONFIG", (_what, input) => {
    expect(
      isConvergeError(
        caught(() => describeRules(input)),
        "INVALID_CONFIG",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => manifestFor(input)),
        "INVALID_CONFIG",
      ),
    ).toBe(true);
  });

  it("refuses malformed manifests with INVALID_CONFIG", () => {
    const good = manifestFor({ default: { resolver: "lww" } });
    for (const bad of [
      null,
      { ...good, fingerprint: 1 },
      { ...good, scripts: null },
      { ...good, rules: "lww" },
    ]) {
      expect(
        isConvergeError(
          caught(() => rulesFromManifest(bad as RulesManifest)),
          "INVALID_CONFIG",
        ),
      ).toBe(true);
    }
  });

  it("describeRules normalizes: patterns sorted, frozen, and describing twice changes nothing", () => {
    const d = describeRules({
      default: { resolver: "lww" },
      keys: { "b*": { resolver: "gcounter" }, a: { resolver: "pncounter" } },
    });
    expect(Object.keys(d.keys ?? {})).toEqual(["a", "b*"]);
    expect(Object.isFrozen(d)).toBe(true);
    expect(describeRules(JSON.parse(JSON.stringify(d)))).toEqual(d);
  });

  it("rules that differ only in patterns are refused with CONFIG_MISMATCH", () => {
    const v1 = documentRules(
      { default: { resolver: "lww" }, keys: { "stock:*": { resolver: "pncounter" } } },
      [],
    );
    const v2 = documentRules(
      { default: { resolver: "lww" }, keys: { "stock:eu:*": { resolver: "pncounter" } } },
      [],
    );
    const old = createReplicatedMap({ resolvers: v1.rules });
    const next = createReplicatedMap({ resolvers: v2.rules });
    old.increment("stock:eu:apple", 3);
    const e = caught(() => next.applyState(old.encodeState()));
    expect(isConvergeError(e, "CONFIG_MISMATCH")).toBe(true);
    if (isConvergeError(e, "CONFIG_MISMATCH")) {
      expect(e.expected).toBe(v2.manifest.fingerprint);
      expect(e.received).toBe(v1.manifest.fingerprint);
    }
    expect(next.size).toBe(0);
  });

  it("a new version of a rule changes the fingerprint, and core refuses state across it", () => {
    const v1 = documentRules(
      { default: { resolver: "lww" }, keys: { "best:*": { resolver: "maxRegister" } } },
      [],
    );
    const v2 = documentRules(
      { default: { resolver: "lww" }, keys: { "best:*": { resolver: "script", sha256: sha256Of(MAX) } } },
      [MAX],
    );
    expect(v2.manifest.fingerprint).not.toBe(v1.manifest.fingerprint);
    const old = createReplicatedMap({ resolvers: v1.rules });
    const next = createReplicatedMap({ resolvers: v2.rules });
    old.set("best:x", 1);
    next.set("best:x", 2);
    const before = next.encodeState();
    // The payload names a resolver the other rules lack (UNKNOWN_RESOLVER) or maps keys differently
    // (CONFIG_MISMATCH): refused either way, nothing merged.
    const refused = (e: unknown) =>
      isConvergeError(e, "CONFIG_MISMATCH") || isConvergeError(e, "UNKNOWN_RESOLVER");
    expect(refused(caught(() => next.applyState(old.encodeState())))).toBe(true);
    expect(next.encodeState()).toEqual(before);
    expect(refused(caught(() => old.applyState(next.encodeState())))).toBe(true);
    expect(old.get("best:x")).toBe(1);
  });
});
