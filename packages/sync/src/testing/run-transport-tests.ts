import { CloseCode, type CloseInfo, type Transport } from "../transport.ts";
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

/** Two connected, open transports, and how to dispose of whatever made them. */
export interface TransportPair {
  /** One end (the dialling side, for transports that have one). */
  readonly a: Transport;
  /** The other end. */
  readonly b: Transport;
  /** Called after each test, passed or failed (close servers, channels, sockets). */
  readonly teardown?: () => void | Promise<void>;
}

/** Options of {@link runTransportTests}. */
export interface TransportTestOptions {
  /** How long one expected event may take, in ms (default 5000). */
  readonly timeoutMs?: number;
  /** How long the kit watches for an event that must not happen, in ms (default 50). */
  readonly quietMs?: number;
  /** Size of the large frame, in bytes (default 1 MiB + 7); the transport's limit must allow it. */
  readonly largeFrameBytes?: number;
  /** How many frames the "many frames" test sends (default 2000). */
  readonly manyFrames?: number;
}

interface Recorder {
  readonly frames: Uint8Array[];
  readonly closes: CloseInfo[];
  /** Frames delivered after this end's onClose fired (must stay 0). */
  late: number;
  /** `isOpen()` as seen inside each onClose call (must be false). */
  readonly openInClose: boolean[];
}

function record(t: Transport): Recorder {
  const r: Recorder = { frames: [], closes: [], late: 0, openInClose: [] };
  t.onFrame((frame) => {
    if (r.closes.length > 0) r.late++;
    r.frames.push(frame);
  });
  t.onClose((info) => {
    r.closes.push(info);
    r.openInClose.push(t.isOpen());
  });
  return r;
}

/**
 * The contract every {@link Transport} keeps, as tests registered with the caller's framework:
 * whole frames in order both ways, bytes copied on send, a large frame (≥ 1 MiB), many frames,
 * empty frames; `send` never throws and drops after close; `close` is idempotent and fires
 * `onClose` exactly once on each end with the closer's code and reason (`local` true on the end
 * that closed); no frame reaches a listener after its end's `onClose`; listeners added after close
 * are never called; unsubscribing works; `pendingBytes()` is ≥ 0 and drains to 0; an object
 * spread from a transport works as it (its functions are called as methods).
 *
 * `setup` makes a fresh connected pair for each test (it may be async: a socket dial) and may
 * return a `teardown`, always called after the test.
 *
 * @example
 * import { describe, it } from "vitest";
 * import { memoryTransportPair } from "@converge/sync";
 * import { runTransportTests } from "@converge/sync/testing";
 * runTransportTests("memory", () => { const [a, b] = memoryTransportPair(); return { a, b }; }, { describe, it });
 */
