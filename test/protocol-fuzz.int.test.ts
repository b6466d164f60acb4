import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { MAX_FRAME_BYTES, MAX_ROOMS_PER_CONNECTION } from '@roomcast/contracts';
import { uniqueId, waitFor } from '@roomcast/testing';
import {
  FrameFuzzer,
  framingCases,
  ODD_ROOMS,
  socketSeed,
  type RefreshTokenCase,
} from './harness/frame-fuzz';
import {
  FailureLog,
  FuzzSocket,
  heapAfterGc,
  heapProbeEnv,
  OutcomeTally,
  rawCloseCode,
  rssMiB,
  SeqViewer,
} from './harness/fuzz-run';
import { startEmbeddedStack, type Stack } from './harness/stacks';

// The protocol fuzz (issue 12, item 5; docs/protocol.md "Fuzzing"): FRAMES malformed and edge-case
// frames from SOCKETS sockets against the embedded start run as its own process, while a sender
// chats in a room that viewers (v1 and v2) watch. Every frame must get its documented answer (a
// typed error, a reply, or a documented close code), the process must stay up with a bounded
// RSS, and the viewers must keep getting the room's messages in seq order with no gap.

/** Replays a run: the seed is printed with every failure. */
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 0x5eed2026;
/**
 * Frames sent by the fuzz sockets. About 72% are malformed as frames (BAD_FRAME, FRAME_TOO_LARGE or
 * a close); the rest are valid frames with odd content (prototype keys, unicode, extra fields, bad
 * tokens, rooms past the cap). 140 000 makes the malformed ones at least 100 000.
 */
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 140_000);
const MIN_MALFORMED = 100_000;
/** Parallel fuzz sockets, and frames each keeps in flight (the gateway answers in order). */
const SOCKETS = 4;
const WINDOW = 32;
/** The live room's sender: 50 chats/s for the whole run. */
const SENDER_INTERVAL_MS = 20;
const SAMPLE_EVERY_MS = 1000;
/** A frame with no answer for this long is a failure (a hung socket or a dead gateway). */
const REPLY_TIMEOUT_MS = 10_000;
/** Viewers get each live message within this long of its acceptance, even mid-fuzz. */
const MAX_DELIVERY_LAG_MS = 5000;
/**
 * Memory growth allowed over the run, measured after a full GC at both ends (see below): heap +
 * external, a base plus an allowance per accepted message (kept on purpose); and RSS.
 */
const LIVE_GROWTH_BASE_MIB = 12;
const LIVE_GROWTH_PER_MESSAGE_KIB = 8;
const RSS_GROWTH_LIMIT_MIB = 256;

