import type { ServerFrame } from '@roomcast/contracts';
import { uniqueId, waitFor } from '@roomcast/testing';
import { startRealStack, type RealStack } from './harness/stacks';
import { WsPeer } from './harness/ws-peer';

/**
 * @mentions, replies and the inbox (issue #14) on the real stack: every service its own process,
 * two gateways, real Kafka, Redis and FerretDB. ann on gateway A mentions bob, online on gateway
 * B, and carl, offline; bob gets a live `mention`, carl the entry in his inbox at his next
 * connect and over HTTP; a reply notifies the replied-to author; marking read sticks.
 */
describe('mentions, replies and the inbox across two gateways on real infrastructure', () => {
  let stack: RealStack;
  const peers: WsPeer[] = [];
  const room = uniqueId('show').replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 60);

  beforeAll(async () => {
    stack = await startRealStack();
  }, 180_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await stack?.stop();
  }, 60_000);

  const [A, B] = [0, 1];
  async function connect(gw: number, userId: string): Promise<WsPeer> {
    const peer = await WsPeer.connect(stack.gatewayUrls[gw] as string, await stack.token(userId, 600));
    peers.push(peer);
    return peer;
  }
  async function join(peer: WsPeer): Promise<void> {
    expect(await peer.request({ type: 'join', roomId: room }, 'joined')).toMatchObject({ type: 'joined' });
  }
  function chat(peer: WsPeer, clientMsgId: string, text: string, extra: { mentions?: string[]; replyTo?: number } = {}): Promise<ServerFrame> {
    peer.send({ type: 'chat', roomId: room, clientMsgId, text, ...extra });
    return waitFor(() => peer.frames.find((f) => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === clientMsgId), `the ack of ${clientMsgId}`, 10_000);
  }
  interface InboxBody {
    items: { id: string; seq: number; reason: string; read: boolean; fromUserId: string; text: string; replyTo?: number }[];
    unread: number;
  }
  async function inboxOf(userId: string, query = ''): Promise<InboxBody> {
    const res = await fetch(`${stack.historyUrl}/inbox${query}`, { headers: { authorization: `Bearer ${await stack.token(userId)}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as InboxBody;
  }

  it('a mention reaches the mentioned user on the other gateway, a reply its author; the offline user finds both in the inbox', async () => {
    const ann = await connect(A, 'ann');
    const bob = await connect(B, 'bob');
    await join(ann);
    await join(bob);
    // bob's inbox was empty at connect.
    expect(await bob.next('inbox')).toEqual({ type: 'inbox', items: [], unread: 0 });

    expect(await chat(bob, 'b1', 'hello room')).toMatchObject({ type: 'ack' });
    const bobs = await waitFor(() => ann.messages(room).find((m) => m.userId === 'bob'), "bob's message on A", 10_000);

    const sentAt = Date.now();
    const mention = await chat(ann, 'a1', '@bob @carl look at this', { mentions: ['bob', 'carl', 'ann'] });
    expect(mention).toMatchObject({ type: 'ack' });
    const live = await bob.next('mention', (f) => f.reason === 'mention', 10_000);
    console.log(`mention from gateway A to bob on gateway B: ${Date.now() - sentAt} ms after the send`);
    expect(live).toEqual({ type: 'mention', roomId: room, seq: expect.any(Number), fromUserId: 'ann', text: '@bob @carl look at this', reason: 'mention', at: expect.any(Number) });
    // The room's message carries its mentions end to end (gateway → chat-ingest → filter → gateways).
    const seen = await waitFor(() => bob.frames.find((f) => f.type === 'message' && f.seq === live.seq) ?? findBatched(bob, live.seq), 'the message on B', 10_000);
    expect(seen).toMatchObject({ mentions: ['bob', 'carl', 'ann'] });

    expect(await chat(ann, 'a2', 'agreed!', { replyTo: bobs.seq })).toMatchObject({ type: 'ack' });
    expect(await bob.next('mention', (f) => f.reason === 'reply', 10_000)).toMatchObject({ fromUserId: 'ann', text: 'agreed!', reason: 'reply', replyTo: bobs.seq });
    // ann mentioned herself: never told.
    await ann.request({ type: 'ping' }, 'pong');
    expect(ann.all('mention')).toEqual([]);

    // Persistence wrote the inbox (asynchronously): bob has both, carl the mention.
    const bobsInbox = await waitFor(async () => {
      const got = await inboxOf('bob');
      return got.items.length === 2 ? got : undefined;
    }, "bob's inbox", 15_000);
    expect(bobsInbox.unread).toBe(2);
    expect(bobsInbox.items.map((i) => [i.reason, i.fromUserId])).toEqual([['reply', 'ann'], ['mention', 'ann']]);
    const carls = await waitFor(async () => {
      const got = await inboxOf('carl');
      return got.items.length === 1 ? got : undefined;
    }, "carl's inbox", 15_000);
    expect(carls).toEqual({ unread: 1, items: [expect.objectContaining({ seq: live.seq, reason: 'mention', fromUserId: 'ann', read: false })] });
    await expect(inboxOf('ann')).resolves.toEqual({ items: [], unread: 0 });

    // carl connects (gateway A) and gets the inbox frame with it.
    const carl = await connect(A, 'carl');
    const frame = await carl.next('inbox');
    expect(frame.unread).toBe(1);
    expect(frame.items).toEqual(carls.items);

    // Mark read over HTTP; the next connect's frame is empty.
    const marked = await fetch(`${stack.historyUrl}/inbox/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await stack.token('carl')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [carls.items[0]?.id] }),
    });
    expect(marked.status).toBe(200);
    await expect(marked.json()).resolves.toEqual({ marked: 1, unread: 0 });
    carl.close();
    const again = await connect(B, 'carl');
    expect(await again.next('inbox')).toEqual({ type: 'inbox', items: [], unread: 0 });
    await expect(inboxOf('carl')).resolves.toMatchObject({ unread: 0, items: [{ read: true }] });

    // History (MongoDB) keeps the reply and the mentions.
    const history = await fetch(`${stack.historyUrl}/rooms/${room}/messages`, { headers: { authorization: `Bearer ${await stack.token('bob')}` } });
    const { messages } = (await history.json()) as { messages: { clientMsgId: string; mentions?: string[]; replyTo?: number }[] };
    expect(messages.find((m) => m.clientMsgId === 'a1')).toMatchObject({ mentions: ['bob', 'carl', 'ann'] });
    expect(messages.find((m) => m.clientMsgId === 'a2')).toMatchObject({ replyTo: bobs.seq });
  });

  it('answers 401 and 400 on the inbox API', async () => {
    expect((await fetch(`${stack.historyUrl}/inbox`)).status).toBe(401);
    const bad = await fetch(`${stack.historyUrl}/inbox/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await stack.token('bob')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ all: 'yes' }),
    });
    expect(bad.status).toBe(400);
    await expect(bad.json()).resolves.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

function findBatched(peer: WsPeer, seq: number): object | undefined {
  for (const f of peer.frames) if (f.type === 'messages') for (const m of f.messages) if (m.seq === seq) return m;
  return undefined;
}
