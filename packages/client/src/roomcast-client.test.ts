import { readFileSync, readdirSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { AppError } from '@roomcast/errors';
import { CLOSE_CODES, MAX_CHAT_TEXT_CHARS, type ServerFrame, type WelcomeFrame } from '@roomcast/contracts';
import {
  RoomcastClient,
  RoomcastError,
  type CloseInfo,
  type RoomcastClientOptions,
  type WebSocketConstructor,
} from './index';
import { createFakeWebSocket, type FakeWebSocket } from './testing';

const WELCOME: WelcomeFrame = {
  type: 'welcome',
  protocol: 1,
  sessionId: 's1',
  userId: 'alice',
  gatewayId: 'gw-1',
  heartbeatMs: 30_000,
};

function message(roomId: string, seq: number, text = `m${seq}`): ServerFrame {
  return {
    type: 'message',
    roomId,
    seq,
    id: `id-${seq}`,
    userId: 'bob',
    clientMsgId: `c-${seq}`,
    text,
    masked: false,
    sentAt: 1,
    acceptedAt: 2,
  };
}

/** A v2 batch frame covering from..to holding `seqs`; the rest of the range counts as thinned. */
function batch(roomId: string, from: number, to: number, seqs: number[]): ServerFrame {
  return {
    type: 'messages',
    roomId,
    fromSeq: from,
    toSeq: to,
    thinned: to - from + 1 - seqs.length,
    messages: seqs.map((seq) => {
      const {
        type: _type,
        roomId: _roomId,
        ...item
      } = message(roomId, seq) as Extract<ServerFrame, { type: 'message' }>;
      return item;
    }),
  };
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(predicate: () => boolean, timeoutMs = 1000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('waitFor timed out');
    await tick(2);
  }
}

let clients: RoomcastClient[] = [];
afterEach(() => {
  for (const c of clients) c.close();
  clients = [];
});

function setup(options: Partial<RoomcastClientOptions> = {}) {
  const fake = createFakeWebSocket();
  const client = new RoomcastClient({
    url: 'ws://gateway.test/ws',
    token: 'tok en',
    WebSocket: fake.WebSocket,
    reconnect: { enabled: true, baseMs: 1, maxMs: 5 },
    ...options,
  } as RoomcastClientOptions);
  clients.push(client);
  return { fake, client };
}

/** Connects and answers the welcome; returns the server side of the socket. */
async function connected(options: Partial<RoomcastClientOptions> = {}) {
  const s = setup(options);
  const welcome = s.client.connect();
  await waitFor(() => s.fake.sockets.length === 1);
  s.fake.last().accept(WELCOME);
  await welcome;
  return { ...s, socket: s.fake.last() };
}

function lastSent(socket: FakeWebSocket) {
  const frames = socket.sentFrames();
  const frame = frames[frames.length - 1];
  if (frame === undefined) throw new Error('nothing sent');
  return frame;
}

/** The socket drops (1006); the client reconnects, gets welcome and sends its rejoin, returned. */
async function dropAndRejoin(socket: FakeWebSocket, fake: ReturnType<typeof createFakeWebSocket>) {
  socket.serverClose(1006);
  await waitFor(() => fake.sockets.length === 2);
  const second = fake.last();
  second.accept(WELCOME);
  const join = lastSent(second);
  if (join.type !== 'join') throw new Error(`expected join, got ${join.type}`);
  return { second, join };
}

/** A history API page of room `lobby` answering `url` (its afterSeq), with the stored seqs up to `storedThrough`. */
function historyPage(url: string | URL | Request, storedThrough: number): Response {
  const afterSeq = Number(new URL(String(url)).searchParams.get('afterSeq'));
  const messages = [];
  for (let seq = afterSeq + 1; seq <= storedThrough; seq++) {
    const { type: _t, ...rest } = message('lobby', seq) as Extract<ServerFrame, { type: 'message' }>;
    messages.push(rest);
  }
  return new Response(JSON.stringify({ roomId: 'lobby', messages }), { status: 200 });
}

async function joinRoom(client: RoomcastClient, socket: FakeWebSocket, roomId: string, lastSeq = 0) {
  const joined = client.join(roomId);
  const frame = lastSent(socket);
  if (frame.type !== 'join') throw new Error(`expected join, got ${frame.type}`);
  socket.receive({ type: 'joined', roomId, reqId: frame.reqId, lastSeq });
  return joined;
}

describe('RoomcastClient connect', () => {
  it('resolves with the welcome frame and passes the token in the query', async () => {
    const { client, fake } = setup();
    const seen: WelcomeFrame[] = [];
    client.on('welcome', (w) => seen.push(w));
    const promise = client.connect();
    await waitFor(() => fake.sockets.length === 1);
    expect(fake.last().url).toBe('ws://gateway.test/ws?token=tok%20en&protocol=2');
    expect(fake.last().token).toBe('tok en');
    expect(client.state).toBe('connecting');
    fake.last().accept(WELCOME);
    await expect(promise).resolves.toEqual(WELCOME);
    expect(seen).toEqual([WELCOME]);
    expect(client.state).toBe('open');
    expect(client.connect()).toBe(client.connect());
  });

  it('asks getToken for a fresh token on every connection', async () => {
    let n = 0;
    const { client, fake } = setup({ token: undefined, getToken: async () => `t${++n}` });
    const p = client.connect();
    await waitFor(() => fake.sockets.length === 1);
    fake.last().accept(WELCOME);
    await p;
    fake.last().serverClose(CLOSE_CODES.SHUTDOWN);
    await waitFor(() => fake.sockets.length === 2);
    expect(fake.sockets.map((s) => s.token)).toEqual(['t1', 't2']);
  });

  it('rejects with the close code when closed with 4501 before welcome, and does not retry', async () => {
    const { client, fake } = setup();
    const closes: CloseInfo[] = [];
    client.on('close', (c) => closes.push(c));
    const p = client.connect();
    await waitFor(() => fake.sockets.length === 1);
    fake.last().serverClose(CLOSE_CODES.UNAUTHORIZED, 'bad token');
    const err: unknown = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RoomcastError);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'UNAUTHORIZED',
      kind: 'closed',
      closeCode: 4501,
      temporary: false,
      retriable: false,
    });
    expect(closes).toEqual([{ code: 4501, reason: 'bad token', willReconnect: false }]);
    await tick(30);
    expect(fake.sockets).toHaveLength(1);
    expect(client.state).toBe('closed');
  });

  it('maps 4502 to TOKEN_EXPIRED', async () => {
    const { client, fake } = setup();
    const p = client.connect();
    await waitFor(() => fake.sockets.length === 1);
    fake.last().serverClose(CLOSE_CODES.TOKEN_EXPIRED);
    await expect(p).rejects.toMatchObject({ code: 'TOKEN_EXPIRED', closeCode: 4502 });
  });
});

