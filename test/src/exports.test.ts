import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Every entry point of every published package exports exactly the names pinned here (values and
 * types alike, as the compiler sees them), so a public face grows only by a deliberate edit of
 * this list. Core's root stays at most 35 names: encoding primitives live in `./codec`, the
 * harness in `./testing`, and internals nowhere; option bags and parts of a type that users reach
 * through it (`applyAsync`'s options, `compare`'s result, `Value`'s object case) go unnamed.
 */
const pinned: Record<string, readonly string[]> = {
  "@converge/hlc": [
    "CONVERGE_ERROR",
    "Clock",
    "ClockBackwardsEvent",
    "ClockDriftError",
    "ClockOptions",
    "ClockOverflowError",
    "ClockState",
    "ConfigError",
    "ConvergeError",
    "ConvergeErrorCode",
    "ConvergeErrorCodes",
    "DEFAULT_MAX_DRIFT_MS",
    "InvalidValueError",
    "MAX_COUNTER",
    "MAX_WALL",
    "NodeId",
    "PhysicalTimeError",
    "TIMESTAMP_BYTES",
    "TIMESTAMP_HEX_LENGTH",
    "Timestamp",
    "TimestampDecodeError",
    "TimestampRangeError",
    "compareTimestamps",
    "createClock",
    "decodeTimestamp",
    "encodeTimestamp",
    "isConvergeError",
    "isNodeId",
    "maxTimestamp",
    "nodeIdFromBigInt",
    "randomNodeId",
    "timestamp",
    "timestampFromHex",
    "timestampToHex",
  ],
  "@converge/core": [
    "AnyResolver",
    "ApplyResult",
    "Change",
    "ChangeEvent",
    "Concurrent",
    "ConfigError",
    "ConvergeError",
    "ConvergeErrorCode",
    "CounterOverflowError",
    "DecodeError",
    "InvalidKeyError",
    "InvalidValueError",
    "KeyRulesConfig",
    "PayloadKindError",
    "RegisterOptions",
    "ReplicaId",
    "ReplicatedMap",
    "ReplicatedMapOptions",
    "Resolver",
    "ResolverImpl",
    "ResolverMismatchError",
    "Snapshot",
    "Stamp",
    "UnsupportedOperationError",
    "Value",
    "VersionVector",
    "compareValues",
    "createReplicatedMap",
    "defineResolver",
    "isConvergeError",
    "registerResolver",
    "toValue",
    "versionVector",
  ],
  "@converge/core/codec": [
    "DEFAULT_DECODE_LIMITS",
    "DecodeLimits",
    "FORMAT_VERSION",
    "MAX_VALUE_DEPTH",
    "Reader",
    "StateReader",
    "StateWriter",
    "Writer",
  ],
  "@converge/core/testing": [
    "ALL_LAWS",
    "ConvergenceError",
    "ConvergenceReport",
    "Expected",
    "LawName",
    "LawOptions",
    "LawReport",
    "LawResult",
    "LawViolationError",
    "NetworkOptions",
    "READ_LAWS",
    "ReadLawName",
    "RunConfig",
    "RunOptions",
    "Spec",
    "SpecOp",
    "assertConvergence",
    "assertLaws",
    "builtinSpecs",
    "checkConvergence",
    "checkLaws",
    "counterSpec",
    "formatLawReport",
    "registerSpec",
    "runConfig",
    "sealPayload",
    "smallValues",
    "unobserved",
    "unsealPayload",
  ],
  "@converge/sync": [
    "copyStoreBatch",
    "Access",
    "AckMessage",
    "ChunkMessage",
    "CloseCode",
    "CloseInfo",
    "ConnectionInfo",
    "DEFAULT_FRAME_LIMITS",
    "Dialer",
    "DocumentConfig",
    "DocumentKeeper",
    "DocumentStore",
    "FrameLimits",
    "HelloMessage",
    "HostChangeEvent",
    "HostLimits",
    "HostOptions",
    "HostStats",
    "Hub",
    "HubChannel",
    "HubHandlers",
    "LoadedReplica",
    "MemoryHubNetwork",
    "MemoryTransportOptions",
    "Message",
    "MetricAttributes",
    "MetricsSink",
    "OpenDocumentOptions",
    "OutboxEntry",
    "PROTOCOL_VERSION",
    "PayloadMessage",
    "PeerRecord",
    "PingMessage",
    "PongMessage",
    "PresenceMessage",
    "Principal",
    "RefusalCode",
    "RefuseMessage",
    "RejectMessage",
    "RulesManifest",
    "SessionEvents",
    "SessionOptions",
    "SessionStatus",
    "Store",
    "StoreBatch",
    "StorePolicyOptions",
    "StoredDocument",
    "SyncError",
    "SyncErrorCode",
    "SyncHost",
    "SyncSession",
    "Timers",
    "Transport",
    "WelcomeMessage",
    "connect",
    "crc32",
    "createSyncHost",
    "decodeMessage",
    "decodeVersionVector",
    "documentKeeper",
    "encodeMessage",
    "encodeVersionVector",
    "loadReplica",
    "memoryHubNetwork",
    "memoryStore",
    "memoryTransportPair",
    "openDocument",
    "rowChecksum",
  ],
  "@converge/rules": [
    "BUILTIN_RESOLVERS",
    "BuiltinResolverName",
    "BuiltinRule",
    "DocumentRules",
    "RuleDescription",
    "RulesDescription",
    "RulesError",
    "RulesErrorCode",
    "ScriptRule",
    "ScriptRuleLimits",
    "describeRules",
    "documentRules",
    "fingerprintOf",
    "manifestFor",
    "rulesFromManifest",
    "scriptHashes",
    "sha256Of",
  ],
  "@converge/server": [
    "ConvergeServer",
    "DEFAULT_BUCKETS",
    "DocumentResolver",
    "HistogramSample",
    "MemoryMetrics",
    "MemoryMetricsOptions",
    "MetricSample",
    "MetricsSnapshot",
    "RulesFile",
    "ServerOptions",
    "createServer",
    "documentsFromRules",
    "loadRulesFile",
    "memoryMetrics",
    "parseRulesFile",
    "prometheusName",
    "renderPrometheus",
    "teeMetrics",
  ],
  "@converge/server/otel": ["OtelMetricsOptions", "otelMetrics"],
  "@converge/sync/testing": [
    "ContractFramework",
    "FakeTimers",
    "Faults",
    "FaultyNetwork",
    "FaultyNetworkOptions",
    "HubHarness",
    "HubTestOptions",
    "ODD_DOCUMENT_NAMES",
    "Prng",
    "StoreHarness",
    "TransportPair",
    "TransportTestOptions",
    "fakeTimers",
    "faultyNetwork",
    "prng",
    "runHubTests",
    "runStoreTests",
    "runTransportTests",
  ],
  "@converge/store-indexeddb": ["IndexedDbStoreOptions", "indexedDbStore"],
  "@converge/redis": ["RedisHubOptions", "redisHub"],
  "@converge/store-sqlite": ["SqliteStoreOptions", "sqliteStore"],
  "@converge/websocket": [
    "WebSocketConstructor",
    "WebSocketDialerOptions",
    "WebSocketError",
    "WebSocketErrorCode",
    "webSocketDialer",
    "webSocketTransport",
  ],
  "@converge/websocket/server": [
    "AcceptWebSocketsOptions",
    "WebSocketAcceptor",
    "WebSocketConnectionInfo",
    "acceptWebSockets",
  ],
  "@converge/broadcast-channel": [
    "BroadcastChannelAcceptor",
    "BroadcastChannelDialerOptions",
    "BroadcastChannelError",
    "BroadcastChannelErrorCode",
    "HeartbeatOptions",
    "acceptBroadcastChannel",
    "broadcastChannelDialer",
  ],
  "@converge/yjs": [
    "TextDeltaOp",
    "TextEdit",
    "TextInput",
    "YJS_MAJOR",
    "clientIdOf",
    "editText",
    "textEdit",
    "yjsRichText",
    "yjsText",
  ],
  "@converge/resolvers": ["gcounter", "lww", "maxRegister", "minRegister", "multiValue", "pncounter"],
  "@converge/script": [
    "DEFAULT_LIMITS",
    "JsonValue",
    "QUICKJS_VERSION",
    "RunStats",
    "ScriptDirectory",
    "ScriptDirectoryOptions",
    "ScriptEngine",
    "ScriptEngineName",
    "ScriptEngineOptions",
    "ScriptError",
    "ScriptErrorCode",
    "ScriptFailure",
    "ScriptHandle",
    "ScriptLimits",
    "ScriptResolverOptions",
    "ScriptResult",
    "ScriptShape",
    "Unresolved",
    "createIsolatedVmEngine",
    "createQuickJSEngine",
    "createScriptEngine",
    "createSupervisedEngine",
    "isUnresolved",
    "loadScriptDirectory",
    "loadScriptFile",
    "scriptId",
    "scriptResolver",
    "sharedScriptEngine",
    "toJsonValue",
  ],
  "@converge/script/browser": [
    "DEFAULT_LIMITS",
    "JsonValue",
    "QUICKJS_VERSION",
    "QuickJSWasmOptions",
    "RunStats",
    "ScriptEngine",
    "ScriptEngineName",
    "ScriptEngineOptions",
    "ScriptError",
    "ScriptErrorCode",
    "ScriptFailure",
    "ScriptHandle",
    "ScriptLimits",
    "ScriptResolverOptions",
    "ScriptResult",
    "ScriptShape",
    "Unresolved",
    "createQuickJSEngine",
    "createScriptEngine",
    "isUnresolved",
    "loadQuickJS",
    "scriptId",
    "scriptResolver",
    "sharedScriptEngine",
    "toJsonValue",
  ],
  "@converge/cli": [
    "CRASHED_ENV",
    "ENGINE_NAMES",
    "EXIT",
    "EngineName",
    "LAW_NAMES",
    "LawVerdict",
    "PROGRESS_ENV",
    "Replay",
    "SandboxRefusal",
    "SchemaError",
    "ScriptSyntaxError",
    "ValueSchema",
    "Verdict",
    "VerifyOptions",
    "VerifyReport",
    "checkSyntax",
    "crashReport",
    "genericJson",
    "isEngineName",
    "isSandboxCode",
    "junitReport",
    "main",
    "parseReplay",
    "replayToken",
    "schemaArbitrary",
    "verifyScript",
    "xmlText",
  ],
};

interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly exports?: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
}

