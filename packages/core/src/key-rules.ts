import { type ConfigDifference, ConfigError, describeValue, ResolverMismatchError } from "./errors.ts";
import { checkResolverShape, type Resolver } from "./resolver.ts";
import { bytes8ToHex } from "./version-vector.ts";

/** Any resolver, whatever its value types; the map stores states of many kinds side by side. */
// biome-ignore lint/suspicious/noExplicitAny: existential type — each state only ever goes back to the resolver that made it
export type AnyResolver = Resolver<any, any>;

/**
 * Which resolver governs which keys: `default` for every key no rule matches, and `keys` mapping
 * an exact key (`"settings"`) or a prefix pattern ending in `*` (`"stock:*"`) to a resolver.
 * An exact key beats any pattern; among patterns the longest prefix wins, so the choice never
 * depends on the order rules are listed in.
 */
export interface KeyRulesConfig {
  readonly default: AnyResolver;
  readonly keys?: Readonly<Record<string, AnyResolver>>;
}

/** Compiled key rules: a resolver lookup per key, and a fingerprint two replicas compare. */
export interface KeyRules {
  /** The resolver for `key`. */
  readonly resolverFor: (key: string) => AnyResolver;
  /** Every distinct resolver in the rules, by `id@version`. */
  readonly resolvers: ReadonlyMap<string, AnyResolver>;
  /** 8-byte hash of the canonical rule list; equal rules give equal fingerprints. */
  readonly fingerprint: Uint8Array;
  /** The canonical rule list, one rule a line, for error messages. */
  readonly canonical: string;
}

/** `id@version` of a resolver. */
export function resolverName(r: AnyResolver): string {
  return `${r.id}@${r.version}`;
}

function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Compiles key rules.
 *
 * @throws ConfigError (`INVALID_CONFIG`) when the config is not `{ default, keys? }`, a resolver is
 *   not a resolver (e.g. the factory `lww` instead of `lww()`), a pattern is not a well-formed
 *   string or has a `*` anywhere but at its end, or two different resolvers share an `id@version`.
 */
export function compileKeyRules(config: KeyRulesConfig): KeyRules {
  checkRulesConfig(config);
  const exact = new Map<string, AnyResolver>();
  const prefixes: [string, AnyResolver][] = [];
  const resolvers = new Map<string, AnyResolver>();
  const remember = (r: AnyResolver): void => {
    const name = resolverName(r);
    const known = resolvers.get(name);
    if (known !== undefined && known !== r) {
      throw new ConfigError(
        `two different resolvers are both named ${name}; give each its own id or version`,
      );
    }
    resolvers.set(name, r);
  };
  remember(config.default);
  for (const [pattern, r] of Object.entries(config.keys ?? {})) {
    remember(r);
    const star = pattern.indexOf("*");
    if (star === -1) exact.set(pattern, r);
    else if (star === pattern.length - 1) prefixes.push([pattern.slice(0, -1), r]);
    else throw new ConfigError(`key pattern ${JSON.stringify(pattern)}: "*" is only allowed at the end`);
  }
  prefixes.sort((a, b) => b[0].length - a[0].length || (a[0] < b[0] ? -1 : 1));
  const lines = [
    `default ${resolverName(config.default)}`,
    ...[...exact].map(([k, r]) => `= ${JSON.stringify(k)} ${resolverName(r)}`).sort(),
    ...prefixes.map(([p, r]) => `* ${JSON.stringify(p)} ${resolverName(r)}`).sort(),
  ];
  const canonical = lines.join("\n");
  const fingerprint = new Uint8Array(8);
  const view = new DataView(fingerprint.buffer);
  view.setUint32(0, fnv1a(canonical, 0x811c9dc5));
  view.setUint32(4, fnv1a(canonical, 0x01234567));
  const fallback = config.default;
  const noExact = exact.size === 0;

  const resolverFor = (key: string): AnyResolver => {
    if (!noExact) {
      const r = exact.get(key);
      if (r !== undefined) return r;
    }
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i] as [string, AnyResolver];
      if (key.startsWith(p[0])) return p[1];
    }
    return fallback;
  };
  return { resolverFor, resolvers, fingerprint, canonical };
}

const RULE_FIELDS = new Set(["default", "keys"]);

function checkRulesConfig(config: KeyRulesConfig): void {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ConfigError(
      `resolvers must be an object { default, keys? } such as { default: lww() }, got ${describeValue(config)}`,
    );
  }
  for (const name of Object.keys(config)) {
    if (!RULE_FIELDS.has(name)) {
      throw new ConfigError(
        `resolvers: unknown field ${JSON.stringify(name)}; expected { default, keys? } (patterns go under keys: { keys: { ${JSON.stringify(name)}: … } })`,
      );
    }
  }
  checkResolverShape(config.default, "resolvers.default");
  const keys: unknown = config.keys;
  if (keys === undefined) return;
  if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
    throw new ConfigError(
      `resolvers.keys must be an object mapping keys or "prefix*" patterns to resolvers, got ${describeValue(keys)}`,
    );
  }
  for (const [pattern, r] of Object.entries(keys)) {
    if (!pattern.isWellFormed()) {
      throw new ConfigError(`resolvers.keys: pattern ${JSON.stringify(pattern)} contains a lone surrogate`);
    }
    checkResolverShape(r, `resolvers.keys[${JSON.stringify(pattern)}]`);
  }
}

/** Lowercase hex of an 8-byte fingerprint (in errors and on the map). */
export const toHex: (bytes: Uint8Array) => string = bytes8ToHex;

/**
 * The `CONFIG_MISMATCH` error for a payload whose key-rule fingerprint (`received`, the sender's)
 * differs from these rules'. A payload carries the sender's fingerprint and the resolvers its
 * entries use (all known here by then: unknown ones were refused first), not the sender's
 * patterns; so the error reports both fingerprints, the resolvers of these rules that the payload
 * does not use, and these rules in canonical form.
 */
export function configMismatch(
  rules: KeyRules,
  received: Uint8Array,
  payloadResolvers: readonly AnyResolver[],
): ResolverMismatchError {
  const expected = toHex(rules.fingerprint);
  const there = toHex(received);
  const used = new Set(payloadResolvers.map(resolverName));
  const unused = [...rules.resolvers.keys()].filter((name) => !used.has(name)).sort();
  const differences: ConfigDifference[] = [
    { kind: "fingerprint", expected, received: there },
    ...unused.map((resolver): ConfigDifference => ({ kind: "resolver-not-in-payload", resolver })),
  ];
  const usedText = used.size === 0 ? "no resolver" : [...used].sort().join(", ");
  const unusedText =
    unused.length === 0
      ? ""
      : `; this replica's rules also use ${unused.join(", ")}, which no entry of the payload uses`;
  return new ResolverMismatchError(
    "CONFIG_MISMATCH",
    `payload was written under other key rules: its key-rule fingerprint is ${there}, this replica's is ${expected}. ` +
      `Its entries use ${usedText} (known here${unusedText}); the payload does not carry the sender's patterns, ` +
      `so compare them with this replica's rules:\n${rules.canonical}`,
    { expected, received: there, differences },
  );
}