describe('RoomcastClient requests', () => {
  it('join resolves with the joined frame matched by reqId and seeds lastSeq', async () => {
    const { client, socket } = await connected();
    const a = client.join('lobby');
    const b = client.join('other');
    const [joinA, joinB] = socket.sentFrames();
    expect(joinA).toMatchObject({ type: 'join', roomId: 'lobby' });
    expect(joinB).toMatchObject({ type: 'join', roomId: 'other' });
    if (joinA?.type !== 'join' || joinB?.type !== 'join') throw new Error('unreachable');
    expect(joinA.reqId).not.toBe(joinB.reqId);
    socket.receive({ type: 'joined', roomId: 'other', reqId: joinB.reqId, lastSeq: 3 });
    socket.receive({ type: 'joined', roomId: 'lobby', reqId: joinA.reqId, lastSeq: 7 });
    await expect(a).resolves.toMatchObject({ roomId: 'lobby', lastSeq: 7 });
    await expect(b).resolves.toMatchObject({ roomId: 'other', lastSeq: 3 });
    expect(client.lastSeq('lobby')).toBe(7);
    expect(client.joinedRooms().sort()).toEqual(['lobby', 'other']);
  });

  it('correlates chat acks by clientMsgId, generating distinct ids', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'lobby');
    const first = client.chat('lobby', 'hello');
    const second = client.chat('lobby', 'world', { clientMsgId: 'mine-1', sentAt: 42 });
    const frames = socket.sentFrames().slice(1);
    expect(frames[1]).toEqual({
      type: 'chat',
      roomId: 'lobby',
      clientMsgId: 'mine-1',
      text: 'world',
      sentAt: 42,
    });
    const f0 = frames[0];
    if (f0?.type !== 'chat') throw new Error('expected chat');
    expect(f0.clientMsgId).not.toBe('mine-1');
    expect(f0.clientMsgId.length).toBeGreaterThan(0);

    let firstSettled = false;
    void first.then(() => (firstSettled = true));
    socket.receive({ type: 'ack', roomId: 'lobby', clientMsgId: 'mine-1' });
    await expect(second).resolves.toEqual({ type: 'ack', roomId: 'lobby', clientMsgId: 'mine-1' });
    expect(firstSettled).toBe(false);
    socket.receive({ type: 'ack', roomId: 'lobby', clientMsgId: f0.clientMsgId });
    await expect(first).resolves.toMatchObject({ clientMsgId: f0.clientMsgId });
  });

  it('sends a gift frame (count 1 by default) acked by its clientMsgId', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'lobby');
    const rose = client.gift('lobby', 'rose', { clientMsgId: 'g1', sentAt: 7 });
    const rockets = client.gift('lobby', 'rocket', { clientMsgId: 'g2', sentAt: 8, count: 3 });
    expect(socket.sentFrames().slice(1)).toEqual([
      { type: 'gift', roomId: 'lobby', clientMsgId: 'g1', giftId: 'rose', count: 1, sentAt: 7 },
      { type: 'gift', roomId: 'lobby', clientMsgId: 'g2', giftId: 'rocket', count: 3, sentAt: 8 },
    ]);
    socket.receive({ type: 'ack', roomId: 'lobby', clientMsgId: 'g2' });
    socket.receive({ type: 'ack', roomId: 'lobby', clientMsgId: 'g1' });
    await expect(rose).resolves.toMatchObject({ clientMsgId: 'g1' });
    await expect(rockets).resolves.toMatchObject({ clientMsgId: 'g2' });
  });

  it('rejects a chat with a typed RoomcastError on an error frame; other chats are unaffected', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'lobby');
    const failing = client.chat('lobby', 'a', { clientMsgId: 'x1' });
    const ok = client.chat('lobby', 'b', { clientMsgId: 'x2' });
    socket.receive({
      type: 'error',
      code: 'PUBLISH_FAILED',
      message: 'kafka down',
      temporary: true,
      clientMsgId: 'x1',
    });
    const err: unknown = await failing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RoomcastError);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'PUBLISH_FAILED',
      temporary: true,
      clientMsgId: 'x1',
      kind: 'server',
      message: 'kafka down',
    });
    socket.receive({ type: 'ack', roomId: 'lobby', clientMsgId: 'x2' });
    await expect(ok).resolves.toMatchObject({ clientMsgId: 'x2' });
  });

  it('uses the temporary flag the server sent, not the table default', async () => {
    const { client, socket } = await connected();
    const p = client.chat('lobby', 'a', { clientMsgId: 'y' });
    socket.receive({
      type: 'error',
      code: 'NOT_IN_ROOM',
      message: 'join first',
      temporary: true,
      clientMsgId: 'y',
    });
    await expect(p).rejects.toMatchObject({ code: 'NOT_IN_ROOM', temporary: true });
  });

  it('rejects a join with the error frame carrying its reqId', async () => {
    const { client, socket } = await connected();
    const p = client.join('r17');
    const frame = lastSent(socket);
    if (frame.type !== 'join') throw new Error('expected join');
    socket.receive({
      type: 'error',
      code: 'TOO_MANY_ROOMS',
      message: 'max 16',
      temporary: false,
      reqId: frame.reqId,
    });
    await expect(p).rejects.toMatchObject({ code: 'TOO_MANY_ROOMS', reqId: frame.reqId });
    expect(client.joinedRooms()).toEqual([]);
  });

  it('emits uncorrelated error frames as error events and keeps working', async () => {
    const { client, socket } = await connected();
    const errors: RoomcastError[] = [];
    client.on('error', (e) => errors.push(e));
    socket.receive({ type: 'error', code: 'BAD_FRAME', message: 'huh', temporary: false });
    expect(errors.map((e) => e.code)).toEqual(['BAD_FRAME']);
    const pong = client.ping();
    const frame = lastSent(socket);
    if (frame.type !== 'ping') throw new Error('expected ping');
    socket.receive({ type: 'pong', reqId: frame.reqId, serverTime: 99 });
    await expect(pong).resolves.toMatchObject({ serverTime: 99 });
  });

  it('refuses an invalid chat locally without sending it', async () => {
    const { client, socket } = await connected();
    const before = socket.sent.length;
    const p = client.chat('lobby', 'x'.repeat(MAX_CHAT_TEXT_CHARS + 1), { clientMsgId: 'long' });
    await expect(p).rejects.toMatchObject({ code: 'BAD_FRAME', kind: 'local', clientMsgId: 'long' });
    expect(socket.sent.length).toBe(before);
  });

  it('rejects calls made while not connected', async () => {
    const { client } = setup();
    await expect(client.chat('lobby', 'hi')).rejects.toMatchObject({ kind: 'closed', closeCode: undefined });
    expect(client.like('lobby')).toBe(false);
  });

  it('times out a chat that gets no reply', async () => {
    const { client } = await connected({ requestTimeoutMs: 40 });
    const p = client.chat('lobby', 'hi', { clientMsgId: 'slow' });
    await expect(p).rejects.toMatchObject({ kind: 'timeout', clientMsgId: 'slow', retriable: true });
  });

  it('sends keepalive pings only when heartbeat is on and the socket is idle', async () => {
    const quiet = setup();
    const q = quiet.client.connect();
    await waitFor(() => quiet.fake.sockets.length === 1);
    quiet.fake.last().accept({ ...WELCOME, heartbeatMs: 20 });
    await q;
    const { client, fake } = setup({ heartbeat: true });
    const p = client.connect();
    await waitFor(() => fake.sockets.length === 1);
    fake.last().accept({ ...WELCOME, heartbeatMs: 20 });
    await p;
    await tick(60);
    expect(fake.last().sentFrames().length).toBeGreaterThanOrEqual(2);
    expect(
      fake
        .last()
        .sentFrames()
        .every((f) => f.type === 'ping'),
    ).toBe(true);
    expect(quiet.fake.last().sent).toEqual([]);
  });

  it('sends likes with a default count of 1', async () => {
    const { client, socket } = await connected();
    expect(client.like('lobby')).toBe(true);
    expect(client.like('lobby', 5)).toBe(true);
    expect(socket.sentFrames()).toEqual([
      { type: 'like', roomId: 'lobby', count: 1 },
      { type: 'like', roomId: 'lobby', count: 5 },
    ]);
  });
});

