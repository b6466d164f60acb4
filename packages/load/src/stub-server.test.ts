import { once } from 'node:events';
import WebSocket from 'ws';
import { CLOSE_CODES, MessagesFrame } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { consolidateRooms } from './accounting';
import type { ResultMessage, WorkerMessage } from './ipc';
import type { LoadOptions, LoadProtocol } from './options';
import { buildPlan } from './plan';
import { parseStubCli } from './stub-args';
import {
  startStubServer,
  type StubServer,
  type StubServerOptions,
} from './stub-server';
import { LoadWorker } from './worker';

function optionsFor(url: string, protocol: LoadProtocol): LoadOptions {
  return {
    urls: [url],
    rooms: 2,
    viewers: 3,
    senders: 1,
    rate: 40,
    giftsPerSec: 0,
    durationSec: 0.5,
    rampSec: 0,
    likesPerSec: 10,
    sizeBytes: 40,
    tokenSecret: 'any',
    workers: 1,
    target: 'roomcast',
    protocol,
    resume: false,
    drainSec: 2,
    sourceAddresses: [],
    requestTimeoutMs: 5000,
    jsonPath: undefined,
    htmlPath: undefined,
    label: undefined,
  };
}

/**
 * The load tool's real worker (real RoomcastLoadConnections through @roomcast/client and the tap)
 * against the stub, in this process: ramp, send, wait until every expected seq settled, finish.
 */
