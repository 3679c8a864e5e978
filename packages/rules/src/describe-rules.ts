import { ConfigError } from "@converge/hlc";

/** The names of the built-in resolvers of `@converge/resolvers`, as a rule names them. */
export const BUILTIN_RESOLVERS: readonly BuiltinResolverName[] = Object.freeze([
  "lww",
  "multiValue",
  "maxRegister",
  "minRegister",
  "gcounter",
  "pncounter",
]);

/** One of {@link BUILTIN_RESOLVERS}. */
export type BuiltinResolverName =
  | "lww"
  | "multiValue"
  | "maxRegister"
  | "minRegister"
  | "gcounter"
  | "pncounter";

/** A rule naming a built-in resolver: `{ "resolver": "pncounter" }`. Built-ins take no options. */
export interface BuiltinRule {
  readonly resolver: BuiltinResolverName;
}

/** The script limits a rule may set (see `ScriptLimits` of `@converge/script`); each a positive integer. */
export interface ScriptRuleLimits {
  readonly fuel?: number;
  readonly applyFuel?: number;
  readonly memoryMb?: number;
  readonly stackKb?: number;
  readonly timeoutMs?: number;
  readonly applyTimeoutMs?: number;
  readonly maxOutputBytes?: number;
}

/**
 * A rule naming a resolver script by the SHA-256 (64 lowercase hex digits) of its source, with
 * the engine (default `"quickjs"`, the one that runs in browsers too) and limits it runs with.
 * Engine and the verdict-deciding limits are part of the resolver's id, so they are part of the
 * rules' fingerprint.
 */
export interface ScriptRule {
  readonly resolver: "script";
  readonly sha256: string;
  readonly engine?: "quickjs" | "isolated-vm";
  readonly limits?: ScriptRuleLimits;
}

/** A resolver, as a rule describes it. */
export type RuleDescription = BuiltinRule | ScriptRule;

/**
 * Key rules as data, the shape of `KeyRulesConfig` with each resolver described instead of built:
 * `default` for every key no pattern matches, `keys` from an exact key or a `prefix*` pattern to
 * a rule. Plain JSON: an operator writes it in a file, a server sends it in a manifest.
 */
export interface RulesDescription {
  readonly default: RuleDescription;
  readonly keys?: Readonly<Record<string, RuleDescription>>;
}

const LIMIT_NAMES: ReadonlySet<string> = new Set([
  "fuel",
  "applyFuel",
  "memoryMb",
  "stackKb",
  "timeoutMs",
  "applyTimeoutMs",
  "maxOutputBytes",
]);

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

const show = (x: unknown): string => {
  try {
    const text = JSON.stringify(x);
    return text === undefined ? String(x) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(x);
  }
};

function describeRule(input: unknown, where: string): RuleDescription {
  if (!isObject(input))
    throw new ConfigError(`${where}: a rule is an object like { "resolver": "lww" }, got ${show(input)}`);
  const name = input["resolver"];
  if (name === "script") return describeScript(input, where);
  if (typeof name !== "string" || !(BUILTIN_RESOLVERS as readonly string[]).includes(name)) {
    throw new ConfigError(
      `${where}: unknown resolver ${show(name)}; expected one of ${[...BUILTIN_RESOLVERS, "script"].join(", ")}`,
    );
  }
  const extra = Object.keys(input).filter((k) => k !== "resolver");
  if (extra.length > 0) {
    throw new ConfigError(`${where}: the built-in resolver ${name} takes no options, got ${show(extra)}`);
  }
  return Object.freeze({ resolver: name as BuiltinResolverName });
}

function describeScript(input: Record<string, unknown>, where: string): ScriptRule {
  for (const field of Object.keys(input)) {
    if (!["resolver", "sha256", "engine", "limits"].includes(field)) {
      throw new ConfigError(
        `${where}: unknown field ${show(field)} of a script rule; expected sha256, engine, limits`,
      );
    }
  }
  const sha256 = input["sha256"];
  if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new ConfigError(
      `${where}: a script rule names its source by sha256, 64 lowercase hex digits; got ${show(sha256)}`,
    );
  }
  const engine = input["engine"];
  if (engine !== undefined && engine !== "quickjs" && engine !== "isolated-vm") {
    throw new ConfigError(`${where}: engine is "quickjs" or "isolated-vm", got ${show(engine)}`);
  }
  const limits = input["limits"];
  let checked: Record<string, number> | undefined;
  if (limits !== undefined) {
    if (!isObject(limits)) throw new ConfigError(`${where}: limits is an object, got ${show(limits)}`);
    checked = {};
    for (const name of Object.keys(limits).sort()) {
      const value = limits[name];
      if (!LIMIT_NAMES.has(name)) {
        throw new ConfigError(
          `${where}: unknown script limit ${show(name)}; expected one of ${[...LIMIT_NAMES].join(", ")}`,
        );
      }
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
        throw new ConfigError(`${where}: script limit ${name} is a positive integer, got ${show(value)}`);
      }
      checked[name] = value;
    }
  }
  return Object.freeze({
    resolver: "script" as const,
    sha256,
    ...(engine === undefined ? {} : { engine }),
    ...(checked === undefined ? {} : { limits: Object.freeze(checked) }),
  });
}

/**
 * Checks a rules description (typically parsed from JSON) and returns it normalized: frozen,
 * patterns in ascending order, limits in ascending name order, nothing but the known fields.
 * A description that passes builds (given its scripts) with `rulesFromManifest`.
 *
 * @throws ConfigError (`INVALID_CONFIG`) for anything but `{ default, keys? }`, an unknown
 *   resolver name, options on a built-in, a script rule without a well-formed `sha256`, an
 *   unknown engine or limit, or a pattern with a `*` anywhere but at its end.
 *
 * @example
 * const rules = describeRules({ default: { resolver: "lww" }, keys: { "stock:*": { resolver: "pncounter" } } });
 */
export function describeRules(input: unknown): RulesDescription {
  if (!isObject(input))
    throw new ConfigError(`rules: an object { default, keys? } is expected, got ${show(input)}`);
  for (const field of Object.keys(input)) {
    if (field !== "default" && field !== "keys") {
      throw new ConfigError(`rules: unknown field ${show(field)}; expected { default, keys? }`);
    }
  }
  if (input["default"] === undefined)
    throw new ConfigError("rules: default is missing (the rule of every other key)");
  const fallback = describeRule(input["default"], "rules.default");
  const keys = input["keys"];
  if (keys === undefined) return Object.freeze({ default: fallback });
  if (!isObject(keys))
    throw new ConfigError(`rules.keys: an object of pattern → rule is expected, got ${show(keys)}`);
  const out: Record<string, RuleDescription> = {};
  for (const pattern of Object.keys(keys).sort()) {
    const star = pattern.indexOf("*");
    if (star !== -1 && star !== pattern.length - 1) {
      throw new ConfigError(`rules.keys: pattern ${show(pattern)} has a "*" that is not at its end`);
    }
    out[pattern] = describeRule(keys[pattern], `rules.keys[${show(pattern)}]`);
  }
  return Object.freeze({ default: fallback, keys: Object.freeze(out) });
}

/** The distinct SHA-256s a description's script rules name, ascending. */
export function scriptHashes(description: RulesDescription): readonly string[] {
  const out = new Set<string>();
  for (const rule of [description.default, ...Object.values(description.keys ?? {})]) {
    if (rule.resolver === "script") out.add(rule.sha256);
  }
  return Object.freeze([...out].sort());
}
