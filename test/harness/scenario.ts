import WebSocket from 'ws';
import { RoomcastClient, type RoomcastError, type WebSocketConstructor } from '@roomcast/client';
import type { MessageFrame, RejectedFrame } from '@roomcast/contracts';
import { CLOSE_CODES } from '@roomcast/contracts';
import { uniqueId, waitFor } from '@roomcast/testing';
import type { Stack } from './stacks';

export interface Viewer {
  client: RoomcastClient;
  messages: MessageFrame[];
  rejected: RejectedFrame[];
  likes: Map<string, number>;
  online: Map<string, number>;
}

/** `protocol` 2 (the SDK's default): batch frames; 1: one frame per message. */
export async function connectViewer(
  stack: Stack,
  url: string,
  userId: string,
  protocol: 1 | 2 = 2,
): Promise<Viewer> {
  const client = new RoomcastClient({
    url,
    token: await stack.token(userId),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    reconnect: { enabled: false },
    protocol,
  });
  const v: Viewer = { client, messages: [], rejected: [], likes: new Map(), online: new Map() };
  client.on('message', (m) => v.messages.push(m));
  client.on('rejected', (r) => v.rejected.push(r));
  client.on('likes', (l) => v.likes.set(l.roomId, l.total));
  client.on('online', (o) => v.online.set(o.roomId, o.count));
  await client.connect();
  return v;
}

/** Raw ws connection: resolves with the close code the server sent. */
export function closeCodeFor(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('close', (code) => resolve(code));
    ws.once('error', reject);
  });
}

function inRoom(v: Viewer, roomId: string): MessageFrame[] {
  return v.messages.filter((m) => m.roomId === roomId);
}