async function runAgainst(stub: StubServer, protocol: LoadProtocol): Promise<ResultMessage> {
  const options = optionsFor(stub.url, protocol);
  const messages: WorkerMessage[] = [];
  const worker = new LoadWorker((m) => messages.push(m));
  worker.init({ type: 'init', options, plan: buildPlan(options, 'stub').workers[0]!, t0: Date.now() });
  const until = async (what: string, cond: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await until('ready', () => messages.some((m) => m.type === 'ready'));
  worker.startSending(Date.now() + 10);
  await until('sendDone', () => messages.some((m) => m.type === 'sendDone'));
  // 2 rooms x 20 chats x 4 members: every seq delivered or thinned.
  await until('deliveries', () => worker.delivered() + worker.thinned() >= 2 * 20 * 4);
  return worker.finish();
}

describe('stub server', () => {
  let stub: StubServer | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });
  const start = async (o: StubServerOptions = {}) => (stub = await startStubServer({ port: 0, ...o }));

  it('batches a room into messages frames the load tool reads: delivered = expected, no gap', async () => {
    const s = await start({ windowMs: 60 });
    const result = await runAgainst(s, 2);
    const acc = consolidateRooms(result.rooms);
    const c = result.counters;
    expect(acc.expected).toBe(2 * 20 * 4);
    expect({
      delivered: c.delivered,
      thinned: acc.thinned,
      gaps: acc.gaps,
      undelivered: acc.undelivered,
    }).toEqual({
      delivered: acc.expected,
      thinned: 0,
      gaps: 0,
      undelivered: 0,
    });
    expect(c.duplicates + c.outOfOrder + c.unscannedFrames).toBe(0);
    // 40 msgs/s per room in 60 ms windows: frames carry several messages.
    expect(c.batchFrames).toBe(c.deliveredFrames);
    expect(c.deliveredFrames).toBeLessThan(c.delivered);
    expect(result.welcomeProtocols).toEqual({ '2': 8 });
    expect(result.errorsByCode).toEqual({});
    const st = s.stats();
    expect(st).toMatchObject({
      connections: 8,
      chats: 40,
      messagesOut: c.delivered,
      frameWrites: c.deliveredFrames,
    });
    expect(st.likes).toBeGreaterThan(0);
  });

  it('thins every k-th seq and the load tool accounts it as thinned, not as gaps', async () => {
    const s = await start({ windowMs: 30, thinEvery: 3 });
    const result = await runAgainst(s, 2);
    const acc = consolidateRooms(result.rooms);
    // Seqs 3, 6, ..., 18 of 20 in each room, for each of its 4 members.
    expect(acc.thinned).toBe(2 * 6 * 4);
    expect(result.counters.thinned).toBe(acc.thinned);
    expect({
      gaps: acc.gaps,
      undelivered: acc.undelivered,
      unscanned: result.counters.unscannedFrames,
    }).toEqual({
      gaps: 0,
      undelivered: 0,
      unscanned: 0,
    });
    expect(result.counters.delivered + acc.thinned).toBe(acc.expected);
    expect(s.stats().thinnedOut).toBe(acc.thinned);
  });

  it('speaks protocol 1 to a v1 client: one message frame per message', async () => {
    const s = await start({ windowMs: 60, thinEvery: 3 });
    const result = await runAgainst(s, 1);
    const acc = consolidateRooms(result.rooms);
    const c = result.counters;
    expect({
      delivered: c.delivered,
      frames: c.deliveredFrames,
      batches: c.batchFrames,
      thinned: acc.thinned,
    }).toEqual({
      delivered: acc.expected,
      frames: acc.expected,
      batches: 0,
      thinned: 0,
    });
    expect(acc.gaps + c.unscannedFrames).toBe(0);
    expect(result.welcomeProtocols).toEqual({ '1': 8 });
  });

  it('writes a large batch (64-bit length) as one valid frame matching the contracts schema', async () => {
    const s = await start({ windowMs: 500, maxBatch: 300 });
    const viewer = new WebSocket(`${s.url}?protocol=2`);
    const sender = new WebSocket(`${s.url}?protocol=2`);
    const frames: string[] = [];
    viewer.on('message', (d) => frames.push(String(d)));
    await Promise.all([once(viewer, 'open'), once(sender, 'open')]);
    viewer.send(JSON.stringify({ type: 'join', roomId: 'big' }));
    await new Promise((r) => setTimeout(r, 50));
    const text = 'x'.repeat(400);
    for (let i = 0; i < 300; i++)
      sender.send(JSON.stringify({ type: 'chat', roomId: 'big', clientMsgId: `c${i}`, text, sentAt: 1 }));
    const deadline = Date.now() + 5000;
    while (!frames.some((f) => f.startsWith('{"type":"messages"')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const batch = frames.find((f) => f.startsWith('{"type":"messages"')) as string;
    expect(Buffer.byteLength(batch)).toBeGreaterThan(65_536);
    const parsed = MessagesFrame.safeParse(JSON.parse(batch));
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject({ fromSeq: 1, toSeq: 300, thinned: 0 });
    viewer.close();
    sender.close();
  });

  it('refuses a malformed protocol with 4504, as the gateway does', async () => {
    const s = await start();
    const ws = new WebSocket(`${s.url}?protocol=abc`);
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(4504);
  });

  it('closes a member that stops reading with 4001 (slow consumer)', async () => {
    const s = await start({ windowMs: 1, maxBufferedBytes: 256 * 1024 });
    const viewer = new WebSocket(`${s.url}?protocol=2`);
    const sender = new WebSocket(`${s.url}?protocol=2`);
    await Promise.all([once(viewer, 'open'), once(sender, 'open')]);
    viewer.send(JSON.stringify({ type: 'join', roomId: 'slow' }));
    await new Promise((r) => setTimeout(r, 50));
    viewer.pause();
    const text = 'y'.repeat(500);
    let i = 0;
    while (s.stats().slowConsumerCloses === 0 && i < 100_000) {
      for (let k = 0; k < 200; k++, i++)
        sender.send(JSON.stringify({ type: 'chat', roomId: 'slow', clientMsgId: `c${i}`, text }));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(s.stats().slowConsumerCloses).toBe(1);
    const closed = once(viewer, 'close');
    viewer.resume();
    const [code] = (await closed) as [number];
    expect(code).toBe(CLOSE_CODES.SLOW_CONSUMER);
    sender.close();
  });

  it('rejects bad options with CONFIG_INVALID', async () => {
    await expect(startStubServer({ thinEvery: 1 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(startStubServer({ maxBatch: 0, port: -1 })).rejects.toThrow(/maxBatch.*port|port.*maxBatch/);
    await expect(startStubServer({ windowMs: -1 })).rejects.toBeInstanceOf(AppError);
  });

  it('parses its command line', () => {
    expect(parseStubCli(['--port', '0', '--window-ms', '5', '--thin-every', '4'])).toEqual({
      help: false,
      options: { port: 0, windowMs: 5, thinEvery: 4 },
    });
    expect(parseStubCli(['-h'])).toEqual({ help: true });
    expect(() => parseStubCli(['--port', 'x'])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => parseStubCli(['--nope'])).toThrow();
  });
});
