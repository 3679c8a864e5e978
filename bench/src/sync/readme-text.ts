import type { SyncResult } from "./run-sync.ts";

/**
 * The prose above the sync tables in bench/README.md: what each number means, precisely enough
 * to reproduce it.
 */
export function syncReadmeText(r: SyncResult): string {
  return [
    "### Sync, side by side with Hocuspocus and y-websocket",
    "",
    `converge's server (\`@converge/server\`, clients through \`@converge/sync\` and \`@converge/websocket\`), Hocuspocus (\`@hocuspocus/server\` with \`@hocuspocus/provider\`) and y-websocket's server (\`@y/websocket-server\` with \`y-websocket\`'s provider) in the same run, on 127.0.0.1. The Yjs systems hold a \`Y.Map\` with the same keys and values converge's map holds. Each server runs alone in a child process forked for one system and one run, so its CPU (\`process.cpuUsage\`) and memory (RSS, and V8 heap plus external memory after two full GCs) are the server's alone; the clients run in the bench process on the platform's WebSocket. Systems take turns run by run.`,
    "",
    `- **Fan-out.** One document, N clients. In round r every client writes its own key \`c<i>:<r>\` (a small integer); one event-loop turn separates rounds, and round r starts only once the first observer has seen every write of round r − ${r.window} (a window of ${r.window} rounds in flight${r.window === 0 ? ": disabled, an unbounded burst" : ""}), so queues stay bounded. Presence/awareness is off (Yjs awareness renews every 15 s and would be relayed to every client). **ops/s** = writes made ÷ the time from the first write until every client has seen every other client's writes: operations the server merged and relayed to all N − 1 others, per second, end to end on one machine (the clients' own decoding shares the cores). **deliveries/s** = ops/s × (N − 1). **p50/p99**: the time from a write (\`performance.now()\` before the call) to the change event for that key on one of ${r.observers} observer clients, same process and clock, over every write of every other client. **server CPU/op**: the server process's user + system CPU during the write phase ÷ writes. **server mem/client**: the server's heap + external after GC with every client connected and synced, minus before the first connected, ÷ N (RSS likewise). The run also checks every client saw exactly N − 1 × writes remote changes and reads back written values.`,
    "- **Catch-up.** A writer fills K keys; a second client syncs them through a counting TCP relay and goes offline; the writer changes every key (new values, confirmed by a third client); the second client reconnects. **bytes**: everything on its TCP connection after the reconnect, both ways (HTTP upgrade, WebSocket framing, protocol, payload). **time to synced**: from the reconnect call until the client is synced and holds every new value (checked key by key against the values written). **bytes / Yjs's** compares with the smaller of the two Yjs systems.",
    "- **Idle documents.** D documents (`idle-<i>`), one client each with the provider's default presence, one key written per document; after a one-second settle, the server's heap + external after GC minus before any client, ÷ D (RSS likewise).",
    "",
    "A run that timed out or failed is listed in its row's note and left out of the medians; after a timeout, that system's later runs at that size are skipped (its runs cell shows completed/planned).",
  ].join("\n");
}
