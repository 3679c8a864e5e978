import { createReplicatedMap, type ReplicatedMapOptions } from "@converge/core";
import type { ConvergeError } from "@converge/hlc";
import { refusalError } from "./_internals/refusal-error.ts";
import { SyncError } from "./errors.ts";
import { startSession } from "./session.ts";
import type { OpenDocumentOptions, SyncSession } from "./session-types.ts";

/**
 * Joins a document knowing only its name: the hello carries no fingerprint, the server answers
 * with the document's rules manifest, `options.rules` builds key rules from it, and the session
 * creates the map (with `options.map`'s options) and syncs it as {@link connect} does. Resolves
 * once the map exists (after the first welcome); rejects with the refusal when the session ends
 * before (`UNAUTHORIZED`, `FORBIDDEN`, `UNKNOWN_DOCUMENT`, or `CONFIG_MISMATCH` when the rules
 * built from the manifest do not have the manifest's fingerprint).
 *
 * @example
 * const session = await openDocument({ document: "shop", dial, rules: rulesFromManifest });
 * session.map.set("price:apple", 120);
 */
export function openDocument(
  options: OpenDocumentOptions & { readonly map?: Omit<ReplicatedMapOptions, "resolvers"> },
): Promise<SyncSession> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const session = startSession(
      {
        kind: "manifest",
        open: async (welcome) => {
          if (welcome.manifest === null)
            throw new SyncError("FRAME_MALFORMED", "welcome without the manifest asked for");
          const map = createReplicatedMap({
            ...options.map,
            resolvers: await options.rules(welcome.manifest),
          });
          if (map.fingerprint === welcome.fingerprint) return map;
          return refusalError("CONFIG_MISMATCH", "the manifest's rules do not match the document's", {
            expected: welcome.fingerprint,
            received: map.fingerprint,
          });
        },
      },
      options,
      (error?: ConvergeError) => {
        if (settled) return;
        settled = true;
        if (error === undefined) resolve(session);
        else reject(error);
      },
    );
  });
}