const packages = fileURLToPath(new URL("../../packages/", import.meta.url));

/** Entry point name (`@converge/core/codec`) → its source file, from each package's exports map. */
function entryPoints(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const dir of readdirSync(packages)) {
    const manifest = JSON.parse(readFileSync(join(packages, dir, "package.json"), "utf8")) as Manifest;
    if (manifest.private === true) continue;
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (typeof target === "string") continue; // ./package.json
      const source = target["@converge/source"];
      if (source === undefined) throw new Error(`${manifest.name} ${subpath}: no @converge/source condition`);
      entries.set(join(manifest.name, subpath), join(packages, dir, source));
    }
  }
  return entries;
}

/** The names each entry point exports, types included, as the compiler resolves them. */
function exportedNames(files: readonly string[]): string[][] {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2024,
    customConditions: ["@converge/source"],
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  return files.map((file) => {
    const source = program.getSourceFile(file);
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (module === undefined) throw new Error(`${file} is not a module`);
    return checker
      .getExportsOfModule(module)
      .map((s) => s.getName())
      .sort();
  });
}

describe("public faces", () => {
  const entries = entryPoints();
  const names = exportedNames([...entries.values()]);
  const actual = Object.fromEntries([...entries.keys()].map((entry, i) => [entry, names[i]]));

  it("every published entry point is pinned, and nothing else", () => {
    expect(Object.keys(actual).sort()).toEqual(Object.keys(pinned).sort());
  });

  it.each(Object.keys(pinned))("%s exports exactly its pinned names", (entry) => {
    expect(actual[entry]).toEqual([...(pinned[entry] ?? [])].sort());
  });

  it("core's root stays small: at most 35 names, no encoding primitive or internal", () => {
    const root = actual["@converge/core"] ?? [];
    expect(root.length).toBeGreaterThan(0);
    expect(root.length).toBeLessThanOrEqual(35);
    for (const internal of ["CausalContext", "compileKeyRules", "resolverName", "Reader", "StateReader"])
      expect(root).not.toContain(internal);
  });

  it("the values a module exports at run time are among its pinned names", async () => {
    const modules: Record<string, Record<string, unknown>> = {
      "@converge/hlc": await import("@converge/hlc"),
      "@converge/core": await import("@converge/core"),
      "@converge/core/codec": await import("@converge/core/codec"),
      "@converge/resolvers": await import("@converge/resolvers"),
    };
    for (const [entry, module] of Object.entries(modules)) {
      const runtime = Object.keys(module);
      expect(runtime.length).toBeGreaterThan(0);
      expect(runtime.filter((name) => !pinned[entry]?.includes(name))).toEqual([]);
    }
  });
});