export function runTransportTests(
  name: string,
  setup: () => TransportPair | Promise<TransportPair>,
  framework: ContractFramework,
  options: TransportTestOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 5000;
  const quietMs = options.quietMs ?? 50;
  const largeBytes = options.largeFrameBytes ?? 1024 * 1024 + 7;
  const many = options.manyFrames ?? 2000;
  const { describe, it } = framework;

  /** Registers one test on a fresh pair, tearing it down (and closing both ends) afterwards. */
  const test = (title: string, body: (a: Transport, b: Transport) => Promise<void>): void => {
    it(
      title,
      async () => {
        const pair = await setup();
        try {
          await body(pair.a, pair.b);
        } finally {
          pair.a.close();
          pair.b.close();
          await pair.teardown?.();
        }
      },
      timeoutMs * 4 + quietMs * 4,
    );
  };
  const until = (condition: () => boolean, what: () => string): Promise<void> =>
    waitFor(condition, timeoutMs, what);
  const closed = async (ra: Recorder, rb: Recorder): Promise<void> =>
    until(
      () => ra.closes.length > 0 && rb.closes.length > 0,
      () => `onClose on both ends (a: ${ra.closes.length}, b: ${rb.closes.length})`,
    );

  describe(`${name}: the Transport contract`, () => {
    test("both ends start open with nothing pending below zero", async (a, b) => {
      check(a.isOpen() && b.isOpen(), "a fresh pair is open on both ends");
      check(a.pendingBytes() >= 0 && b.pendingBytes() >= 0, "pendingBytes() ≥ 0");
    });

    test("delivers frames whole, once and in order, in both directions", async (a, b) => {
      const ra = record(a);
      const rb = record(b);
      const toB = Array.from({ length: 60 }, (_, i) => patternBytes((i * 37) % 300, i));
      const toA = Array.from({ length: 40 }, (_, i) => patternBytes((i * 53) % 500, 1000 + i));
      for (let i = 0; i < 60; i++) {
        a.send(toB[i] as Uint8Array);
        if (i < 40) b.send(toA[i] as Uint8Array);
      }
      await until(
        () => rb.frames.length >= 60 && ra.frames.length >= 40,
        () => `60 frames at b (has ${rb.frames.length}) and 40 at a (has ${ra.frames.length})`,
      );
      await sleep(quietMs);
      check(rb.frames.length === 60, `b received ${rb.frames.length} frames, 60 were sent`);
      check(ra.frames.length === 40, `a received ${ra.frames.length} frames, 40 were sent`);
      for (const [i, f] of toB.entries()) checkBytes(rb.frames[i], f, `frame ${i} a→b`);
      for (const [i, f] of toA.entries()) checkBytes(ra.frames[i], f, `frame ${i} b→a`);
    });

    test("copies the bytes: the sender may reuse its buffer, a view sends only its own bytes", async (a, b) => {
      const rb = record(b);
      const buffer = patternBytes(64, 7);
      const original = buffer.slice();
      a.send(buffer);
      buffer.fill(0xee); // reused right after send returned
      const backing = patternBytes(100, 8);
      const view = backing.subarray(10, 30);
      const viewCopy = view.slice();
      a.send(view);
      backing.fill(0xdd);
      await until(
        () => rb.frames.length >= 2,
        () => `2 frames (has ${rb.frames.length})`,
      );
      checkBytes(rb.frames[0], original, "a frame whose buffer the sender reused");
      checkBytes(rb.frames[1], viewCopy, "a frame sent as a view into a larger buffer");
    });

    test(`carries a large frame (${largeBytes} bytes) whole`, async (a, b) => {
      const rb = record(b);
      const ra = record(a);
      const large = patternBytes(largeBytes, 42);
      a.send(large);
      a.send(patternBytes(3, 43));
      b.send(large);
      await until(
        () => rb.frames.length >= 2 && ra.frames.length >= 1,
        () => `the large frames (b has ${rb.frames.length}/2, a ${ra.frames.length}/1)`,
      );
      checkBytes(rb.frames[0], large, "the large frame a→b");
      checkBytes(rb.frames[1], patternBytes(3, 43), "the small frame after it");
      checkBytes(ra.frames[0], large, "the large frame b→a");
    });

    test(`carries ${many} frames in order`, async (a, b) => {
      const rb = record(b);
      for (let i = 0; i < many; i++) a.send(patternBytes(1 + (i % 17), i));
      await until(
        () => rb.frames.length >= many,
        () => `${many} frames (has ${rb.frames.length})`,
      );
      await sleep(quietMs);
      check(rb.frames.length === many, `received ${rb.frames.length} frames, ${many} were sent`);
      for (let i = 0; i < many; i++) checkBytes(rb.frames[i], patternBytes(1 + (i % 17), i), `frame ${i}`);
    });

    test("carries empty frames, in their place", async (a, b) => {
      const rb = record(b);
      a.send(new Uint8Array(0));
      a.send(patternBytes(5, 1));
      a.send(new Uint8Array(0));
      await until(
        () => rb.frames.length >= 3,
        () => `3 frames (has ${rb.frames.length})`,
      );
      checkJson(
        rb.frames.map((f) => f.length),
        [0, 5, 0],
        "frame lengths",
      );
    });

    test("close fires onClose once on each end with the closer's code and reason", async (a, b) => {
      const ra = record(a);
      const rb = record(b);
      a.close(CloseCode.GOING_AWAY, "contract: bye");
      check(!a.isOpen(), "isOpen() is false right after close()");
      await closed(ra, rb);
      a.close(CloseCode.GOING_AWAY, "again");
      b.close(1000, "and from the other end");
      await sleep(quietMs);
      checkJson(
        ra.closes,
        [{ code: CloseCode.GOING_AWAY, reason: "contract: bye", local: true }],
        "a's onClose",
      );
      checkJson(
        rb.closes,
        [{ code: CloseCode.GOING_AWAY, reason: "contract: bye", local: false }],
        "b's onClose",
      );
      checkJson([...ra.openInClose, ...rb.openInClose], [false, false], "isOpen() inside onClose");
      check(!b.isOpen(), "the other end is closed after its onClose");
    });

    test("close() without arguments is a normal close (1000, empty reason)", async (a, b) => {
      const ra = record(a);
      const rb = record(b);
      b.close();
      await closed(ra, rb);
      await sleep(quietMs);
      checkJson(rb.closes, [{ code: 1000, reason: "", local: true }], "b's onClose");
      checkJson(ra.closes, [{ code: 1000, reason: "", local: false }], "a's onClose");
    });

    test("closing both ends at once still fires onClose exactly once on each", async (a, b) => {
      const ra = record(a);
      const rb = record(b);
      a.close(4001, "a");
      b.close(4002, "b");
      a.close();
      b.close();
      await closed(ra, rb);
      await sleep(quietMs);
      check(ra.closes.length === 1 && rb.closes.length === 1, "exactly one onClose per end");
      for (const info of [...ra.closes, ...rb.closes])
        check(info.code === 4001 || info.code === 4002, `close code ${info.code} is one of those given`);
    });

    test("send never throws, and frames sent after close are dropped", async (a, b) => {
      const ra = record(a);
      const rb = record(b);
      a.send(patternBytes(4, 1));
      await until(
        () => rb.frames.length === 1,
        () => "the frame sent before close",
      );
      a.close(4003, "done");
      try {
        a.send(patternBytes(4, 2));
        b.send(patternBytes(4, 3));
        await closed(ra, rb);
        a.send(patternBytes(4, 4));
        b.send(patternBytes(4, 5));
        a.send(new Uint8Array(0));
      } catch (error) {
        fail(`send threw after close: ${String(error)}`);
      }
      await sleep(quietMs);
      check(ra.late === 0 && rb.late === 0, `no frame after onClose (a: ${ra.late}, b: ${rb.late})`);
      check(
        rb.frames.length === 1,
        `b received ${rb.frames.length} frames; the one sent after close was not dropped`,
      );
      for (const frame of ra.frames)
        checkBytes(frame, patternBytes(4, 3), "the only frame a may get (sent by b before it saw the close)");
    });

    test("frames sent just before a close arrive as an in-order prefix, none after onClose", async (a, b) => {
      const ra = record(a);
      const rb = record(b);
      for (let i = 0; i < 20; i++) a.send(patternBytes(10, i));
      a.close(4004, "mid-stream");
      for (let i = 0; i < 20; i++) b.send(patternBytes(10, 100 + i));
      await closed(ra, rb);
      await sleep(quietMs);
      check(rb.late === 0 && ra.late === 0, `no frame after onClose (a: ${ra.late}, b: ${rb.late})`);
      for (const [i, f] of rb.frames.entries())
        checkBytes(f, patternBytes(10, i), `frame ${i} of the prefix at b`);
      for (const [i, f] of ra.frames.entries())
        checkBytes(f, patternBytes(10, 100 + i), `frame ${i} of the prefix at a`);
    });

    test("a listener that closes its own end mid-stream gets no frame after its onClose", async (a, b) => {
      const rb = record(b);
      const ra = record(a);
      let seen = 0;
      b.onFrame(() => {
        seen++;
        if (seen === 3) b.close(4005, "enough");
      });
      for (let i = 0; i < 50; i++) a.send(patternBytes(8, i));
      await closed(ra, rb);
      await sleep(quietMs);
      check(rb.late === 0, `b got ${rb.late} frames after its onClose`);
      checkJson(rb.closes, [{ code: 4005, reason: "enough", local: true }], "b's onClose");
      checkJson(ra.closes, [{ code: 4005, reason: "enough", local: false }], "a's onClose");
    });

    test("listeners added after close are never called", async (a, b) => {
      const ra = record(a);
      const rb = record(b);
      a.close(4006, "closed first");
      await closed(ra, rb);
      let calls = 0;
      for (const t of [a, b]) {
        t.onFrame(() => calls++);
        t.onClose(() => calls++);
      }
      a.send(patternBytes(3, 1));
      b.send(patternBytes(3, 2));
      a.close();
      b.close();
      await sleep(quietMs);
      check(calls === 0, `listeners added after close were called ${calls} times`);
    });

    test("unsubscribing stops that listener only", async (a, b) => {
      const ra = record(a);
      const rb = record(b);
      let gone = 0;
      let goneClose = 0;
      const offFrame = b.onFrame(() => gone++);
      const offClose = b.onClose(() => goneClose++);
      a.send(patternBytes(2, 1));
      await until(
        () => rb.frames.length === 1,
        () => "the first frame",
      );
      check(gone === 1, `the listener saw ${gone} frames before unsubscribing, not 1`);
      offFrame();
      offClose();
      offFrame(); // idempotent
      a.send(patternBytes(2, 2));
      await until(
        () => rb.frames.length === 2,
        () => "the second frame",
      );
      a.close(4007, "off");
      await closed(ra, rb);
      await sleep(quietMs);
      check(
        gone === 1 && goneClose === 0,
        `unsubscribed listeners were called (${gone - 1} frames, ${goneClose} closes)`,
      );
    });

    test("an object spread from a transport works as the transport (a wrapper's base)", async (a, b) => {
      // Wrappers spread a transport and replace a function or two: the copies must keep working,
      // called as methods of the copy.
      const wa: Transport = { ...a };
      const wb: Transport = { ...b };
      const ra = record(wa);
      const rb = record(wb);
      check(wa.isOpen() && wb.isOpen() && wa.pendingBytes() >= 0, "the copies are open");
      wa.send(patternBytes(5, 3));
      wb.send(patternBytes(7, 4));
      await until(
        () => rb.frames.length === 1 && ra.frames.length === 1,
        () => `a frame each way through the copies (a: ${ra.frames.length}, b: ${rb.frames.length})`,
      );
      checkBytes(rb.frames[0], patternBytes(5, 3), "frame a→b through the copies");
      checkBytes(ra.frames[0], patternBytes(7, 4), "frame b→a through the copies");
      wa.close(4008, "copy");
      await closed(ra, rb);
      check(!a.isOpen() && !wa.isOpen(), "closing the copy closed the transport");
      check(rb.closes[0]?.code === 4008, `the other end saw code ${rb.closes[0]?.code}, not 4008`);
    });

    test("pendingBytes() stays ≥ 0 and drains to 0 once the peer has everything", async (a, b) => {
      const rb = record(b);
      const frame = patternBytes(256 * 1024, 9);
      const seen: number[] = [];
      for (let i = 0; i < 8; i++) {
        a.send(frame);
        seen.push(a.pendingBytes());
      }
      for (const n of seen) check(Number.isFinite(n) && n >= 0, `pendingBytes() was ${n}`);
      await until(
        () => rb.frames.length === 8,
        () => `8 frames of 256 KiB (has ${rb.frames.length})`,
      );
      await until(
        () => a.pendingBytes() === 0,
        () => `pendingBytes() to drain (is ${a.pendingBytes()})`,
      );
      a.close();
      check(a.pendingBytes() >= 0, "pendingBytes() ≥ 0 after close");
    });
  });
}
