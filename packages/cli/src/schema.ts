import type { JsonValue } from "@converge/script";
import fc from "fast-check";

/**
 * A script's `values` declaration: the JSON values `converge verify` generates for it.
 *
 * - `{ "type": "integer", "min": 0, "max": 100 }`, `{ "type": "number", "min": 0, "max": 1 }`
 * - `{ "type": "string", "maxLength": 8 }`, `{ "type": "boolean" }`, `{ "const": v }`, `{ "enum": [..] }`
 * - `{ "type": "array", "items": <schema>, "maxLength": 4 }`
 * - `{ "type": "object", "properties": { "<name>": <schema>, … } }` (every property present)
 * - `{ "type": "record", "keys": ["a", "b"], "values": <schema> }` (any subset of the keys)
 * - `{ "oneOf": [<schema>, …] }`
 */
export type ValueSchema = JsonValue;

export class SchemaError extends Error {}

function num(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

/** The fast-check arbitrary of a value schema. @throws SchemaError for an unknown form. */
export function schemaArbitrary(schema: ValueSchema): fc.Arbitrary<JsonValue> {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new SchemaError(`a value schema must be an object, got ${JSON.stringify(schema)}`);
  }
  const s = schema as Record<string, JsonValue>;
  if ("const" in s) return fc.constant(s["const"] as JsonValue);
  if (Array.isArray(s["enum"])) {
    const options = s["enum"] as JsonValue[];
    if (options.length === 0) throw new SchemaError("enum needs at least one value");
    return fc.constantFrom(...options);
  }
  if (Array.isArray(s["oneOf"])) return fc.oneof(...(s["oneOf"] as JsonValue[]).map(schemaArbitrary));
  switch (s["type"]) {
    case "integer":
      return fc.integer({ min: num(s["min"], -1000), max: num(s["max"], 1000) });
    case "number":
      return fc
        .double({ min: num(s["min"], -1000), max: num(s["max"], 1000), noNaN: true, noDefaultInfinity: true })
        .map((x) => (Object.is(x, -0) ? 0 : x));
    case "string":
      return fc.string({ maxLength: num(s["maxLength"], 8) });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(schemaArbitrary(s["items"] ?? { type: "integer" }), {
        maxLength: num(s["maxLength"], 4),
      });
    case "object": {
      const props = (s["properties"] ?? {}) as Record<string, JsonValue>;
      return fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, schemaArbitrary(v)])));
    }
    case "record": {
      const keys = (s["keys"] ?? []) as string[];
      const value = schemaArbitrary(s["values"] ?? { type: "integer" });
      return fc
        .subarray(keys)
        .chain((chosen) =>
          fc
            .tuple(...chosen.map(() => value))
            .map((vs) => Object.fromEntries(chosen.map((k, i) => [k, vs[i] as JsonValue]))),
        );
    }
    default:
      throw new SchemaError(`unknown value schema ${JSON.stringify(schema)}`);
  }
}

/** Generic JSON values, when a script declares none. */
export const genericJson: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ maxDepth: 2 })
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);