describe('RoomcastClient events and seq tracking', () => {
  it('drops duplicates and fills a live gap by rejoining with afterSeq, emitting every seq once in order', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'lobby');
    const seqs: number[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    for (const seq of [1, 2, 2, 1, 3, 6, 6, 7]) socket.receive(message('lobby', seq));
    expect(seqs).toEqual([1, 2, 3]);
    const fill = lastSent(socket);
    expect(fill).toMatchObject({ type: 'join', roomId: 'lobby', afterSeq: 3 });
    if (fill.type !== 'join') throw new Error('expected join');
    // The gateway's catch-up (4..6), then joined; live 7 already arrived and waits.
    for (const seq of [4, 5, 6]) socket.receive(message('lobby', seq));
    expect(seqs).toEqual([1, 2, 3]);
    socket.receive({
      type: 'joined',
      roomId: 'lobby',
      reqId: fill.reqId,
      lastSeq: 6,
      recovered: true,
      recoveredCount: 3,
    });
    await waitFor(() => seqs.length === 7);
    socket.receive(message('lobby', 8));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(client.stats()).toMatchObject({ gaps: 1, recovered: 3, lost: 0 });
    expect(client.lastSeq('lobby')).toBe(8);
  });

  it('pages the range joined.missing names from historyUrl before the caught-up and live messages', async () => {
    const requested: string[] = [];
    const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
      requested.push(`${String(url)} ${JSON.stringify(init?.headers ?? {})}`);
      const afterSeq = Number(new URL(String(url)).searchParams.get('afterSeq'));
      const limit = Number(new URL(String(url)).searchParams.get('limit'));
      const page = [];
      for (let seq = afterSeq + 1; seq <= Math.min(afterSeq + Math.min(limit, 2), 6); seq++) {
        const { type: _t, ...rest } = message('lobby', seq) as Extract<ServerFrame, { type: 'message' }>;
        page.push({ ...rest, _id: 'mongo-internal' });
      }
      return new Response(JSON.stringify({ roomId: 'lobby', messages: page }), { status: 200 });
    }) as typeof fetch;
    const { client, socket, fake } = await connected({ historyUrl: 'http://history.test/', fetch: fetchFn });
    await joinRoom(client, socket, 'lobby', 2);
    const seqs: number[] = [];
    const lost: unknown[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    client.on('lost', (l) => lost.push(l));
    const { second, join: rejoin } = await dropAndRejoin(socket, fake);
    expect(rejoin).toMatchObject({ type: 'join', roomId: 'lobby', afterSeq: 2 });
    // The cache had only 7..8: 3..6 are missing, to be paged.
    second.receive(batch('lobby', 7, 8, [7, 8]));
    second.receive({
      type: 'joined',
      roomId: 'lobby',
      reqId: rejoin.reqId,
      lastSeq: 8,
      recovered: false,
      recoveredCount: 2,
      missing: { fromSeq: 3, toSeq: 6 },
    });
    second.receive(message('lobby', 9));
    await waitFor(() => seqs.length === 7);
    expect(seqs).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(lost).toEqual([]);
    expect(client.stats()).toMatchObject({ recovered: 6, lost: 0, gaps: 0 });
    expect(requested[0]).toBe(
      'http://history.test/rooms/lobby/messages?afterSeq=2&limit=4 {"authorization":"Bearer tok en"}',
    );
    expect(requested).toHaveLength(2);
  });

  it('pages history again while it lags the gateway, and reports lost only what the last attempt lacks', async () => {
    // History has 3..4 at first, 3..6 from the third request on; 7 never (not stored in time).
    let requests = 0;
    const requested: string[] = [];
    const fetchFn = (async (url: string | URL | Request) => {
      requests++;
      requested.push(new URL(String(url)).search);
      if (requests === 2) return new Response('busy', { status: 503 });
      return historyPage(url, requests === 1 ? 4 : 6);
    }) as typeof fetch;
    const { client, socket, fake } = await connected({
      historyUrl: 'http://history.test',
      fetch: fetchFn,
      historyRetryDelaysMs: [5, 5, 5],
    });
    await joinRoom(client, socket, 'lobby', 2);
    const seqs: number[] = [];
    const lost: unknown[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    client.on('lost', (l) => lost.push(l));
    const { second, join: rejoin } = await dropAndRejoin(socket, fake);
    second.receive(message('lobby', 8));
    second.receive({
      type: 'joined',
      roomId: 'lobby',
      reqId: rejoin.reqId,
      lastSeq: 8,
      recovered: false,
      recoveredCount: 1,
      missing: { fromSeq: 3, toSeq: 7 },
    });
    second.receive(message('lobby', 9));
    await waitFor(() => seqs.length === 6);
    expect(seqs).toEqual([3, 4, 5, 6, 8, 9]);
    expect(lost).toEqual([{ roomId: 'lobby', fromSeq: 7, toSeq: 7 }]);
    // Attempt 1 pages 3..4 then fails (503); attempt 2 gets 3..6 and finds nothing past it;
    // attempts 3 and 4 ask only for 7.
    expect(requested).toEqual([
      '?afterSeq=2&limit=5',
      '?afterSeq=4&limit=3',
      '?afterSeq=2&limit=5',
      '?afterSeq=6&limit=1',
      '?afterSeq=6&limit=1',
      '?afterSeq=6&limit=1',
    ]);
    expect(client.stats()).toMatchObject({ recovered: 5, lost: 1 });
  });

  it('lets a newer resume take over a history recovery still waiting to retry: the older one neither pages nor plays', async () => {
    // History has 3..4 for the first attempt's two requests (short of 6), all of it after that;
    // the newer recovery's request is answered only when the test releases it.
    const requested: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const fetchFn = (async (url: string | URL | Request) => {
      requested.push(new URL(String(url)).search);
      if (requested.length === 3) await held;
      return historyPage(url, requested.length <= 2 ? 4 : 6);
    }) as typeof fetch;
    const { client, socket, fake } = await connected({ historyUrl: 'http://history.test', fetch: fetchFn, historyRetryDelaysMs: [100] });
    await joinRoom(client, socket, 'lobby', 2);
    const seqs: number[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    const { second, join: rejoin } = await dropAndRejoin(socket, fake);
    second.receive({ type: 'joined', roomId: 'lobby', reqId: rejoin.reqId, lastSeq: 6, recovered: false, recoveredCount: 0, missing: { fromSeq: 3, toSeq: 6 } });
    await waitFor(() => seqs.length === 2);
    // While the first recovery waits to retry, the socket drops again: the rejoin asks from 4.
    second.serverClose(1006);
    await waitFor(() => fake.sockets.length === 3);
    const third = fake.last();
    third.accept(WELCOME);
    const again = lastSent(third);
    expect(again).toMatchObject({ type: 'join', roomId: 'lobby', afterSeq: 4 });
    if (again.type !== 'join') throw new Error('expected join');
    third.receive({ type: 'joined', roomId: 'lobby', reqId: again.reqId, lastSeq: 6, recovered: false, recoveredCount: 0, missing: { fromSeq: 5, toSeq: 6 } });
    third.receive(message('lobby', 7));
    // The first recovery's retry time passes while the newer one's page is held: superseded, it
    // asks for nothing and plays nothing (7 waits behind 5..6).
    await new Promise((r) => setTimeout(r, 250));
    expect(seqs).toEqual([3, 4]);
    expect(requested).toEqual(['?afterSeq=2&limit=4', '?afterSeq=4&limit=2', '?afterSeq=4&limit=2']);
    release();
    await waitFor(() => seqs.length === 5);
    expect(seqs).toEqual([3, 4, 5, 6, 7]);
    expect(requested).toHaveLength(3);
    expect(client.stats()).toMatchObject({ recovered: 4, lost: 0 });
  });

  it('reports a missing range it cannot page as lost, and goes on live', async () => {
    const { client, socket, fake } = await connected();
    await joinRoom(client, socket, 'lobby', 2);
    const seqs: number[] = [];
    const lost: unknown[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    client.on('lost', (l) => lost.push(l));
    const { second, join: rejoin } = await dropAndRejoin(socket, fake);
    second.receive(message('lobby', 7));
    second.receive({
      type: 'joined',
      roomId: 'lobby',
      reqId: rejoin.reqId,
      lastSeq: 7,
      recovered: false,
      recoveredCount: 1,
      missing: { fromSeq: 3, toSeq: 6 },
    });
    await waitFor(() => seqs.length === 1);
    expect(lost).toEqual([{ roomId: 'lobby', fromSeq: 3, toSeq: 6 }]);
    expect(client.stats()).toMatchObject({ recovered: 1, lost: 4 });
    expect(client.lastSeq('lobby')).toBe(7);
  });

  it('retries a resume the gateway refused for now (RATE_LIMITED), keeping the frames that came meanwhile', async () => {
    const { client, socket, fake } = await connected();
    await joinRoom(client, socket, 'lobby', 2);
    const seqs: number[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    const { second, join: first } = await dropAndRejoin(socket, fake);
    second.receive({
      type: 'error',
      code: 'RATE_LIMITED',
      message: 'slow down',
      temporary: true,
      reqId: first.reqId,
    });
    await waitFor(() => second.sentFrames().length === 2);
    const retry = lastSent(second);
    expect(retry).toMatchObject({ type: 'join', roomId: 'lobby', afterSeq: 2 });
    if (retry.type !== 'join') throw new Error('expected join');
    second.receive(message('lobby', 3));
    second.receive({
      type: 'joined',
      roomId: 'lobby',
      reqId: retry.reqId,
      lastSeq: 3,
      recovered: true,
      recoveredCount: 1,
    });
    await waitFor(() => seqs.length === 1);
    expect(client.joinedRooms()).toEqual(['lobby']);
  });

  it('emits a rejection once, though the gateway repeats it at the next connect', async () => {
    const { client, socket, fake } = await connected();
    const rejected: string[] = [];
    client.on('rejected', (r) => rejected.push(r.clientMsgId));
    const frame = { type: 'rejected', roomId: 'lobby', clientMsgId: 'c1', reason: 'blocked' } as const;
    socket.receive(frame);
    socket.serverClose(1006);
    await waitFor(() => fake.sockets.length === 2);
    fake.last().accept(WELCOME);
    fake.last().receive(frame);
    fake.last().receive({ ...frame, clientMsgId: 'c2' });
    expect(rejected).toEqual(['c1', 'c2']);
  });

  it('with getToken, refreshes the session before welcome.expiresAt, with a fresh token', async () => {
    let n = 0;
    const s = setup({
      token: undefined,
      getToken: async () => `token-${++n}`,
    } as Partial<RoomcastClientOptions>);
    const welcome = s.client.connect();
    await waitFor(() => s.fake.sockets.length === 1);
    const socket = s.fake.last();
    socket.accept({ ...WELCOME, expiresAt: Date.now() + 200 });
    await welcome;
    await waitFor(() => socket.sentFrames().some((f) => f.type === 'refresh'), 500);
    const refresh = socket.sentFrames().find((f) => f.type === 'refresh');
    expect(refresh).toMatchObject({ type: 'refresh', token: 'token-2' });
    if (refresh?.type !== 'refresh') throw new Error('expected refresh');
    socket.receive({ type: 'refreshed', reqId: refresh.reqId, expiresAt: Date.now() + 3_600_000 });
    await tick(50);
    // The next one is scheduled for an hour later, not now.
    expect(socket.sentFrames().filter((f) => f.type === 'refresh')).toHaveLength(1);
  });

  it('emits state changes from one transition: connecting, open, reconnecting, connecting, open, closed', async () => {
    const s = setup();
    const states: string[] = [];
    s.client.on('state', (c) => states.push(`${c.from}>${c.to}`));
    const welcome = s.client.connect();
    await waitFor(() => s.fake.sockets.length === 1);
    s.fake.last().accept(WELCOME);
    await welcome;
    s.fake.last().serverClose(CLOSE_CODES.SHUTDOWN);
    await waitFor(() => s.fake.sockets.length === 2);
    s.fake.last().accept(WELCOME);
    s.client.close();
    expect(states).toEqual([
      'idle>connecting',
      'connecting>open',
      'open>reconnecting',
      'reconnecting>connecting',
      'connecting>open',
      'open>closed',
    ]);
  });

  it('moves to the next url on each reconnect', async () => {
    const { client, fake, socket } = await connected({ url: ['ws://a.test/ws', 'ws://b.test/ws'] });
    expect(socket.url.startsWith('ws://a.test/ws?')).toBe(true);
    socket.serverClose(CLOSE_CODES.SHUTDOWN);
    await waitFor(() => fake.sockets.length === 2);
    expect(fake.last().url.startsWith('ws://b.test/ws?')).toBe(true);
    fake.last().serverClose(1006);
    await waitFor(() => fake.sockets.length === 3);
    expect(fake.last().url.startsWith('ws://a.test/ws?')).toBe(true);
    expect(client.state).toBe('connecting');
  });

  it('declares protocol 1 when asked to', async () => {
    const { client, fake } = setup({ protocol: 1 });
    void client.connect().catch(() => undefined);
    await waitFor(() => fake.sockets.length === 1);
    expect(fake.last().url).toBe('ws://gateway.test/ws?token=tok%20en&protocol=1');
  });

  it('emits each message of a messages batch frame as a message event, in seq order', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'lobby', 0);
    const got: ServerFrame[] = [];
    client.on('message', (m) => got.push(m));
    socket.receive(batch('lobby', 1, 3, [1, 2, 3]));
    socket.receive(batch('lobby', 4, 4, [4]));
    expect(got).toEqual([1, 2, 3, 4].map((seq) => message('lobby', seq)));
    expect(client.stats()).toMatchObject({ batches: 2, gaps: 0, thinned: 0, duplicatesDropped: 0 });
    expect(client.lastSeq('lobby')).toBe(4);
  });

  it('counts thinned seqs apart from gaps, and a frame that starts past lastSeq + 1 as a gap', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'lobby', 0);
    const seqs: number[] = [];
    const thinned: number[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    client.on('thinned', (t) => thinned.push(t.count));
    socket.receive(batch('lobby', 1, 5, [1, 4])); // 2, 3, 5 thinned
    socket.receive(batch('lobby', 6, 7, [])); // all thinned
    socket.receive(batch('lobby', 8, 8, [8]));
    expect(client.stats()).toMatchObject({ gaps: 0, thinned: 5 });
    socket.receive(batch('lobby', 9, 10, [10]));
    socket.receive(batch('lobby', 9, 10, [10])); // a repeat: neither a gap nor thinned again
    socket.receive(batch('lobby', 13, 14, [14])); // 11 and 12 never came: a gap, to be filled
    expect(seqs).toEqual([1, 4, 8, 10]);
    expect(thinned).toEqual([3, 2, 1]);
    expect(client.stats()).toMatchObject({ gaps: 1, thinned: 6, duplicatesDropped: 1 });
    expect(client.lastSeq('lobby')).toBe(10);
    expect(lastSent(socket)).toMatchObject({ type: 'join', roomId: 'lobby', afterSeq: 10 });
  });

  it('rejects a batch frame whose messages do not cover its range as a bad frame', async () => {
    const { client, socket } = await connected();
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    socket.receive({ ...batch('lobby', 1, 3, [1, 3]), thinned: 0 });
    expect(errors).toEqual(['BAD_FRAME']);
    expect(client.stats().invalidFrames).toBe(1);
  });

  it('treats messages at or below the joined lastSeq as duplicates', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'lobby', 10);
    const seqs: number[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    socket.receive(message('lobby', 10));
    socket.receive(message('lobby', 11));
    expect(seqs).toEqual([11]);
    expect(client.stats()).toMatchObject({ duplicatesDropped: 1, gaps: 0 });
  });

  it('emits rejected, likes and online frames', async () => {
    const { client, socket } = await connected();
    const got: string[] = [];
    client.on('rejected', (r) => got.push(`rejected:${r.clientMsgId}:${r.reason}`));
    client.on('likes', (l) => got.push(`likes:${l.total}`));
    client.on('online', (o) => got.push(`online:${o.count}`));
    socket.receive({ type: 'rejected', roomId: 'lobby', clientMsgId: 'c9', reason: 'gambling' });
    socket.receive({ type: 'likes', roomId: 'lobby', total: 12 });
    socket.receive({ type: 'online', roomId: 'lobby', count: 3 });
    expect(got).toEqual(['rejected:c9:gambling', 'likes:12', 'online:3']);
  });

  it('reports invalid server frames as BAD_FRAME errors without closing', async () => {
    const { client, socket } = await connected();
    const errors: RoomcastError[] = [];
    client.on('error', (e) => errors.push(e));
    socket.receive('not json');
    socket.receive({ type: 'message', roomId: 'lobby', seq: -1 });
    expect(errors.map((e) => [e.code, e.kind])).toEqual([
      ['BAD_FRAME', 'protocol'],
      ['BAD_FRAME', 'protocol'],
    ]);
    expect(client.stats().invalidFrames).toBe(2);
    expect(client.state).toBe('open');
  });

  it('skips schema validation when validateFrames is false', async () => {
    const { client, socket } = await connected({ validateFrames: false });
    const texts: string[] = [];
    client.on('message', (m) => texts.push(m.text));
    socket.receive({ ...message('lobby', 1), extra: true, masked: 'not-a-boolean' });
    expect(texts).toEqual(['m1']);
  });

  it('decodes binary frames', async () => {
    const { client, socket } = await connected();
    const totals: number[] = [];
    client.on('likes', (l) => totals.push(l.total));
    socket.onmessage?.({ data: new TextEncoder().encode('{"type":"likes","roomId":"lobby","total":4}') });
    expect(totals).toEqual([4]);
  });
});