describe('protocol fuzz: malformed frames against the embedded gateway process', () => {
  let stack: Stack | undefined;
  const heapFile = join(tmpdir(), `${uniqueId('fuzz-heap')}.jsonl`);
  beforeAll(async () => {
    stack = await startEmbeddedStack({
      // Reads memory after a full GC on demand (test/harness/heap-probe.cjs).
      ...heapProbeEnv(heapFile),
      // Rate limits are not what is fuzzed: the live sender (50/s) and the fuzz sockets' valid
      // chats, likes and catch-up joins must not be refused by them (per socket and per user).
      WS_CHAT_RATE_PER_SEC: '1000',
      WS_CHAT_BURST: '1000',
      CATCHUP_RATE_PER_SEC: '1000',
      CATCHUP_BURST: '1000',
      USER_LIKES_PER_SEC: '1000000',
      USER_LIKES_BURST: '1000000',
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    rmSync(heapFile, { force: true });
  }, 60_000);

  it(`answers ${FRAMES} fuzzed frames as documented, stays up with bounded RSS, and viewers keep their seq order`, async () => {
    if (!stack) throw new Error('stack did not start');
    const proc = stack.processes[0];
    const pid = proc?.child.pid;
    if (!proc || pid === undefined) throw new Error('no embedded process');
    const url = stack.gatewayUrls[0] as string;
    const failures = new FailureLog();
    const tally = new OutcomeTally();

    // Viewers: the live room in v1 and v2, and the odd rooms the fuzz sockets chat in.
    const live = uniqueId('fuzz-live');
    const viewerV2 = new SeqViewer('live-viewer-v2', failures);
    const viewerV1 = new SeqViewer('live-viewer-v1', failures);
    const sender = new SeqViewer('live-sender', failures);
    const oddA = new SeqViewer('odd-viewer-a', failures);
    const oddB = new SeqViewer('odd-viewer-b', failures);
    const sockets: FuzzSocket[] = [];
    try {
      await viewerV2.open(`${url}?token=${await stack.token('live-viewer-v2')}&protocol=2`, [live]);
      await viewerV1.open(`${url}?token=${await stack.token('live-viewer-v1')}`, [live]);
      await sender.open(`${url}?token=${await stack.token('live-sender')}&protocol=2`, [live]);
      await oddA.open(
        `${url}?token=${await stack.token('odd-viewer-a')}&protocol=2`,
        ODD_ROOMS.slice(0, MAX_ROOMS_PER_CONNECTION),
      );
      await oddB.open(
        `${url}?token=${await stack.token('odd-viewer-b')}&protocol=2`,
        ODD_ROOMS.slice(MAX_ROOMS_PER_CONNECTION),
      );
      const liveViewers = [viewerV2, viewerV1, sender];

      let sentTotal = 0;
      for (let i = 0; i < SOCKETS; i++) {
        const userId = `fuzz-${i}`;
        const fuzzer = new FrameFuzzer(socketSeed(SEED, i), {
          userId,
          maxFrameBytes: MAX_FRAME_BYTES,
          maxRooms: MAX_ROOMS_PER_CONNECTION,
          refreshTokens: await refreshTokens(stack, userId),
        });
        sockets.push(
          new FuzzSocket({
            url: `${url}?token=${await stack.token(userId)}${i % 2 === 0 ? '&protocol=2' : ''}`,
            name: userId,
            fuzzer,
            window: WINDOW,
            replyTimeoutMs: REPLY_TIMEOUT_MS,
            tally,
            failures,
            onSent: () => void sentTotal++,
            // A client cannot choose its user id or raise its message's priority.
            checkMessage: (m) =>
              !/^fuzz-\d+$/.test(m.userId)
                ? `userId ${m.userId}`
                : m.priority !== undefined
                  ? `priority ${m.priority}`
                  : undefined,
          }),
        );
      }
      await Promise.all(sockets.map((s) => s.open()));

      const memBefore = await heapAfterGc(pid, heapFile);
      const samples: { ms: number; sent: number; rssMiB: number; acked: number; delivered: number[] }[] = [];
      const started = Date.now();
      const sample = (): void => {
        const rss = rssMiB(pid);
        samples.push({
          ms: Date.now() - started,
          sent: sentTotal,
          rssMiB: round(rss),
          acked: sender.acked.length,
          delivered: liveViewers.map((v) => v.lastSeq.get(live) ?? 0),
        });
      };
      const sampler = setInterval(sample, SAMPLE_EVERY_MS);
      sender.startSending(live, SENDER_INTERVAL_MS);

      const quota = Math.ceil(FRAMES / SOCKETS);
      const runs = await Promise.allSettled(sockets.map((s) => s.run(quota)));
      // Below the message level: frames the WebSocket layer refuses, each on a socket of its own.
      const exited = (): boolean => proc.child.exitCode !== null || proc.child.signalCode !== null;
      const framing = framingCases(SEED, MAX_FRAME_BYTES);
      const framingUrl = `${url}?token=${await stack.token('fuzz-framing')}`;
      for (const c of exited() ? [] : framing) {
        const got = await rawCloseCode(framingUrl, c.bytes);
        tally.add('ws-framing', typeof got === 'number' ? `close:${got}` : 'no close');
        if (got !== c.code)
          failures.add(
            `want close:${c.code}, got ${typeof got === 'number' ? `close:${got}` : got}`,
            `ws-framing: ${c.label}: ${got}`,
          );
      }
      const fuzzMs = Date.now() - started;
      sample();
      clearInterval(sampler);
      for (const r of runs)
        if (r.status === 'rejected')
          failures.add('fuzz socket stopped', `fuzz socket stopped: ${String(r.reason)}`);

      // Every live message acked, then delivered to every viewer.
      sender.stopSending();
      if (!exited())
        await waitFor(
          () =>
            sender.acked.length === sender.sent.length &&
            liveViewers.every((v) => v.lastSeq.get(live) === sender.acked.length),
          'live messages acked and delivered',
          15_000,
          50,
        ).catch((err: unknown) => failures.add('live messages not all delivered', String(err)));
      const memAfter = exited() ? undefined : await heapAfterGc(pid, heapFile);

      // The process is up and serves a new connection.
      const problems: string[] = [];
      if (exited())
        problems.push(
          `the gateway process exited (${proc.child.exitCode ?? proc.child.signalCode}); its last output:\n${proc.output()}`,
        );
      else {
        const ready = await fetch(`${stack.historyUrl}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
          (r) => r.status,
          (err: unknown) => String(err),
        );
        if (ready !== 200) problems.push(`/readyz after the fuzz: ${ready}`);
        const pong = await pingOnce(`${url}?token=${await stack.token('after-fuzz')}`).catch((err: unknown) =>
          String(err),
        );
        if (pong !== 'pong') problems.push(`a new connection after the fuzz: ${pong}`);
      }

      // Viewers: in order without gaps (checked per frame), everything the sender sent, in send
      // order; and never stalled while acked messages waited for them.
      for (const v of liveViewers) {
        const got = v.received.get(live) ?? [];
        if (got.length !== sender.sent.length || got.some((id, i) => id !== sender.sent[i]))
          problems.push(
            `${v.name}: ${got.length} live messages of ${sender.sent.length} sent, or not in send order`,
          );
        if (v.maxLagMs > MAX_DELIVERY_LAG_MS)
          problems.push(`${v.name}: a live message took ${v.maxLagMs} ms`);
      }
      for (let i = 1; i < samples.length; i++) {
        const [prev, cur] = [samples[i - 1], samples[i]];
        if (!prev || !cur) continue;
        liveViewers.forEach((v, k) => {
          if ((prev.delivered[k] ?? 0) < prev.acked && (cur.delivered[k] ?? 0) <= (prev.delivered[k] ?? 0))
            problems.push(
              `${v.name}: no live message between ${prev.ms} and ${cur.ms} ms though ${prev.acked - (prev.delivered[k] ?? 0)} were due`,
            );
        });
      }
      if (sender.sent.length < (fuzzMs / SENDER_INTERVAL_MS) * 0.5)
        problems.push(`the sender sent only ${sender.sent.length} in ${fuzzMs} ms`);

      // Memory of the embedded process (the gateway and every service on in-memory twins), after a
      // full GC at both ends. Without one, RSS mostly shows garbage V8 has not collected yet: it
      // peaked ~100 MiB above the start in runs that retained 15-21. What a run keeps on purpose is
      // every accepted message (the live room's 50/s and the fuzz sockets' chats, 2 000-3 500) in
      // the in-memory bus topics, history store and recent cache, and per-room state of the fuzz
      // rooms: heap + external grew ~8 MiB + ~4 KiB per message in our runs (15.4 MiB at 1 947
      // messages, 21.1 at 3 417), and <1 MiB over 2 000 reconnects or 50 000 bad frames alone. The
      // allowance, 12 MiB + 8 KiB per message, leaves 12-25 MiB of headroom. Checked by hand: a
      // gateway keeping a 100-character string per frame (~200 B) grew 35.5 MiB against 27.2 over
      // 100 000 frames and failed; one keeping each bad frame's Buffer grew 60.6 against 36.2. RSS after the GC moved
      // 3-30 MiB on an idle box (pages V8 and malloc keep; more with more reconnects), and 91 MiB in
      // one CI run where the fuzz took 52 s instead of 22 beside the browser and real-stack suites
      // (heap + external grew 24.3 MiB there, within its limit), 128.5 and 142 MiB in two later
      // ones of 75-77 s (heap + external 24.5 and 27.2 of 46.9) — in one RSS levelled off for the
      // last quarter of the frames, in the other it grew 77 MiB there: it follows how V8 and malloc
      // keep pages on a loaded box, not what the process holds. So the leak check is heap +
      // external (a leak of 1.5 KiB per frame grew it 252 MiB against a limit of 37.5), and RSS only
      // a backstop against a gross native leak: RSS_GROWTH_LIMIT_MIB over the run (~1.9 KiB per
      // frame at 140 000 frames).
      const accepted = sender.acked.length + (tally.totals().ack ?? 0);
      const liveLimit = LIVE_GROWTH_BASE_MIB + (accepted * LIVE_GROWTH_PER_MESSAGE_KIB) / 1024;
      const liveGrowth = memAfter
        ? memAfter.heapUsedMiB + memAfter.externalMiB - (memBefore.heapUsedMiB + memBefore.externalMiB)
        : NaN;
      if (memAfter && liveGrowth > liveLimit)
        problems.push(
          `heap + external grew ${round(liveGrowth)} MiB, limit ${round(liveLimit)} for ${accepted} accepted messages: ${JSON.stringify({ memBefore, memAfter })}`,
        );
      if (memAfter && memAfter.rssMiB - memBefore.rssMiB > RSS_GROWTH_LIMIT_MIB)
        problems.push(
          `RSS after a full GC grew ${round(memAfter.rssMiB - memBefore.rssMiB)} MiB (limit ${RSS_GROWTH_LIMIT_MIB}): ${round(memBefore.rssMiB)} -> ${round(memAfter.rssMiB)} MiB`,
        );

      // The odd rooms' viewers checked the seq order of the fuzz sockets' chats there.
      const oddRooms = Object.fromEntries([...oddA.lastSeq, ...oddB.lastSeq].filter(([, n]) => n > 0));
      if ((tally.totals().ack ?? 0) > 0 && Object.keys(oddRooms).length === 0)
        problems.push('the fuzz sockets had chats acked, but no odd-room viewer got a message');

      const sent = sockets.reduce((s, x) => s + x.sent, 0);
      const framingSent = framing.length;
      if (sent < FRAMES) problems.push(`only ${sent} of ${FRAMES} frames sent`);
      const malformed = sockets.reduce((s, x) => s + x.malformed, 0) + framing.length;
      if (process.env.FUZZ_FRAMES === undefined && malformed < MIN_MALFORMED)
        problems.push(
          `only ${malformed} malformed frames of ${sent + framing.length} (the generator's mix changed?)`,
        );
      const summary = {
        seed: SEED,
        frames: sent,
        malformed,
        framingFrames: framingSent,
        sockets: SOCKETS,
        fuzzMs,
        framesPerSec: Math.round(sent / (fuzzMs / 1000)),
        reconnects: sockets.reduce((s, x) => s + x.reconnects, 0),
        outcomes: tally.totals(),
        byFamily: tally.toJSON(),
        memoryMiB: {
          afterGcBefore: roundAll(memBefore),
          afterGcAfter: memAfter && roundAll(memAfter),
          rssMaxDuringRun: Math.max(...samples.map((s) => s.rssMiB).filter(Number.isFinite)),
          liveGrowth: round(liveGrowth),
          liveLimit: round(liveLimit),
          acceptedMessages: accepted,
        },
        live: {
          sent: sender.sent.length,
          acked: sender.acked.length,
          delivered: liveViewers.map((v) => v.lastSeq.get(live) ?? 0),
          maxLagMs: liveViewers.map((v) => v.maxLagMs),
        },
        oddRooms,
        failures: Object.fromEntries(failures.byKind),
        samples: samples.map((s) => `${s.ms}ms:${s.sent}f:${s.rssMiB}MiB`).join(' '),
      };
      console.log(`protocol fuzz: ${JSON.stringify(summary)}`);

      if (failures.count > 0)
        problems.push(
          `${failures.count} failures: ${JSON.stringify(Object.fromEntries(failures.byKind))}; the first of each kind:`,
          ...failures.kept,
        );
      if (problems.length > 0)
        throw new Error(
          `protocol fuzz failed (replay: FUZZ_SEED=${SEED} FUZZ_FRAMES=${FRAMES}):\n${problems.join('\n')}`,
        );
    } finally {
      for (const s of sockets) s.close();
      for (const v of [viewerV2, viewerV1, sender, oddA, oddB]) v.close();
    }
  }, 300_000);
});

function round(mib: number): number {
  return Math.round(mib * 10) / 10;
}

function roundAll<T extends object>(o: T): T {
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]),
  ) as T;
}

/** A fresh connection: welcome, then a ping answered by a pong. */
async function pingOnce(url: string): Promise<string> {
  const ws = new WebSocket(url);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<string>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('no pong within 5 s')), 5000);
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as { type: string };
        if (f.type === 'welcome') ws.send(JSON.stringify({ type: 'ping', reqId: 'after' }));
        // The reply to the ping (or what came instead); the inbox sent at connect is not it.
        else if (f.type !== 'inbox') resolve(f.type);
      });
      ws.once('close', (code) => reject(new Error(`closed with ${code}`)));
      ws.once('error', reject);
    });
  } finally {
    clearTimeout(timer);
    ws.close();
  }
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A JWT with exactly this header and payload text, signed with `secret` (HS256/HS384) or not at all (none). */
function jwt(secret: string, header: string, payload: object): string {
  const alg = (JSON.parse(header) as { alg?: string }).alg;
  const input = `${b64url(header)}.${b64url(JSON.stringify(payload))}`;
  if (alg !== 'HS256' && alg !== 'HS384') return `${input}.`;
  return `${input}.${createHmac(alg === 'HS256' ? 'sha256' : 'sha384', secret)
    .update(input)
    .digest('base64url')}`;
}

