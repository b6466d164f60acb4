import type { ServerFrame } from '@roomcast/contracts';
import { uniqueId, waitFor } from '@roomcast/testing';
import { startRealStack, type RealStack } from './harness/stacks';
import { WsPeer, type FrameOf } from './harness/ws-peer';

type RoomMessage = { seq: number; text: string; userId: string; kind?: string; data?: Record<string, unknown> };

/**
 * The pinned message and the flash sale (issue #14) on the real stack: every service its own
 * process, two gateways, real Kafka, Redis and FerretDB. The host acts on gateway A; viewers on A
 * and B. Room state (pinned, product with its stock) travels through Redis and each gateway's
 * room-state tick; the announcements (pin, product, sold-out) through the chat pipeline.
 */
describe('pinned message and flash sale across two gateways on real infrastructure', () => {
  let stack: RealStack;
  const peers: WsPeer[] = [];
  const room = uniqueId('shop').replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 60);

  beforeAll(async () => {
    stack = await startRealStack({}, { logDir: process.env.SHOWCASE_LOG_DIR });
  }, 180_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await stack?.stop();
  }, 60_000);

  const [A, B] = [0, 1];
  async function joinedPeer(gw: number, userId: string, roles?: Record<string, 'host'>): Promise<WsPeer> {
    const peer = await WsPeer.connect(stack.gatewayUrls[gw] as string, await stack.token(userId, 600, roles));
    peers.push(peer);
    expect(await peer.request({ type: 'join', roomId: room }, 'joined')).toMatchObject({ type: 'joined' });
    return peer;
  }
  const hostAction = (peer: WsPeer, action: object): Promise<ServerFrame> =>
    peer.request({ type: 'host', roomId: room, action }, 'done');
  const messagesOf = (peer: WsPeer, kind: string): RoomMessage[] =>
    (peer.messages(room) as RoomMessage[]).filter((m) => m.kind === kind);
  const state = (peer: WsPeer, key: 'pinned' | 'product'): FrameOf<'room-state'>[] =>
    peer.all('room-state').filter((f) => f.roomId === room && f.key === key);
  const lastState = (peer: WsPeer, key: 'pinned' | 'product'): unknown => state(peer, key).at(-1)?.value;
  /** Chats a marker and waits until `peers` have it: everything sequenced before it has arrived too. */
  async function barrier(from: WsPeer, ...others: WsPeer[]): Promise<void> {
    const marker = uniqueId('marker');
    expect(await from.chat(room, marker, marker)).toMatchObject({ type: 'ack' });
    for (const p of [from, ...others]) await waitFor(() => p.messages(room).some((m) => m.text === marker), `${marker} at a peer`);
  }

  it('pins on A; a viewer joining later on B sees it at join; 5 concurrent buys on A and B of 3 in stock: 3 sold, one sold-out; unpin clears', async () => {
    const host = await joinedPeer(A, 'host1', { [room]: 'host' });
    const early = await joinedPeer(A, 'early1');

    // -- pin: the state everywhere, and a sequenced high-priority 'pin' message
    expect(await hostAction(host, { kind: 'pin', text: 'Flash sale at 8pm' })).toMatchObject({
      type: 'done',
      result: { pinned: true, clientMsgId: expect.stringMatching(/^pin:/) },
    });
    await early.next('room-state', (f) => f.roomId === room && f.key === 'pinned' && f.value !== null);
    await waitFor(() => messagesOf(early, 'pin').length === 1, 'the pin message');
    expect(messagesOf(early, 'pin')[0]).toMatchObject({ userId: 'host1', text: 'Flash sale at 8pm', data: { cleared: false } });

    // a viewer joining later, on the other gateway, gets the pinned bar with the room state sent at join
    const late = await joinedPeer(B, 'late1');
    const atJoin = await late.next('room-state', (f) => f.roomId === room && f.key === 'pinned');
    expect(atJoin.value).toMatchObject({ text: 'Flash sale at 8pm', by: 'host1' });

    // -- a viewer may not pin or push products
    expect(await late.request({ type: 'host', roomId: room, action: { kind: 'pin', text: 'mine' } }, 'done')).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
    });

    // -- the product card: state and a 'product' message
    const product = { productId: 'mug-42', title: 'Roomcast mug', priceCents: 1500, currency: 'EUR', stock: 3 };
    expect(await hostAction(host, { kind: 'product', ...product })).toMatchObject({ type: 'done', result: { productId: 'mug-42', stock: 3 } });
    for (const p of [host, early, late])
      await p.next('room-state', (f) => f.roomId === room && f.key === 'product' && f.value !== null && 'stock' in f.value && f.value.stock === 3);
    await waitFor(() => messagesOf(late, 'product').length === 1, 'the product card at B');
    expect(messagesOf(late, 'product')[0]).toMatchObject({ userId: 'host1', data: { ...product } });

    // -- 5 concurrent buys from A and B against a stock of 3
    const buyers = [
      early,
      late,
      await joinedPeer(A, 'buyer-a2'),
      await joinedPeer(B, 'buyer-b2'),
      await joinedPeer(B, 'buyer-b3'),
    ];
    const replies = await Promise.all(
      buyers.map((b) => b.request({ type: 'buy', roomId: room, productId: 'mug-42', quantity: 1 }, 'done')),
    );
    const done = replies.filter((r): r is FrameOf<'done'> => r.type === 'done');
    const refused = replies.filter((r): r is FrameOf<'error'> => r.type === 'error');
    expect(done).toHaveLength(3);
    expect(done.map((d) => d.result?.remaining).sort()).toEqual([0, 1, 2]);
    expect(refused.map((e) => e.code)).toEqual(['SOLD_OUT', 'SOLD_OUT']);

    // everyone sees the stock fall to 0, sold out, as room state
    for (const p of [host, ...buyers])
      await p.next('room-state', (f) => f.roomId === room && f.key === 'product' && f.value !== null && 'soldOut' in f.value && f.value.soldOut);
    expect(lastState(late, 'product')).toEqual({ ...product, stock: 0, soldOut: true });

    // exactly one 'sold-out' message, at every peer (the marker is sequenced after it)
    await barrier(host, ...buyers);
    for (const p of [host, ...buyers]) {
      expect(messagesOf(p, 'sold-out')).toHaveLength(1);
      expect(messagesOf(p, 'sold-out')[0]).toMatchObject({ userId: 'host1', data: { productId: 'mug-42' } });
    }

    // -- restock: the card is back on sale for everyone
    expect(await hostAction(host, { kind: 'stock', productId: 'mug-42', stock: 10 })).toMatchObject({ type: 'done', result: { stock: 10 } });
    await late.next('room-state', (f) => f.roomId === room && f.key === 'product' && f.value !== null && 'stock' in f.value && f.value.stock === 10);
    expect(lastState(late, 'product')).toMatchObject({ stock: 10, soldOut: false });

    // -- unpin: the state is null on both gateways, and a 'pin' message says cleared
    expect(await hostAction(host, { kind: 'unpin' })).toMatchObject({ type: 'done', result: { cleared: true } });
    for (const p of [early, late]) await p.next('room-state', (f) => f.roomId === room && f.key === 'pinned' && f.value === null);
    await waitFor(() => messagesOf(late, 'pin').some((m) => m.data?.cleared === true), 'the unpin message at B');
  });
});
