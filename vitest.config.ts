import { defineConfig } from "vitest/config";

// Tests always run against src/ through the "@converge/source" export condition, never dist/.
const conditions = ["@converge/source", "module", "node", "import", "default"];
const report = process.env["CONVERGE_TEST_REPORT"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@converge/source"] } },
  test: {
    globalSetup: ["./vitest.global-setup.ts"],
    setupFiles: ["./vitest.setup.ts"],
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
    projects: [
      { extends: true, test: { name: "hlc", include: ["packages/hlc/test/**/*.test.ts"] } },
      { extends: true, test: { name: "core", include: ["packages/core/test/**/*.test.ts"] } },
      { extends: true, test: { name: "resolvers", include: ["packages/resolvers/test/**/*.test.ts"] } },
      {
        extends: true,
        // isolated-vm wants Node's startup snapshot off.
        test: {
          name: "script",
          include: ["packages/script/test/**/*.test.ts"],
          execArgv: ["--no-node-snapshot"],
        },
      },
      {
        extends: true,
        test: { name: "cli", include: ["packages/cli/test/**/*.test.ts"], execArgv: ["--no-node-snapshot"] },
      },
      { extends: true, test: { name: "sync", include: ["packages/sync/test/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "store-indexeddb", include: ["packages/store-indexeddb/test/**/*.test.ts"] },
      },
      { extends: true, test: { name: "store-sqlite", include: ["packages/store-sqlite/test/**/*.test.ts"] } },
      { extends: true, test: { name: "redis", include: ["packages/redis/test/**/*.test.ts"] } },
      { extends: true, test: { name: "rules", include: ["packages/rules/test/**/*.test.ts"] } },
      { extends: true, test: { name: "server", include: ["packages/server/test/**/*.test.ts"] } },
      { extends: true, test: { name: "websocket", include: ["packages/websocket/test/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "broadcast-channel", include: ["packages/broadcast-channel/test/**/*.test.ts"] },
      },
      { extends: true, test: { name: "yjs", include: ["packages/yjs/test/**/*.test.ts"] } },
      { extends: true, test: { name: "convergence", include: ["test/src/**/*.test.ts"] } },
      { extends: true, test: { name: "bench", include: ["bench/test/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "examples", include: ["examples/**/*.test.ts"], execArgv: ["--no-node-snapshot"] },
      },
    ],
  },
});