/** Seqs must be 1..n, each once, in order. */
export function expectGaplessInOrder(messages: MessageFrame[], n: number): void {
  expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

/**
 * The end-to-end scenario of the walking skeleton, run against both the real stack and the
 * embedded start:
 *  (a) viewers on both gateways in room R receive every accepted message once, in seq order
 *  (b) a viewer only in room S receives none of R
 *  (c) a blocked word is not delivered; only the sender gets a rejection notice (so does a
 *      whitespace-only text, refused by chat-ingest after the gateway acked it)
 *  (d) resubmitting the same clientMsgId yields one message
 *  (e) the history API returns the messages in seq order (to a user with a token; 401 without)
 *  (f) a bad or expired JWT is refused with a terminal close code; a malformed frame gets a typed
 *      error and the connection stays open
 *  (g) a system notice posted to the room arrives as a high-priority message in seq order
 *  plus likes and online counts arriving as counter updates. viewer-b speaks protocol v1 (one
 *  frame per message), everyone else v2 (batch frames): both must see the same messages.
 */
export async function runChatScenario(stack: Stack): Promise<void> {
  const [urlA, urlB] = stack.gatewayUrls as [string, string];
  const R = uniqueId('room');
  const S = uniqueId('other');
  const sender = await connectViewer(stack, urlA, 'sender');
  const viewerA = await connectViewer(stack, urlA, 'viewer-a');
  const viewerB = await connectViewer(stack, urlB, 'viewer-b', 1);
  const viewerS = await connectViewer(stack, urlB, 'viewer-s');
  const all = [sender, viewerA, viewerB, viewerS];
  try {
    await Promise.all([
      sender.client.join(R),
      viewerA.client.join(R),
      viewerB.client.join(R),
      viewerS.client.join(S),
    ]);

    // (a) 20 messages, acked once Kafka has them, delivered to both gateways in seq order.
    const N = 20;
    for (let i = 0; i < N; i++) await sender.client.chat(R, `hello ${i}`, { clientMsgId: `m-${i}` });
    await waitFor(
      () => inRoom(viewerA, R).length >= N && inRoom(viewerB, R).length >= N,
      'viewers to receive 20 messages',
      30000,
    );
    for (const v of [sender, viewerA, viewerB]) {
      expectGaplessInOrder(inRoom(v, R), N);
      expect(inRoom(v, R).map((m) => m.text)).toEqual(Array.from({ length: N }, (_, i) => `hello ${i}`));
    }
    expect(inRoom(viewerA, R)[0]?.userId).toBe('sender');

    // (c) a blocked word: acked (Kafka has it), then rejected; never delivered.
    await sender.client.chat(R, 'buy this badword now', { clientMsgId: 'blocked-1' });
    await waitFor(() => sender.rejected.length === 1, 'the sender to get a rejection notice', 20000);
    expect(sender.rejected[0]).toMatchObject({ roomId: R, clientMsgId: 'blocked-1', reason: 'blocked' });
    // Whitespace only: acked by the gateway, refused by chat-ingest — and the sender is told.
    await sender.client.chat(R, ' \t ', { clientMsgId: 'blank-1' });
    await waitFor(() => sender.rejected.length === 2, 'the sender to hear the blank text was refused', 20000);
    expect(sender.rejected[1]).toMatchObject({ roomId: R, clientMsgId: 'blank-1', reason: 'empty-text' });

    // (d) the same clientMsgId twice: both acked, one message.
    await sender.client.chat(R, 'only once', { clientMsgId: 'dup-1' });
    await sender.client.chat(R, 'only once', { clientMsgId: 'dup-1' });
    // A masked word, and a barrier message after everything above.
    await sender.client.chat(R, 'well darn it', { clientMsgId: 'masked-1' });
    await sender.client.chat(R, 'barrier', { clientMsgId: 'barrier-1' });
    await waitFor(
      () =>
        inRoom(viewerA, R).some((m) => m.clientMsgId === 'barrier-1') &&
        inRoom(viewerB, R).some((m) => m.clientMsgId === 'barrier-1'),
      'the barrier message',
      20000,
    );
    for (const v of [viewerA, viewerB]) {
      const msgs = inRoom(v, R);
      // 20 + "only once" + masked + barrier; the blocked one took no seq, the duplicate none.
      expectGaplessInOrder(msgs, N + 3);
      expect(msgs.filter((m) => m.clientMsgId === 'dup-1')).toHaveLength(1);
      expect(msgs.some((m) => m.text.includes('badword'))).toBe(false);
      expect(msgs.find((m) => m.clientMsgId === 'masked-1')).toMatchObject({
        text: 'well **** it',
        masked: true,
      });
      expect(v.rejected).toHaveLength(0);
    }

    // (b) room S: its viewer sees its own room's message and nothing of R.
    await viewerS.client.chat(S, 'in S', { clientMsgId: 's-1' });
    await waitFor(() => viewerS.messages.length === 1, 'the S message', 20000);
    expect(viewerS.messages.map((m) => m.roomId)).toEqual([S]);
    expect(inRoom(viewerA, S)).toHaveLength(0);

    // (e) history in seq order, for a user with a token.
    const reader = { headers: { authorization: `Bearer ${await stack.token('reader')}` } };
    const history = await waitFor(
      async () => {
        const res = await fetch(`${stack.historyUrl}/rooms/${R}/messages?afterSeq=0&limit=100`, reader);
        const body = (await res.json()) as { messages: MessageFrame[] };
        return body.messages.length === N + 3 ? body.messages : undefined;
      },
      'history to hold every accepted message',
      30000,
    );
    expectGaplessInOrder(history, N + 3);
    expect(history.map((m) => m.clientMsgId)).toEqual(inRoom(viewerA, R).map((m) => m.clientMsgId));
    const page = (await (
      await fetch(`${stack.historyUrl}/rooms/${R}/messages?afterSeq=20&limit=2`, reader)
    ).json()) as { messages: MessageFrame[] };
    expect(page.messages.map((m) => m.seq)).toEqual([21, 22]);
    const bad = await fetch(`${stack.historyUrl}/rooms/${R}/messages?limit=0`, reader);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'BAD_REQUEST', temporary: false });
    // History is for users with a token.
    const anonymous = await fetch(`${stack.historyUrl}/rooms/${R}/messages`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHORIZED' });

    // (g) a system notice: numbered after everything above, high priority, to both kinds of client.
    const posted = await fetch(`${stack.noticeUrl}/rooms/${R}/notices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
      body: JSON.stringify({ text: 'the host is back', id: 'notice-1' }),
    });
    expect(posted.status).toBe(202);
    await waitFor(
      () => inRoom(viewerA, R).length === N + 4 && inRoom(viewerB, R).length === N + 4,
      'the notice on both gateways',
      20000,
    );
    for (const v of [viewerA, viewerB]) {
      expectGaplessInOrder(inRoom(v, R), N + 4);
      expect(inRoom(v, R)[N + 3]).toMatchObject({
        userId: 'system',
        text: 'the host is back',
        priority: 'high',
      });
    }
    // Each kind got what it asked for, and both the same messages.
    expect(viewerA.client.stats().batches).toBeGreaterThan(0);
    expect(viewerB.client.stats().batches).toBe(0);
    expect(inRoom(viewerB, R)).toEqual(inRoom(viewerA, R));

    // Likes come back as a room total at the tick, not one delivery per like.
    for (let i = 0; i < 5; i++) viewerA.client.like(R, 2);
    viewerB.client.like(R, 3);
    await waitFor(
      () => viewerB.likes.get(R) === 13 && viewerA.likes.get(R) === 13,
      'like totals on both gateways',
      10000,
    );
    // Online: sender + viewerA on gateway A, viewerB on gateway B.
    await waitFor(
      () => viewerB.online.get(R) === 3 && viewerA.online.get(R) === 3,
      'online count 3 on both gateways',
      10000,
    );

    // (f) malformed frames: typed error, connection stays open.
    const errors: RoomcastError[] = [];
    viewerA.client.on('error', (e) => errors.push(e));
    const raw = new WebSocket(`${urlA}?token=${await stack.token('raw-user')}`);
    const frames: { type: string; code?: string }[] = [];
    raw.on('message', (d: Buffer) =>
      frames.push(JSON.parse(d.toString()) as { type: string; code?: string }),
    );
    await new Promise((r) => raw.once('open', r));
    raw.send('this is not json');
    raw.send(JSON.stringify({ type: 'chat', roomId: R }));
    raw.send(JSON.stringify({ type: 'chat', roomId: R, clientMsgId: 'x', text: 'not joined' }));
    raw.send(JSON.stringify({ type: 'ping', reqId: 'p1' }));
    await waitFor(() => frames.some((f) => f.type === 'pong'), 'pong after malformed frames', 10000);
    expect(frames.filter((f) => f.type === 'error').map((f) => f.code)).toEqual([
      'BAD_FRAME',
      'BAD_FRAME',
      'NOT_IN_ROOM',
    ]);
    expect(raw.readyState).toBe(WebSocket.OPEN);
    raw.close();

    // Bad, wrongly signed and expired tokens: terminal close codes.
    expect(await closeCodeFor(`${urlA}?token=garbage`)).toBe(CLOSE_CODES.UNAUTHORIZED);
    expect(await closeCodeFor(urlB)).toBe(CLOSE_CODES.UNAUTHORIZED);
    expect(await closeCodeFor(`${urlB}?token=${await stack.token('late', -60)}`)).toBe(
      CLOSE_CODES.TOKEN_EXPIRED,
    );
    expect(errors).toHaveLength(0);

    // The server itself sent every message once and in order: the SDK would hide duplicates and
    // out-of-order frames from `message` listeners, but counts them.
    for (const v of all)
      expect(v.client.stats()).toMatchObject({ duplicatesDropped: 0, gaps: 0, thinned: 0, invalidFrames: 0 });
  } finally {
    for (const v of all) v.client.close();
  }
}
