import type { AnyResolver, KeyRulesConfig } from "@converge/core";
import { gcounter, lww, maxRegister, minRegister, multiValue, pncounter } from "@converge/resolvers";
import { type ScriptEngine, scriptResolver, sharedScriptEngine } from "@converge/script";
import type { BuiltinResolverName, RuleDescription, RulesDescription, ScriptRule } from "./describe-rules.ts";
import { RulesError } from "./rules-error.ts";

const BUILTINS: Readonly<Record<BuiltinResolverName, () => AnyResolver>> = {
  lww,
  multiValue,
  maxRegister,
  minRegister,
  gcounter,
  pncounter,
};

/** The shared engine a script rule runs in: its engine name and limits. */
export function engineFor(rule: ScriptRule): ScriptEngine {
  return sharedScriptEngine({
    ...(rule.engine === undefined ? {} : { engine: rule.engine }),
    ...rule.limits,
  });
}

/**
 * Builds key rules from a checked description and the script sources by SHA-256. One resolver
 * instance per distinct rule, so a rule used by several patterns is one resolver (core refuses two
 * instances under one id). Every source is hashed by the engine that loads it before it is used.
 */
export function buildRules(
  description: RulesDescription,
  scripts: Readonly<Record<string, string>>,
): KeyRulesConfig {
  const made = new Map<string, AnyResolver>();
  const build = (rule: RuleDescription): AnyResolver => {
    const id = JSON.stringify(rule);
    let r = made.get(id);
    if (r !== undefined) return r;
    r = rule.resolver === "script" ? buildScript(rule, scripts) : BUILTINS[rule.resolver]();
    made.set(id, r);
    return r;
  };
  const keys: Record<string, AnyResolver> = {};
  for (const [pattern, rule] of Object.entries(description.keys ?? {})) keys[pattern] = build(rule);
  return { default: build(description.default), keys };
}

function buildScript(rule: ScriptRule, scripts: Readonly<Record<string, string>>): AnyResolver {
  const source = Object.hasOwn(scripts, rule.sha256) ? scripts[rule.sha256] : undefined;
  if (typeof source !== "string") {
    throw new RulesError(
      "RULES_SCRIPT_MISSING",
      `the rules name script ${rule.sha256} but carry no source for it`,
      rule.sha256,
    );
  }
  const engine = engineFor(rule);
  const hash = engine.load(source).hash;
  if (hash !== rule.sha256) {
    throw new RulesError(
      "RULES_SCRIPT_HASH",
      `the source given for script ${rule.sha256} hashes to ${hash}: refusing a script that is not the one the rules name`,
      rule.sha256,
    );
  }
  return scriptResolver({ source, engine });
}