describe('RoomcastClient reconnect', () => {
  it('reconnects after 4001 with backoff, rejoins joined rooms and rejects in-flight calls', async () => {
    const { client, fake, socket } = await connected();
    await joinRoom(client, socket, 'lobby', 5);
    await joinRoom(client, socket, 'gone', 0);
    void client.leave('gone').catch(() => undefined);
    socket.receive(message('lobby', 6));
    const inflight = client.chat('lobby', 'hi', { clientMsgId: 'during-drop' });
    const closes: CloseInfo[] = [];
    const reconnects: number[] = [];
    client.on('close', (c) => closes.push(c));
    client.on('reconnect', (r) => reconnects.push(r.attempts));

    socket.serverClose(CLOSE_CODES.SLOW_CONSUMER, 'slow');
    expect(closes).toEqual([{ code: 4001, reason: 'slow', willReconnect: true }]);
    await expect(inflight).rejects.toMatchObject({
      kind: 'closed',
      closeCode: 4001,
      clientMsgId: 'during-drop',
      retriable: true,
    });
    expect(client.state).toBe('reconnecting');

    await waitFor(() => fake.sockets.length === 2);
    const second = fake.last();
    second.accept(WELCOME);
    expect(reconnects).toEqual([1]);
    expect(client.state).toBe('open');
    const rejoins = second.sentFrames();
    // Resumes from the newest seq it has: nothing in between is skipped.
    expect(rejoins).toEqual([expect.objectContaining({ type: 'join', roomId: 'lobby', afterSeq: 6 })]);
    const rejoin = rejoins[0];
    if (rejoin?.type !== 'join') throw new Error('expected join');

    // 7..9 came while we were away: the gateway's catch-up sends them before joined.
    const seqs: number[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    for (const seq of [7, 8, 9]) second.receive(message('lobby', seq));
    second.receive({
      type: 'joined',
      roomId: 'lobby',
      reqId: rejoin.reqId,
      lastSeq: 9,
      recovered: true,
      recoveredCount: 3,
    });
    await waitFor(() => seqs.length === 3);
    second.receive(message('lobby', 9));
    second.receive(message('lobby', 10));
    expect(seqs).toEqual([7, 8, 9, 10]);
    expect(client.lastSeq('lobby')).toBe(10);
    expect(client.stats()).toMatchObject({
      gaps: 0,
      recovered: 3,
      lost: 0,
      duplicatesDropped: 1,
      reconnects: 1,
    });
  });

  it('advance: seqs consumed outside the client move lastSeq, and the resume asks only for what came after', async () => {
    const { client, fake, socket } = await connected();
    await joinRoom(client, socket, 'lobby', 5);
    const seqs: number[] = [];
    client.on('message', (m) => seqs.push(m.seq));
    // A raw frame tap read 6..9 and kept them from the client.
    client.advance('lobby', 9);
    client.advance('lobby', 7);
    client.advance('elsewhere', 3);
    expect(client.lastSeq('lobby')).toBe(9);
    expect(client.lastSeq('elsewhere')).toBe(0);
    expect(client.joinedRooms()).toEqual(['lobby']);

    socket.serverClose(CLOSE_CODES.SHUTDOWN);
    await waitFor(() => fake.sockets.length === 2);
    const second = fake.last();
    second.accept(WELCOME);
    const rejoins = second.sentFrames();
    expect(rejoins).toEqual([expect.objectContaining({ type: 'join', roomId: 'lobby', afterSeq: 9 })]);
    const rejoin = rejoins[0];
    if (rejoin?.type !== 'join') throw new Error('expected join');
    for (const seq of [10, 11]) second.receive(message('lobby', seq));
    second.receive({
      type: 'joined',
      roomId: 'lobby',
      reqId: rejoin.reqId,
      lastSeq: 11,
      recovered: true,
      recoveredCount: 2,
    });
    await waitFor(() => seqs.length === 2);
    second.receive(message('lobby', 9));
    expect(seqs).toEqual([10, 11]);
    expect(client.stats()).toMatchObject({ gaps: 0, recovered: 2, lost: 0, duplicatesDropped: 1 });
  });

  it('keeps retrying while reconnect attempts fail, then rejoins', async () => {
    const { client, fake, socket } = await connected();
    await joinRoom(client, socket, 'lobby');
    socket.serverClose(1006);
    await waitFor(() => fake.sockets.length === 2);
    fake.last().serverClose(1006);
    await waitFor(() => fake.sockets.length === 3);
    const reconnected = new Promise<number>((resolve) => client.on('reconnect', (r) => resolve(r.attempts)));
    fake.last().accept(WELCOME);
    await expect(reconnected).resolves.toBe(2);
    expect(fake.last().sentFrames()).toEqual([expect.objectContaining({ type: 'join', roomId: 'lobby' })]);
  });

  it('does not reconnect after a terminal close (4501)', async () => {
    const { client, fake, socket } = await connected();
    const closes: CloseInfo[] = [];
    client.on('close', (c) => closes.push(c));
    socket.serverClose(CLOSE_CODES.UNAUTHORIZED);
    expect(closes).toEqual([{ code: 4501, reason: '', willReconnect: false }]);
    await tick(40);
    expect(fake.sockets).toHaveLength(1);
    expect(client.state).toBe('closed');
  });

  it('does not reconnect when reconnect is disabled', async () => {
    const { client, fake, socket } = await connected({ reconnect: { enabled: false } });
    socket.serverClose(CLOSE_CODES.SHUTDOWN);
    await tick(40);
    expect(fake.sockets).toHaveLength(1);
    expect(client.state).toBe('closed');
  });

  it('close() stops for good and reports willReconnect false', async () => {
    const { client, fake, socket } = await connected();
    const pending = client.ping();
    const closed = new Promise<CloseInfo>((resolve) => client.on('close', resolve));
    client.close(1000);
    await expect(pending).rejects.toMatchObject({ kind: 'closed' });
    await expect(closed).resolves.toMatchObject({ code: 1000, willReconnect: false });
    expect(socket.closedByClient).toBe(1000);
    await tick(30);
    expect(fake.sockets).toHaveLength(1);
  });
});

describe('RoomcastClient moderation', () => {
  it('moderate sends the action with a reqId and resolves with moderated', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'show');
    const done = client.moderate('show', { kind: 'mute', userId: 'bob', durationMs: 60_000 });
    const frame = lastSent(socket);
    expect(frame).toMatchObject({
      type: 'moderate',
      roomId: 'show',
      action: { kind: 'mute', userId: 'bob', durationMs: 60_000 },
    });
    if (frame.type !== 'moderate' || frame.reqId === undefined)
      throw new Error('expected a moderate frame with a reqId');
    socket.receive({ type: 'moderated', roomId: 'show', reqId: frame.reqId, actionId: 'act-1' });
    await expect(done).resolves.toMatchObject({ type: 'moderated', actionId: 'act-1' });
  });

  it('rejects moderate with the typed error the gateway sent (FORBIDDEN), by reqId', async () => {
    const { client, socket } = await connected();
    const done = client.moderate('show', { kind: 'delete', seq: 4 });
    const frame = lastSent(socket);
    if (frame.type !== 'moderate') throw new Error('expected a moderate frame');
    socket.receive({
      type: 'error',
      code: 'FORBIDDEN',
      message: 'viewers cannot moderate',
      temporary: false,
      reqId: frame.reqId,
    });
    const err: unknown = await done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RoomcastError);
    expect(err).toMatchObject({ code: 'FORBIDDEN', kind: 'server', temporary: false, reqId: frame.reqId });
  });

  it('sends gift, ask and chat with reply/mentions acked by clientMsgId; vote, buy and host settle by reqId with done or the error', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'show');
    const gift = client.gift('show', 'rose', { count: 3, clientMsgId: 'g-1' });
    expect(lastSent(socket)).toMatchObject({
      type: 'gift',
      roomId: 'show',
      clientMsgId: 'g-1',
      giftId: 'rose',
      count: 3,
    });
    const ask = client.ask('show', 'when?', { clientMsgId: 'q-1' });
    expect(lastSent(socket)).toMatchObject({ type: 'ask', text: 'when?', clientMsgId: 'q-1' });
    const chat = client.chat('show', 'hi @ann', { clientMsgId: 'c-1', replyTo: 4, mentions: ['ann'] });
    expect(lastSent(socket)).toMatchObject({ type: 'chat', replyTo: 4, mentions: ['ann'] });
    for (const id of ['g-1', 'q-1', 'c-1']) socket.receive({ type: 'ack', roomId: 'show', clientMsgId: id });
    await expect(Promise.all([gift, ask, chat])).resolves.toHaveLength(3);

    const vote = client.vote('show', { kind: 'poll', pollId: 'p1', option: 2 });
    const v = lastSent(socket);
    if (v.type !== 'vote') throw new Error('expected a vote frame');
    const buy = client.buy('show', 'mug', 2);
    const b = lastSent(socket);
    if (b.type !== 'buy') throw new Error('expected a buy frame');
    expect(b).toMatchObject({ productId: 'mug', quantity: 2 });
    const host = client.host('show', { kind: 'pin', text: 'sale at 8' });
    const h = lastSent(socket);
    if (h.type !== 'host') throw new Error('expected a host frame');
    socket.receive({ type: 'done', roomId: 'show', reqId: v.reqId, result: { counted: true } });
    socket.receive({
      type: 'error',
      code: 'SOLD_OUT',
      message: 'none left',
      temporary: false,
      reqId: b.reqId,
    });
    socket.receive({
      type: 'error',
      code: 'FORBIDDEN',
      message: 'host only',
      temporary: false,
      reqId: h.reqId,
    });
    await expect(vote).resolves.toMatchObject({ type: 'done', result: { counted: true } });
    await expect(buy).rejects.toMatchObject({ code: 'SOLD_OUT' });
    await expect(host).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('emits room-state, mention and inbox frames as events', async () => {
    const { client, socket } = await connected();
    const got: string[] = [];
    client.on('room-state', (f) => got.push(`state ${f.key}`));
    client.on('mention', (f) => got.push(`mention ${f.fromUserId} ${f.reason}`));
    client.on('inbox', (f) => got.push(`inbox ${f.unread}`));
    socket.receive({
      type: 'room-state',
      roomId: 'show',
      key: 'leaderboard',
      value: { top: [{ userId: 'ann', total: 5 }] },
    });
    socket.receive({
      type: 'mention',
      roomId: 'show',
      seq: 3,
      fromUserId: 'ann',
      text: 'hi @bob',
      reason: 'mention',
      at: 1,
    });
    socket.receive({ type: 'inbox', items: [], unread: 0 });
    expect(got).toEqual(['state leaderboard', 'mention ann mention', 'inbox 0']);
  });

  it('refuses an action that fails the schema locally, without sending it', async () => {
    const { client, socket } = await connected();
    await expect(
      client.moderate('show', { kind: 'mute', userId: 'bob', durationMs: 5 }),
    ).rejects.toMatchObject({
      code: 'BAD_FRAME',
      kind: 'local',
    });
    expect(socket.sentFrames().filter((f) => f.type === 'moderate')).toEqual([]);
  });

  it('rejects a chat refused as MUTED or SLOW_MODE with that code', async () => {
    const { client, socket } = await connected();
    const muted = client.chat('show', 'hi', { clientMsgId: 'c-1' });
    const slow = client.chat('show', 'hi again', { clientMsgId: 'c-2' });
    socket.receive({ type: 'error', code: 'MUTED', message: 'muted', temporary: true, clientMsgId: 'c-1' });
    socket.receive({
      type: 'error',
      code: 'SLOW_MODE',
      message: 'slow mode',
      temporary: true,
      clientMsgId: 'c-2',
    });
    await expect(muted).rejects.toMatchObject({ code: 'MUTED', clientMsgId: 'c-1', temporary: true });
    await expect(slow).rejects.toMatchObject({ code: 'SLOW_MODE', clientMsgId: 'c-2', temporary: true });
  });

  it('keeps role, slow mode and mute per room from joined, updated field by field by room-mode', async () => {
    const { client, socket } = await connected();
    const modes: unknown[] = [];
    client.on('room-mode', (f) => modes.push(f));
    expect(client.roomMode('show')).toBeUndefined();
    const joined = client.join('show');
    const join = lastSent(socket);
    if (join.type !== 'join') throw new Error('expected join');
    socket.receive({
      type: 'joined',
      roomId: 'show',
      reqId: join.reqId,
      lastSeq: 0,
      role: 'moderator',
      slowModeMs: 5000,
    });
    await joined;
    await joinRoom(client, socket, 'plain');
    expect(client.roomMode('show')).toEqual({ role: 'moderator', slowModeMs: 5000, mutedUntil: 0 });
    expect(client.roomMode('plain')).toEqual({ role: 'viewer', slowModeMs: 0, mutedUntil: 0 });

    socket.receive({ type: 'room-mode', roomId: 'show', mutedUntil: 1_900_000_000_000 });
    socket.receive({ type: 'room-mode', roomId: 'show', slowModeMs: 0 });
    expect(client.roomMode('show')).toEqual({
      role: 'moderator',
      slowModeMs: 0,
      mutedUntil: 1_900_000_000_000,
    });
    socket.receive({ type: 'room-mode', roomId: 'show', role: 'viewer', mutedUntil: 0 });
    expect(client.roomMode('show')).toEqual({ role: 'viewer', slowModeMs: 0, mutedUntil: 0 });
    expect(client.roomMode('plain')).toEqual({ role: 'viewer', slowModeMs: 0, mutedUntil: 0 });
    expect(modes).toHaveLength(3);
    expect(modes[0]).toEqual({ type: 'room-mode', roomId: 'show', mutedUntil: 1_900_000_000_000 });
  });

  it('the mode of a rejoin replaces the old one (a lifted slow mode is absent from joined)', async () => {
    const { client, fake, socket } = await connected();
    const joined = client.join('show');
    const join = lastSent(socket);
    if (join.type !== 'join') throw new Error('expected join');
    socket.receive({
      type: 'joined',
      roomId: 'show',
      reqId: join.reqId,
      lastSeq: 0,
      role: 'host',
      slowModeMs: 3000,
    });
    await joined;
    const { second, join: rejoin } = await dropAndRejoin(socket, fake);
    second.receive({ type: 'joined', roomId: 'show', reqId: rejoin.reqId, lastSeq: 0, role: 'host' });
    await waitFor(() => client.roomMode('show')?.slowModeMs === 0);
    expect(client.roomMode('show')).toEqual({ role: 'host', slowModeMs: 0, mutedUntil: 0 });
  });

  it('emits deleted, and passes tombstones of catch-up and history on as messages with deleted: true', async () => {
    const { client, socket } = await connected();
    await joinRoom(client, socket, 'show');
    const deleted: unknown[] = [];
    const messages: { seq: number; deleted?: true; text: string }[] = [];
    client.on('deleted', (f) => deleted.push(f));
    client.on('message', (m) => messages.push(m));
    socket.receive(message('show', 1));
    socket.receive({ ...message('show', 2, ''), deleted: true });
    socket.receive({ type: 'deleted', roomId: 'show', seq: 1 });
    expect(deleted).toEqual([{ type: 'deleted', roomId: 'show', seq: 1 }]);
    expect(messages.map((m) => [m.seq, m.deleted ?? false, m.text])).toEqual([
      [1, false, 'm1'],
      [2, true, ''],
    ]);
    expect(client.lastSeq('show')).toBe(2);
  });

  it('a ban (4503) ends the client: closed, not reconnected, BANNED with the code, pending calls rejected', async () => {
    const { client, fake, socket } = await connected();
    const states: string[] = [];
    client.on('state', (s) => states.push(s.to));
    const pending = client.chat('show', 'hi', { clientMsgId: 'c-9' });
    socket.serverClose(CLOSE_CODES.BANNED, 'banned');
    await expect(pending).rejects.toMatchObject({
      code: 'BANNED',
      kind: 'closed',
      closeCode: 4503,
      clientMsgId: 'c-9',
    });
    await tick(40);
    expect(fake.sockets).toHaveLength(1);
    expect(states).toEqual(['closed']);
    expect(client.state).toBe('closed');
    expect(client.ended).toMatchObject({
      code: 4503,
      reason: 'banned',
      error: { code: 'BANNED', closeCode: 4503 },
    });
  });

  it.each([4500, 4504, 4999])('does not reconnect after %i either, and says so in ended', async (code) => {
    const { client, fake, socket } = await connected();
    socket.serverClose(code);
    await tick(40);
    expect(fake.sockets).toHaveLength(1);
    expect(client.state).toBe('closed');
    expect(client.ended).toMatchObject({ code, error: { code: 'UNAUTHORIZED', closeCode: code } });
  });

  it('ended is null while open, and names close() after it', async () => {
    const { client } = await connected();
    expect(client.ended).toBeNull();
    client.close(1000, 'bye');
    expect(client.ended).toMatchObject({ code: 1000, reason: 'bye' });
  });
});

describe('browser compatibility', () => {
  it('accepts the DOM WebSocket constructor type', () => {
    // Compile-time check: fails typecheck if the SDK needs more than the browser WebSocket offers.
    const compatible: typeof WebSocket extends WebSocketConstructor ? true : false = true;
    expect(compatible).toBe(true);
  });

  it('has no Node-only imports outside tests', () => {
    const dir = __dirname;
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources).toContain('roomcast-client.ts');
    for (const file of sources) {
      const text = readFileSync(joinPath(dir, file), 'utf8');
      expect({ file, nodeImports: text.match(/from '(node:[^']+|ws|fs|path|net|events|buffer)'/g) }).toEqual({
        file,
        nodeImports: null,
      });
      expect({ file, buffer: /\bBuffer\b/.test(text) }).toEqual({ file, buffer: false });
    }
  });
});
