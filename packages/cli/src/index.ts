/**
 * @converge/cli — `converge verify <resolver.js>`: checks a resolver script's laws in the sandbox
 * replicas use, before it is deployed. The same check is available as {@link verifyScript}.
 *
 * @packageDocumentation
 */
export { junitReport } from "./junit.ts";
export { EXIT, main } from "./main.ts";
export { genericJson, SchemaError, schemaArbitrary, type ValueSchema } from "./schema.ts";
export { type LawVerdict, type VerifyOptions, type VerifyReport, verifyScript } from "./verify.ts";
