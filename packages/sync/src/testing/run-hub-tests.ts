import { isConvergeError } from "@converge/hlc";
import type { Hub, HubChannel, HubHandlers } from "../hub.ts";
import {
  type ContractFramework,
  check,
  checkBytes,
  checkJson,
  fail,
  patternBytes,
  sleep,
  waitFor,
} from "./contract-framework.ts";

/** Members on one fresh hub, and the hooks that take that hub down and up again. */
export interface HubHarness {
  /** The members, as many as asked for, each with its own id, none joined to anything. */
  readonly members: readonly Hub[];
  /** Makes the hub unreachable for every member (stop or pause the server behind it). */
  readonly down?: () => void | Promise<void>;
  /** Makes it reachable again. */
  readonly up?: () => void | Promise<void>;
  /** Called after each test, passed or failed (after the kit closed every member). */
  readonly teardown?: () => void | Promise<void>;
}

/** Options of {@link runHubTests}. */
export interface HubTestOptions {
  /** How long one expected event may take, in ms (default 5000); also the bound on a rejection while down. */
  readonly timeoutMs?: number;
  /** How long the kit watches for a message that must not arrive, in ms (default 50). */
  readonly quietMs?: number;
  /** Size of the large message, in bytes (default 1 MiB). */
  readonly largeBytes?: number;
  /** How many messages each of two senders sends in the order test (default 300). */
  readonly manyMessages?: number;
  /** Whether to run the outage laws, which need the harness's `down` and `up` (default true). */
  readonly outages?: boolean;
}

interface Heard {
  readonly from: string;
  readonly bytes: Uint8Array;
}

/** What one member heard on one document. */
interface Ear {
  readonly heard: Heard[];
  gaps: number;
  readonly handlers: HubHandlers;
}

function ear(): Ear {
  const e: Ear = {
    heard: [],
    gaps: 0,
    handlers: {
      onMessage: (from, bytes) => e.heard.push({ from, bytes }),
      onGap: () => {
        e.gaps++;
      },
    },
  };
  return e;
}

/** A message numbered `n` from sender `s`: 4 bytes of (s, n) then a pattern, checkable on arrival. */
function numbered(s: number, n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, s);
  new DataView(out.buffer).setUint32(4, n);
  return out;
}
const numberOf = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4);

/**
 * The contract every {@link Hub} keeps, as tests registered with the caller's framework:
 * member ids distinct; a publish reaches every other joined member of its document exactly once,
 * never the sender, never a member not joined, never another document; `sendTo` reaches only its
 * target (a target not joined is a no-op); bytes arrive intact (empty, every byte value, 1 MiB)
 * and are copied at publish; per (sender, document) order is kept; joining a document twice
 * rejects with `INVALID_CONFIG` and leaves the first join working; `leave` stops delivery and is
 * idempotent, and a member may join again; `close` is idempotent and stops delivery. With
 * `outages` (default): while down, `isUp()` is false, `onStatus(false)` fires, `publish` and
 * `sendTo` reject with `HUB_UNAVAILABLE` within `timeoutMs`; once up, `isUp()` is true,
 * `onStatus(true)` fires, every joined channel gets `onGap`, and delivery resumes.
 *
 * `setup(n)` makes `n` members on one fresh hub for each test; the kit closes every member after
 * the test, then calls `teardown`.
 *
 * @example
 * import { describe, it } from "vitest";
 * import { memoryHubNetwork } from "@converge/sync";
 * import { runHubTests } from "@converge/sync/testing";
 * runHubTests("memory", (n) => {
 *   const net = memoryHubNetwork();
 *   return { members: Array.from({ length: n }, () => net.member()),
 *     down: () => net.setDown(true), up: () => net.setDown(false) };
 * }, { describe, it });
 */
