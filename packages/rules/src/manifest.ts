import { createReplicatedMap, type KeyRulesConfig, ResolverMismatchError, toValue } from "@converge/core";
import { ConfigError } from "@converge/hlc";
import { sharedScriptEngine } from "@converge/script";
import type { RulesManifest } from "@converge/sync";
import { buildRules } from "./build-rules.ts";
import { describeRules, scriptHashes } from "./describe-rules.ts";
import { RulesError } from "./rules-error.ts";

/** A document's rules both ways: built (for the host's replica) and described (for clients). */
export interface DocumentRules {
  readonly rules: KeyRulesConfig;
  readonly manifest: RulesManifest;
}

/** The fingerprint a replica built with `rules` reports (`ReplicatedMap.fingerprint`). */
export function fingerprintOf(rules: KeyRulesConfig): string {
  return createReplicatedMap({ resolvers: rules }).fingerprint;
}

/**
 * A document's rules from their description and the script sources: the built key rules and the
 * manifest a server sends to clients that join knowing only the document's name. The manifest
 * carries the normalized description, exactly the scripts it names (by SHA-256), and the
 * fingerprint of the built rules — which `rulesFromManifest` reproduces on any replica whose
 * script engine is the same version. Sources no rule names are left out.
 *
 * @throws ConfigError (`INVALID_CONFIG`) for a malformed description (see `describeRules`);
 *   RulesError `RULES_SCRIPT_MISSING` when a script rule's hash is not among the sources;
 *   ScriptError `SCRIPT_LOAD` for a source that does not load.
 *
 * @example
 * const cart = readFileSync("cart.js", "utf8");
 * const { rules, manifest } = documentRules(
 *   { default: { resolver: "lww" }, keys: { "cart:*": { resolver: "script", sha256: sha256Of(cart) } } },
 *   [cart],
 * );
 */
export function documentRules(description: unknown, sources: readonly string[]): DocumentRules {
  const checked = describeRules(description);
  const byHash = new Map<string, string>();
  const hasher = sharedScriptEngine();
  for (const source of sources) {
    if (typeof source !== "string") throw new ConfigError(`script sources are strings, got ${typeof source}`);
    byHash.set(hasher.load(source).hash, source);
  }
  const scripts: Record<string, string> = {};
  for (const hash of scriptHashes(checked)) {
    const source = byHash.get(hash);
    if (source === undefined) {
      throw new RulesError(
        "RULES_SCRIPT_MISSING",
        `the rules name script ${hash}, which is not among the sources given`,
        hash,
      );
    }
    scripts[hash] = source;
  }
  const rules = buildRules(checked, scripts);
  const manifest: RulesManifest = Object.freeze({
    fingerprint: fingerprintOf(rules),
    rules: toValue(checked),
    scripts: Object.freeze(scripts),
  });
  return Object.freeze({ rules, manifest });
}

/**
 * The manifest of a description and its script sources (see {@link documentRules}): its
 * `fingerprint` equals `createReplicatedMap({ resolvers: rulesFromManifest(manifest) }).fingerprint`.
 */
export function manifestFor(description: unknown, sources: readonly string[] = []): RulesManifest {
  return documentRules(description, sources).manifest;
}

/** The SHA-256 (hex) of a script source, as script rules name it. */
export function sha256Of(source: string): string {
  return sharedScriptEngine().load(source).hash;
}

/**
 * Builds the key rules a manifest describes: built-ins from `@converge/resolvers`, scripts from
 * the manifest's sources through `@converge/script` (each source checked against its SHA-256
 * first), and checks that they give the manifest's fingerprint. Deterministic: every replica
 * building one manifest gets rules with one fingerprint, so their states merge.
 *
 * @throws ConfigError (`INVALID_CONFIG`) when the manifest or its description is malformed;
 *   RulesError `RULES_SCRIPT_MISSING` (a named script is absent) or `RULES_SCRIPT_HASH` (a source
 *   does not hash to its name: tampered); ResolverMismatchError `CONFIG_MISMATCH` when the rules
 *   built here have another fingerprint than the manifest's (e.g. another script engine version),
 *   with `expected` the manifest's and `received` this build's.
 */
export function rulesFromManifest(manifest: RulesManifest): KeyRulesConfig {
  if (typeof manifest !== "object" || manifest === null) {
    throw new ConfigError(
      `a rules manifest is an object { fingerprint, rules, scripts }, got ${String(manifest)}`,
    );
  }
  const { fingerprint, scripts } = manifest;
  if (typeof fingerprint !== "string" || !/^[0-9a-f]{16}$/.test(fingerprint)) {
    throw new ConfigError("a rules manifest's fingerprint is 16 lowercase hex digits");
  }
  if (typeof scripts !== "object" || scripts === null || Array.isArray(scripts)) {
    throw new ConfigError("a rules manifest's scripts are an object of sha256 → source");
  }
  const rules = buildRules(describeRules(manifest.rules), scripts);
  const built = fingerprintOf(rules);
  if (built !== fingerprint) {
    throw new ResolverMismatchError(
      "CONFIG_MISMATCH",
      `the rules of this manifest build to fingerprint ${built} here, not to the manifest's ${fingerprint} (another script engine version?)`,
      {
        expected: fingerprint,
        received: built,
        differences: [{ kind: "fingerprint", expected: fingerprint, received: built }],
      },
    );
  }
  return rules;
}
