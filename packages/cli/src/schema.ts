import { ConvergeError } from "@converge/hlc";
import type { JsonValue } from "@converge/script";
import fc from "fast-check";

/**
 * A script's `values` declaration: the JSON values `converge verify` generates for it.
 *
 * - `{ "type": "integer", "min": 0, "max": 100 }` (default bounds: the whole safe-integer range)
 * - `{ "type": "number", "min": 0, "max": 1 }` (default bounds: -1000 and 1000)
 * - `{ "type": "string", "maxLength": 8 }`, `{ "type": "boolean" }`, `{ "const": v }`, `{ "enum": [..] }`
 * - `{ "type": "array", "items": <schema>, "maxLength": 4 }`
 * - `{ "type": "object", "properties": { "<name>": <schema>, … } }` (every property present)
 * - `{ "type": "record", "keys": ["a", "b"], "values": <schema> }` (any subset of the keys)
 * - `{ "oneOf": [<schema>, …] }`
 */
export type ValueSchema = JsonValue;

/**
 * A script's `values` declaration is malformed (unknown form, min > max, empty `enum` or `oneOf`,
 * a negative or fractional length…). Code `VERIFY_SCHEMA`; `where` is the JSON path of the
 * offending part (`values.items.oneOf[1]`).
 */
export class SchemaError extends ConvergeError {
  override readonly code: "VERIFY_SCHEMA" = "VERIFY_SCHEMA";
  readonly where: string;
  constructor(where: string, message: string) {
    super("VERIFY_SCHEMA", `${where}: ${message}`);
    this.where = where;
  }
}

/** Largest `maxLength` accepted: generated values stay small enough to check quickly. */
const MAX_LENGTH = 10_000;

type Obj = Readonly<Record<string, JsonValue>>;

const show = (v: JsonValue | undefined): string => {
  const text = JSON.stringify(v) ?? "undefined";
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function bound(s: Obj, name: string, where: string, fallback: number, integer: boolean): number {
  const v = s[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new SchemaError(where, `${name} must be a finite number, got ${show(v)}`);
  }
  if (integer && !Number.isSafeInteger(v)) {
    throw new SchemaError(where, `${name} of an integer must be a safe integer, got ${show(v)}`);
  }
  return v;
}

function length(s: Obj, where: string, fallback: number): number {
  const v = s["maxLength"];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_LENGTH) {
    throw new SchemaError(where, `maxLength must be an integer from 0 to ${MAX_LENGTH}, got ${show(v)}`);
  }
  return v;
}

function range(s: Obj, where: string, fallback: [number, number], integer: boolean): [number, number] {
  const min = bound(s, "min", where, fallback[0], integer);
  const max = bound(s, "max", where, fallback[1], integer);
  if (min > max) throw new SchemaError(where, `min (${min}) is greater than max (${max})`);
  return [min, max];
}

function arbitrary(schema: JsonValue | undefined, where: string): fc.Arbitrary<JsonValue> {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new SchemaError(where, `a value schema must be an object, got ${show(schema)}`);
  }
  const s = schema as Obj;
  if ("const" in s) return fc.constant(s["const"] as JsonValue);
  if ("enum" in s) {
    const options = s["enum"];
    if (!Array.isArray(options) || options.length === 0) {
      throw new SchemaError(where, "enum must be a non-empty array of values");
    }
    return fc.constantFrom(...(options as JsonValue[]));
  }
  if ("oneOf" in s) {
    const options = s["oneOf"];
    if (!Array.isArray(options) || options.length === 0) {
      throw new SchemaError(where, "oneOf must be a non-empty array of schemas");
    }
    return fc.oneof(...(options as JsonValue[]).map((o, i) => arbitrary(o, `${where}.oneOf[${i}]`)));
  }
  switch (s["type"]) {
    case "integer": {
      const [min, max] = range(s, where, [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], true);
      return fc.integer({ min, max });
    }
    case "number": {
      const [min, max] = range(s, where, [-1000, 1000], false);
      return fc
        .double({ min, max, noNaN: true, noDefaultInfinity: true })
        .map((x) => (Object.is(x, -0) ? 0 : x));
    }
    case "string":
      return fc.string({ maxLength: length(s, where, 8) });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(arbitrary(s["items"] ?? { type: "integer" }, `${where}.items`), {
        maxLength: length(s, where, 4),
      });
    case "object": {
      const props = s["properties"] ?? {};
      if (typeof props !== "object" || props === null || Array.isArray(props)) {
        throw new SchemaError(where, "properties must be an object of schemas");
      }
      return fc.record(
        Object.fromEntries(
          Object.entries(props as Obj).map(([k, v]) => [k, arbitrary(v, `${where}.properties.${k}`)]),
        ),
      );
    }
    case "record": {
      const keys = s["keys"] ?? [];
      if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) {
        throw new SchemaError(where, "keys must be an array of strings");
      }
      const value = arbitrary(s["values"] ?? { type: "integer" }, `${where}.values`);
      return fc
        .subarray(keys as string[])
        .chain((chosen) =>
          fc
            .tuple(...chosen.map(() => value))
            .map((vs) => Object.fromEntries(chosen.map((k, i) => [k, vs[i] as JsonValue]))),
        );
    }
    default:
      throw new SchemaError(where, `unknown value schema ${show(schema)}`);
  }
}

/**
 * The fast-check arbitrary of a value schema, checked whole before any value is generated.
 * @throws SchemaError (`VERIFY_SCHEMA`) for a malformed schema.
 */
export function schemaArbitrary(schema: ValueSchema): fc.Arbitrary<JsonValue> {
  return arbitrary(schema, "values");
}

/** Generic JSON values, when a script declares none. */
export const genericJson: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ maxDepth: 2 })
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);

// The CLI's codes join the registry of converge codes (docs/ERRORS.md).
declare module "@converge/hlc" {
  interface ConvergeErrorCodes {
    VERIFY_SCHEMA: SchemaError;
  }
}