export function runHubTests(
  name: string,
  setup: (members: number) => HubHarness | Promise<HubHarness>,
  framework: ContractFramework,
  options: HubTestOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 5000;
  const quietMs = options.quietMs ?? 50;
  const largeBytes = options.largeBytes ?? 1024 * 1024;
  const many = options.manyMessages ?? 300;
  const { describe, it } = framework;

  const test = (
    title: string,
    n: number,
    body: (h: HubHarness, m: readonly Hub[]) => Promise<void>,
  ): void => {
    it(
      title,
      async () => {
        const h = await setup(n);
        try {
          check(h.members.length === n, `setup(${n}) made ${h.members.length} members`);
          await body(h, h.members);
        } finally {
          for (const m of h.members) await m.close();
          await h.teardown?.();
        }
      },
      timeoutMs * 6 + quietMs * 6,
    );
  };
  const until = (condition: () => boolean, what: () => string): Promise<void> =>
    waitFor(condition, timeoutMs, what);
  /** Joins every member to `doc`, returning their channels and ears. */
  const joinAll = async (
    members: readonly Hub[],
    doc: string,
  ): Promise<{ ch: HubChannel[]; ears: Ear[] }> => {
    const ears = members.map(() => ear());
    const ch: HubChannel[] = [];
    for (let i = 0; i < members.length; i++)
      ch.push(await (members[i] as Hub).join(doc, (ears[i] as Ear).handlers));
    return { ch, ears };
  };
  const at = <T>(xs: readonly T[], i: number): T => {
    const x = xs[i];
    if (x === undefined) fail(`no element ${i}`);
    return x;
  };
  const rejectsUnavailable = async (what: string, call: () => Promise<void>): Promise<void> => {
    const outcome = await Promise.race([
      call().then(
        () => "resolved" as const,
        (e: unknown) => e,
      ),
      sleep(timeoutMs).then(() => "pending" as const),
    ]);
    if (outcome === "resolved") fail(`${what} while down resolved; expected HUB_UNAVAILABLE`);
    if (outcome === "pending")
      fail(`${what} while down neither resolved nor rejected within ${timeoutMs} ms`);
    check(
      isConvergeError(outcome) && outcome.code === "HUB_UNAVAILABLE",
      `${what} while down rejected with ${String(outcome)}; expected code HUB_UNAVAILABLE`,
    );
  };

  describe(`${name}: the Hub contract`, () => {
    test("member ids are distinct, non-empty strings, and a fresh hub is up", 3, async (_h, m) => {
      const ids = m.map((x) => x.id);
      check(
        ids.every((id) => typeof id === "string" && id.length > 0),
        `ids ${JSON.stringify(ids)} are non-empty`,
      );
      check(new Set(ids).size === ids.length, `ids ${JSON.stringify(ids)} are distinct`);
      await until(
        () => m.every((x) => x.isUp()),
        () => "isUp() on every member of a fresh hub",
      );
    });

    test("a publish reaches every other joined member exactly once, never the sender", 4, async (_h, m) => {
      const { ch, ears } = await joinAll(m.slice(0, 3), "doc");
      const outsider = ear();
      await at(m, 3).join("other", outsider.handlers);
      for (let s = 0; s < 3; s++) await at(ch, s).publish(numbered(s, s));
      await until(
        () => ears.every((e) => e.heard.length >= 2),
        () => `two messages on each member (${ears.map((e) => e.heard.length)})`,
      );
      await sleep(quietMs);
      for (let r = 0; r < 3; r++) {
        const got = at(ears, r)
          .heard.map((x) => `${x.from}:${numberOf(x.bytes)}`)
          .sort();
        const want = [0, 1, 2]
          .filter((s) => s !== r)
          .map((s) => `${at(m, s).id}:${s}`)
          .sort();
        checkJson(got, want, `member ${r} heard (from:message)`);
      }
      check(outsider.heard.length === 0, `a member of another document heard ${outsider.heard.length}`);
    });

    test("sendTo reaches only its target; a target not joined is a no-op", 4, async (_h, m) => {
      const { ch, ears } = await joinAll(m.slice(0, 3), "doc");
      await at(ch, 0).sendTo(at(m, 2).id, numbered(0, 7));
      await at(ch, 0).sendTo(at(m, 3).id, numbered(0, 8));
      await at(ch, 0).sendTo("no-such-member", numbered(0, 9));
      await until(
        () => at(ears, 2).heard.length >= 1,
        () => "the target's message",
      );
      await sleep(quietMs);
      checkJson(
        at(ears, 2).heard.map((x) => [x.from, numberOf(x.bytes)]),
        [[at(m, 0).id, 7]],
        "what the target heard",
      );
      check(at(ears, 0).heard.length === 0, "the sender heard its own sendTo");
      check(at(ears, 1).heard.length === 0, "a bystander heard a sendTo");
    });

    test("documents are isolated, also on one member", 2, async (_h, m) => {
      const a = await joinAll(m, "a");
      const b = await joinAll(m, "b");
      await at(a.ch, 0).publish(numbered(0, 1));
      await at(b.ch, 0).publish(numbered(0, 2));
      await at(b.ch, 1).sendTo(at(m, 0).id, numbered(1, 3));
      await until(
        () =>
          at(a.ears, 1).heard.length >= 1 &&
          at(b.ears, 1).heard.length >= 1 &&
          at(b.ears, 0).heard.length >= 1,
        () => "one message on each channel",
      );
      await sleep(quietMs);
      checkJson(
        at(a.ears, 1).heard.map((x) => numberOf(x.bytes)),
        [1],
        "document a at member 1",
      );
      checkJson(
        at(b.ears, 1).heard.map((x) => numberOf(x.bytes)),
        [2],
        "document b at member 1",
      );
      checkJson(
        at(b.ears, 0).heard.map((x) => numberOf(x.bytes)),
        [3],
        "document b at member 0",
      );
      check(at(a.ears, 0).heard.length === 0, "a sendTo on document b reached document a");
    });

    test("bytes arrive intact: empty, every byte value, 1 MiB; copied at publish", 2, async (_h, m) => {
      const { ch, ears } = await joinAll(m, "bytes");
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const large = patternBytes(largeBytes, 5);
      const mutated = patternBytes(64, 9);
      const expected = [new Uint8Array(0), all, large, mutated.slice()];
      for (const b of [new Uint8Array(0), all, large, mutated]) await at(ch, 0).publish(b);
      mutated.fill(0);
      await until(
        () => at(ears, 1).heard.length >= 4,
        () => `four messages (${at(ears, 1).heard.length})`,
      );
      await sleep(quietMs);
      check(at(ears, 1).heard.length === 4, `${at(ears, 1).heard.length} messages, expected 4`);
      for (const [i, b] of expected.entries()) checkBytes(at(ears, 1).heard[i]?.bytes, b, `message ${i}`);
    });

    test("per (sender, document) order is kept", 3, async (_h, m) => {
      const { ch, ears } = await joinAll(m, "order");
      const sends: Promise<void>[] = [];
      for (let n = 0; n < many; n++) {
        sends.push(at(ch, 0).publish(numbered(0, n)));
        sends.push(at(ch, 1).publish(numbered(1, n)));
      }
      await Promise.all(sends);
      await until(
        () => at(ears, 2).heard.length >= 2 * many,
        () => `${2 * many} messages (${at(ears, 2).heard.length})`,
      );
      for (const s of [0, 1]) {
        const seq = at(ears, 2)
          .heard.filter((x) => x.from === at(m, s).id)
          .map((x) => numberOf(x.bytes));
        checkJson(seq, [...Array(many).keys()], `sender ${s}'s messages in order`);
      }
    });

    test(
      "joining a document twice rejects with INVALID_CONFIG; the first join keeps working",
      2,
      async (_h, m) => {
        const { ch, ears } = await joinAll(m, "twice");
        const again = await at(m, 1)
          .join("twice", ear().handlers)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        check(
          isConvergeError(again) && again.code === "INVALID_CONFIG",
          `a second join gave ${String(again)}; expected INVALID_CONFIG`,
        );
        await at(ch, 0).publish(numbered(0, 1));
        await until(
          () => at(ears, 1).heard.length === 1,
          () => "the first join still hears",
        );
      },
    );

    test("leave stops delivery, is idempotent, and a member can join again", 2, async (_h, m) => {
      const { ch, ears } = await joinAll(m, "leave");
      await at(ch, 1).leave();
      await at(ch, 1).leave();
      await at(ch, 0).publish(numbered(0, 1));
      await at(ch, 0).sendTo(at(m, 1).id, numbered(0, 2));
      await sleep(quietMs);
      check(at(ears, 1).heard.length === 0, `a member that left heard ${at(ears, 1).heard.length}`);
      const back = ear();
      await at(m, 1).join("leave", back.handlers);
      await at(ch, 0).publish(numbered(0, 3));
      await until(
        () => back.heard.length === 1,
        () => "the rejoined member hears",
      );
      checkJson(
        back.heard.map((x) => numberOf(x.bytes)),
        [3],
        "after rejoining",
      );
      check(at(ears, 1).heard.length === 0, "the old handlers heard after rejoining");
    });

    test("close is idempotent and stops delivery; the others carry on", 3, async (_h, m) => {
      const { ch, ears } = await joinAll(m, "close");
      await at(m, 2).close();
      await at(m, 2).close();
      await at(ch, 0).publish(numbered(0, 1));
      await until(
        () => at(ears, 1).heard.length === 1,
        () => "the open member hears",
      );
      await sleep(quietMs);
      check(at(ears, 2).heard.length === 0, `a closed member heard ${at(ears, 2).heard.length}`);
    });

    if (options.outages === false) return;

    test(
      "while down: isUp false, onStatus, publish and sendTo reject; once up: onGap, delivery resumes",
      2,
      async (h, m) => {
        if (h.down === undefined || h.up === undefined)
          fail("the outage laws need the harness's down() and up()");
        const { ch, ears } = await joinAll(m, "outage");
        const status: boolean[][] = m.map(() => []);
        const off = m.map((x, i) => x.onStatus((up) => at(status, i).push(up)));
        const silent: boolean[] = [];
        at(m, 0).onStatus((up) => silent.push(up))();
        await h.down();
        await until(
          () => m.every((x) => !x.isUp()),
          () => "isUp() false on every member",
        );
        await rejectsUnavailable("publish", () => at(ch, 0).publish(numbered(0, 1)));
        await rejectsUnavailable("sendTo", () => at(ch, 0).sendTo(at(m, 1).id, numbered(0, 2)));
        await until(
          () => status.every((s) => s.includes(false)),
          () => `onStatus(false) on every member (${JSON.stringify(status)})`,
        );
        await h.up();
        await until(
          () => m.every((x) => x.isUp()),
          () => "isUp() true again",
        );
        await until(
          () => status.every((s) => s.at(-1) === true) && ears.every((e) => e.gaps >= 1),
          () =>
            `onStatus(true) and onGap on every member (${JSON.stringify(status)}, gaps ${ears.map((e) => e.gaps)})`,
        );
        check(silent.length === 0, "an unsubscribed status listener was called");
        for (const o of off) o();
        // Delivery resumes: a publish that resolves now arrives (retry while the hub settles).
        const before = at(ears, 1).heard.length;
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const ok = await at(ch, 0)
            .publish(numbered(0, 3))
            .then(
              () => true,
              () => false,
            );
          if (ok) break;
          if (Date.now() > deadline) fail("publish still rejects after up()");
          await sleep(20);
        }
        await until(
          () =>
            at(ears, 1)
              .heard.slice(before)
              .some((x) => numberOf(x.bytes) === 3),
          () => "a message published after up()",
        );
      },
    );
  });
}
