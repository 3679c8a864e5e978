/**
 * @converge/rules — key rules as data.
 *
 * A server operator writes a document's key rules as JSON — `{ "default": { "resolver": "lww" },
 * "keys": { "stock:*": { "resolver": "pncounter" }, "cart:*": { "resolver": "script", "sha256":
 * "…" } } }` — plus the scripts' sources. {@link documentRules} builds them and the
 * {@link RulesManifest} the server sends to clients that join a document knowing only its name;
 * {@link rulesFromManifest} builds the same rules on the client, checking every script against
 * its hash and the result against the manifest's fingerprint. Isomorphic: no Node-only API.
 *
 * @packageDocumentation
 */
export {
  BUILTIN_RESOLVERS,
  type BuiltinResolverName,
  type BuiltinRule,
  describeRules,
  type RuleDescription,
  type RulesDescription,
  type ScriptRule,
  type ScriptRuleLimits,
  scriptHashes,
} from "./describe-rules.ts";
export {
  type DocumentRules,
  documentRules,
  fingerprintOf,
  manifestFor,
  rulesFromManifest,
  sha256Of,
} from "./manifest.ts";
export { RulesError, type RulesErrorCode } from "./rules-error.ts";
