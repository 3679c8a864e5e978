import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "@converge/hlc";
import { type DocumentRules, documentRules, sha256Of } from "@converge/rules";
import type { DocumentConfig } from "@converge/sync";

/**
 * The documents a server hosts: a document's name → its config, or undefined when the server has
 * no such document (the handshake is then refused with `UNKNOWN_DOCUMENT`).
 */
export type DocumentResolver = (name: string) => DocumentConfig | undefined;

/**
 * A rules file as an operator writes it (JSON). Either one rules description for every document
 * (`{ "default": …, "keys": … }`), or named rule versions and the documents that use each:
 *
 * ```json
 * {
 *   "rules": {
 *     "v1": { "default": { "resolver": "lww" }, "keys": { "stock:*": { "resolver": "pncounter" } } },
 *     "v2": { "default": { "resolver": "lww" }, "keys": { "stock:*": { "resolver": "pncounter" },
 *             "cart:*": { "resolver": "script", "file": "scripts/cart.js" } } }
 *   },
 *   "documents": { "shop-eu": "v2", "shop-*": "v1" }
 * }
 * ```
 *
 * Document names match like key patterns: an exact name beats a `prefix*`, the longest prefix
 * wins. A script rule names its source by `sha256` (then list the file under `"scripts"`) or by
 * `"file"` (read and hashed when the file is loaded); paths are relative to the rules file.
 */
export interface RulesFile {
  readonly rules?: Readonly<Record<string, unknown>>;
  readonly documents?: Readonly<Record<string, string>>;
  readonly scripts?: readonly string[];
  readonly default?: unknown;
  readonly keys?: unknown;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** Rules by version, and the documents → version patterns, compiled into a resolver. */
export function documentsFromRules(
  versions: ReadonlyMap<string, DocumentRules>,
  documents: Readonly<Record<string, string>>,
): DocumentResolver {
  const exact = new Map<string, DocumentRules>();
  const prefixes: [string, DocumentRules][] = [];
  for (const [pattern, version] of Object.entries(documents)) {
    const rules = versions.get(version);
    if (rules === undefined) {
      throw new ConfigError(
        `documents[${JSON.stringify(pattern)}] names rules ${JSON.stringify(version)}, which are not defined`,
      );
    }
    const star = pattern.indexOf("*");
    if (star === -1) exact.set(pattern, rules);
    else if (star === pattern.length - 1) prefixes.push([pattern.slice(0, -1), rules]);
    else throw new ConfigError(`document pattern ${JSON.stringify(pattern)}: "*" is only allowed at the end`);
  }
  prefixes.sort((a, b) => b[0].length - a[0].length);
  return (name) => {
    const hit = exact.get(name) ?? prefixes.find(([p]) => name.startsWith(p))?.[1];
    return hit === undefined ? undefined : { rules: hit.rules, manifest: hit.manifest };
  };
}

/**
 * Parses a rules file's content (see {@link RulesFile}); `readScript(path)` reads the scripts it
 * names (paths as written in the file).
 *
 * @throws ConfigError (`INVALID_CONFIG`) for a malformed file or rules, a document naming
 *   undefined rules; RulesError `RULES_SCRIPT_MISSING` when a script rule's hash is not among the
 *   listed scripts.
 */
export function parseRulesFile(input: unknown, readScript: (path: string) => string): DocumentResolver {
  if (!isObject(input)) throw new ConfigError("a rules file holds a JSON object");
  const sources: string[] = [];
  for (const path of (input["scripts"] as unknown[] | undefined) ?? []) {
    if (typeof path !== "string") throw new ConfigError("scripts: a list of file paths");
    sources.push(readScript(path));
  }
  /** Replaces `{ resolver: "script", file }` by its sha256, reading the file. */
  const withFiles = (description: unknown): unknown => {
    if (!isObject(description)) return description;
    const fix = (rule: unknown): unknown => {
      if (!isObject(rule) || rule["resolver"] !== "script" || rule["file"] === undefined) return rule;
      const { file, ...rest } = rule;
      if (typeof file !== "string") throw new ConfigError("a script rule's file is a path");
      const source = readScript(file);
      sources.push(source);
      return { ...rest, sha256: sha256Of(source) };
    };
    const keys = description["keys"];
    return {
      ...description,
      default: fix(description["default"]),
      ...(isObject(keys)
        ? { keys: Object.fromEntries(Object.entries(keys).map(([k, r]) => [k, fix(r)])) }
        : {}),
    };
  };
  if (input["rules"] === undefined && input["documents"] === undefined) {
    const { scripts: _scripts, ...description } = input;
    const rules = documentRules(withFiles(description), sources);
    return () => ({ rules: rules.rules, manifest: rules.manifest });
  }
  const { rules, documents } = input;
  if (!isObject(rules)) throw new ConfigError("rules: an object of version name → rules description");
  if (!isObject(documents) || Object.values(documents).some((v) => typeof v !== "string")) {
    throw new ConfigError("documents: an object of document name or pattern → rules version name");
  }
  for (const field of Object.keys(input)) {
    if (!["rules", "documents", "scripts"].includes(field)) {
      throw new ConfigError(
        `rules file: unknown field ${JSON.stringify(field)}; expected rules, documents, scripts`,
      );
    }
  }
  const described = Object.entries(rules).map(([version, d]) => [version, withFiles(d)] as const);
  const versions = new Map(described.map(([version, d]) => [version, documentRules(d, sources)] as const));
  return documentsFromRules(versions, documents as Record<string, string>);
}

/** Reads and parses a rules file (see {@link RulesFile}); script paths are relative to it. */
export function loadRulesFile(path: string): DocumentResolver {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(
      `cannot read the rules file ${path}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      `the rules file ${path} is not JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const base = dirname(resolve(path));
  return parseRulesFile(json, (file) => {
    try {
      return readFileSync(resolve(base, file), "utf8");
    } catch (e) {
      throw new ConfigError(`cannot read the script ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}