/** `refresh` tokens for `userId`, each with its documented outcome (docs/protocol.md, `refresh`). */
async function refreshTokens(stack: Stack, userId: string): Promise<RefreshTokenCase[]> {
  const s = stack.jwtSecret;
  const now = Math.floor(Date.now() / 1000);
  const HS256 = '{"alg":"HS256","typ":"JWT"}';
  const claims = { sub: userId, exp: now + 7200 };
  return [
    { label: 'valid, 2 h', token: await stack.token(userId, 7200), outcome: 'refreshed' },
    { label: 'expired', token: jwt(s, HS256, { sub: userId, exp: now - 60 }), outcome: 'TOKEN_EXPIRED' },
    { label: 'another user', token: await stack.token('someone-else'), outcome: 'UNAUTHORIZED' },
    {
      label: 'user __proto__',
      token: jwt(s, HS256, { sub: '__proto__', exp: now + 7200 }),
      outcome: 'UNAUTHORIZED',
    },
    { label: 'wrong secret', token: jwt('not-the-secret', HS256, claims), outcome: 'UNAUTHORIZED' },
    { label: 'alg none', token: jwt(s, '{"alg":"none"}', claims), outcome: 'UNAUTHORIZED' },
    { label: 'HS384', token: jwt(s, '{"alg":"HS384"}', claims), outcome: 'UNAUTHORIZED' },
    {
      label: 'alg none behind __proto__',
      token: jwt(s, '{"alg":"none","__proto__":{"alg":"HS256"}}', claims),
      outcome: 'UNAUTHORIZED',
    },
    { label: 'no exp', token: jwt(s, HS256, { sub: userId }), outcome: 'UNAUTHORIZED' },
    {
      label: 'exp a string',
      token: jwt(s, HS256, { sub: userId, exp: String(now + 7200) }),
      outcome: 'UNAUTHORIZED',
    },
    { label: 'sub a number', token: jwt(s, HS256, { sub: 12345, exp: now + 7200 }), outcome: 'UNAUTHORIZED' },
    {
      label: 'nbf in an hour',
      token: jwt(s, HS256, { ...claims, nbf: now + 3600 }),
      outcome: 'UNAUTHORIZED',
    },
    { label: 'not a JWT', token: 'not-a-jwt', outcome: 'UNAUTHORIZED' },
    { label: 'three dots', token: '...', outcome: 'UNAUTHORIZED' },
    { label: 'bad base64', token: '@@@.###.$$$', outcome: 'UNAUTHORIZED' },
    // exp need not be an integer (RFC 7519 NumericDate), nor close.
    {
      label: 'fractional exp',
      token: jwt(s, HS256, { sub: userId, exp: now + 7200.1234 }),
      outcome: 'refreshed',
    },
    { label: 'exp in year 318857', token: jwt(s, HS256, { sub: userId, exp: 1e13 }), outcome: 'refreshed' },
  ];
}
