import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ConnectionSpec } from '../plan';
import { WorkerStats } from '../stats';
import type { LoadProtocol } from '../options';
import type { RoomAccount } from './load-connection';
import { RoomcastLoadConnection } from './roomcast';

const ITEM_KEYS = (seq: number) =>
  `"seq":${seq},"id":"m${seq}","userId":"u","clientMsgId":"c${seq}","text":"t","masked":false,"sentAt":${1_700_000_000_000 + seq},"acceptedAt":${1_700_000_000_001 + seq}`;
const item = (seq: number) => `{${ITEM_KEYS(seq)}}`;
const batch = (from: number, to: number, thinned: number, seqs: number[]) =>
  `{"type":"messages","roomId":"r1","fromSeq":${from},"toSeq":${to},"thinned":${thinned},"messages":[${seqs.map(item).join(',')}]}`;
const single = (seq: number) => `{"type":"message","roomId":"r1",${ITEM_KEYS(seq)}}`;

/**
 * A scripted gateway: welcome, joined (lastSeq 0), then `frames` in order. Records the upgrade URL.
 */
async function scriptedServer(
  frames: string[],
): Promise<{ url: string; urls: string[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const urls: string[] = [];
  wss.on('connection', (ws: WebSocket, req) => {
    urls.push(req.url ?? '');
    ws.send(
      '{"type":"welcome","protocol":2,"sessionId":"s","userId":"u","gatewayId":"g","heartbeatMs":30000}',
    );
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; roomId: string; reqId?: string };
      if (frame.type !== 'join') return;
      ws.send(JSON.stringify({ type: 'joined', roomId: frame.roomId, reqId: frame.reqId, lastSeq: 0 }));
      for (const f of frames) ws.send(f);
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    urls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

interface ClientFrameSeen {
  type: string;
  roomId: string;
  reqId?: string;
  afterSeq?: number;
  clientMsgId?: string;
}

/** A gateway whose every reply is the test's: `handle` sees each client frame with its socket. */
async function gateway(
  handle: (ws: WebSocket, frame: ClientFrameSeen) => void,
): Promise<{ url: string; sockets: WebSocket[]; frames: ClientFrameSeen[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const sockets: WebSocket[] = [];
  const frames: ClientFrameSeen[] = [];
  wss.on('connection', (ws: WebSocket) => {
    sockets.push(ws);
    ws.send(
      '{"type":"welcome","protocol":2,"sessionId":"s","userId":"u","gatewayId":"g","heartbeatMs":30000}',
    );
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ClientFrameSeen;
      frames.push(frame);
      handle(ws, frame);
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    sockets,
    frames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

function connection(
  url: string,
  protocol: LoadProtocol,
  resume: { urls: string[]; role?: ConnectionSpec['role'] } | null = null,
): { conn: RoomcastLoadConnection; stats: WorkerStats } {
  const stats = new WorkerStats();
  const spec: ConnectionSpec = {
    index: 0,
    role: resume?.role ?? 'viewer',
    room: 0,
    roomId: 'r1',
    userId: 'u',
    url,
    localAddress: undefined,
    startOffsetMs: 0,
  };
  const room: RoomAccount = { acked: 0, rejected: 0, maxSeq: 0 };
  return {
    conn: new RoomcastLoadConnection(
      spec,
      {
        stats,
        text: 'x',
        requestTimeoutMs: 5000,
        protocol,
        resume: resume !== null,
        urls: resume?.urls ?? [url],
      },
      room,
    ),
    stats,
  };
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('roomcast tap', () => {
  it('counts scanned frames fast, and frames of another shape loudly through JSON', async () => {
    const server = await scriptedServer([
      batch(1, 3, 1, [1, 3]), // scanned: 2 delivered, seq 2 thinned
      // Same content, roomId before type: not the scanned shape -> unscanned, read through JSON.
      batch(4, 5, 0, [4, 5]).replace(
        '{"type":"messages","roomId":"r1",',
        '{"roomId":"r1","type":"messages",',
      ),
      JSON.stringify(JSON.parse(single(6)), null, 2), // whitespace: unscanned, delivered through JSON
      single(7), // scanned
      batch(8, 8, 0, []), // range not covered: fails the contracts schema -> unscanned, BAD_FRAME
      batch(9, 9, 0, [9]), // scanned; seq 8 is now a real gap
      '{"type":"messages","roomId":"r1","fromSeq":10', // not JSON: unscanned, BAD_FRAME
      '{"type":"likes","roomId":"r1","total":3}', // other frames go to the SDK...
      '{"type":"error","code":"RATE_LIMITED","message":"slow down","temporary":true}', // ...even with "message in them
    ]);
    const { conn, stats } = connection(server.url, 2);
    try {
      await conn.start('token');
      await until(() => stats.errorsByCode.RATE_LIMITED === 1);
      expect(server.urls).toHaveLength(1);
      const query = new URL(server.urls[0] as string, 'http://x').searchParams;
      expect(query.getAll('protocol')).toEqual(['2']);
      expect(query.get('token')).toBe('token');
      const c = stats.counters;
      expect({
        delivered: c.delivered,
        deliveredFrames: c.deliveredFrames,
        batchFrames: c.batchFrames,
        thinned: c.thinned,
        unscannedFrames: c.unscannedFrames,
        gapEvents: c.gapEvents,
        duplicates: c.duplicates,
      }).toEqual({
        delivered: 7,
        deliveredFrames: 5,
        batchFrames: 3,
        thinned: 1,
        unscannedFrames: 4,
        gapEvents: 1,
        duplicates: 0,
      });
      expect(stats.errorsByCode).toEqual({ BAD_FRAME: 2, RATE_LIMITED: 1 });
      expect({ max: conn.tracker.max, holes: conn.tracker.openHoles, thinned: conn.tracker.thinned }).toEqual(
        {
          max: 9,
          holes: 1,
          thinned: 1,
        },
      );
      expect(stats.welcomeProtocols).toEqual({ '2': 1 });
    } finally {
      conn.close();
      await server.close();
    }
  });

  it('with --protocol 1 declares protocol=1 and reads v1 message frames', async () => {
    const server = await scriptedServer([single(1), single(2)]);
    const { conn, stats } = connection(server.url, 1);
    try {
      await conn.start('token');
      await until(() => stats.counters.delivered === 2);
      expect(new URL(server.urls[0] as string, 'http://x').searchParams.getAll('protocol')).toEqual(['1']);
      expect(stats.counters).toMatchObject({
        deliveredFrames: 2,
        batchFrames: 0,
        unscannedFrames: 0,
        thinned: 0,
      });
    } finally {
      conn.close();
      await server.close();
    }
  });
});

describe('roomcast resume (--resume)', () => {
  const joined = (f: ClientFrameSeen, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ type: 'joined', roomId: f.roomId, reqId: f.reqId, lastSeq: 0, ...extra });

  it('moves to the next url after a 4000 close, resumes after the newest seq the tap consumed, and counts the catch-up as recovered', async () => {
    const b = await gateway((ws, f) => {
      if (f.type !== 'join') return;
      // Catch-up 5..6, joined, then live 7 — written at once, so they arrive in one read.
      ws.send(batch(5, 6, 0, [5, 6]));
      ws.send(joined(f, { lastSeq: 6, recovered: true, recoveredCount: 2 }));
      ws.send(batch(7, 7, 0, [7]));
    });
    const a = await gateway((ws, f) => {
      if (f.type !== 'join') return;
      ws.send(joined(f));
      ws.send(batch(1, 3, 0, [1, 2, 3]));
      ws.send(single(4));
    });
    const { conn, stats } = connection(a.url, 2, { urls: [b.url, a.url] });
    try {
      await conn.start('token');
      await until(() => stats.counters.delivered === 4);
      a.sockets[0]?.close(4000, 'gateway draining; reconnect');
      await until(() => stats.counters.delivered === 7 && conn.state === 'joined');
      // The SDK never saw 1..4 (the tap kept them): advance() told it.
      expect(b.frames.filter((f) => f.type === 'join')).toEqual([
        expect.objectContaining({ roomId: 'r1', afterSeq: 4 }),
      ]);
      expect(stats.counters).toMatchObject({
        duplicates: 0,
        gapEvents: 0,
        outOfOrder: 0,
        reconnects: 1,
        reconnectsFailed: 0,
        resumes: 1,
        resumesIncomplete: 0,
        recovered: 2,
        recoveredByGateway: 2,
        open: 1,
      });
      expect(stats.recoveredUs.totalCount).toBe(2);
      expect(stats.closesByCode).toEqual({ '4000': 1 });
      expect({ max: conn.tracker.max, holes: conn.tracker.openHoles }).toEqual({ max: 7, holes: 0 });
    } finally {
      conn.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('resends a chat the close rejected, with its clientMsgId, once the room is resumed', async () => {
    const b = await gateway((ws, f) => {
      if (f.type === 'join') ws.send(joined(f, { recovered: true, recoveredCount: 0 }));
      if (f.type === 'chat')
        ws.send(JSON.stringify({ type: 'ack', roomId: f.roomId, clientMsgId: f.clientMsgId }));
    });
    const a = await gateway((ws, f) => {
      if (f.type === 'join') ws.send(joined(f));
      // The chat is in flight when the gateway drains.
      if (f.type === 'chat') ws.close(4000, 'gateway draining; reconnect');
    });
    const { conn, stats } = connection(a.url, 2, { urls: [a.url, b.url], role: 'sender' });
    try {
      await conn.start('token');
      conn.chat('c1', Date.now());
      await until(() => stats.counters.chatsAcked === 1);
      expect(b.frames.filter((f) => f.type === 'chat')).toEqual([
        expect.objectContaining({ clientMsgId: 'c1' }),
      ]);
      expect(stats.counters).toMatchObject({
        chatsSent: 1,
        chatsAcked: 1,
        chatsFailed: 0,
        chatsResent: 1,
        resumes: 1,
      });
    } finally {
      conn.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('without --resume a 4000 close stays closed and is counted', async () => {
    const a = await gateway((ws, f) => {
      if (f.type === 'join') ws.send(joined(f));
    });
    const { conn, stats } = connection(a.url, 2);
    try {
      await conn.start('token');
      a.sockets[0]?.close(4000, 'gateway draining; reconnect');
      await until(() => conn.state === 'closed');
      await new Promise((r) => setTimeout(r, 700));
      expect(a.sockets).toHaveLength(1);
      expect(stats.closesByCode).toEqual({ '4000': 1 });
      expect(stats.counters).toMatchObject({ open: 0, reconnects: 0, resumes: 0 });
    } finally {
      conn.close();
      await a.close();
    }
  });
});
