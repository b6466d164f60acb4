import type { ServerFrame } from '@roomcast/contracts';
import { uniqueId, waitFor } from '@roomcast/testing';
import { startRealStack, type RealStack } from './harness/stacks';
import { WsPeer } from './harness/ws-peer';

type Delivered = Extract<ServerFrame, { type: 'messages' }>['messages'][number];

/**
 * Gifts (issue #14) on the real stack: every service its own process, two gateways, real Kafka,
 * Redis and FerretDB. Senders on gateway A, a viewer on gateway B: the viewer gets the gifts as
 * high-priority gift messages with a running combo (counted by chat-ingest's ledger in Redis), the
 * `leaderboard` room state, and history keeps them with their kind and data.
 */
describe('gifts across two gateways on real infrastructure', () => {
  let stack: RealStack;
  const peers: WsPeer[] = [];
  const room = uniqueId('gifts').replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 60);

  beforeAll(async () => {
    // The combo window is wide enough that a loaded CI machine keeps three quick gifts in one combo.
    stack = await startRealStack({ GIFT_VALUES: 'rose=1,heart=5,rocket=100', GIFT_COMBO_WINDOW_MS: '10000' });
  }, 180_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await stack?.stop();
  }, 60_000);

  async function connect(gw: number, userId: string): Promise<WsPeer> {
    const peer = await WsPeer.connect(stack.gatewayUrls[gw] as string, await stack.token(userId, 600));
    peers.push(peer);
    expect(await peer.request({ type: 'join', roomId: room }, 'joined')).toMatchObject({ type: 'joined' });
    return peer;
  }
  const gifts = (peer: WsPeer): Delivered[] =>
    peer.all('messages').flatMap((f) => (f.roomId === room ? f.messages.filter((m) => m.kind === 'gift') : []));
  async function sendGift(peer: WsPeer, clientMsgId: string, giftId: string, count = 1): Promise<void> {
    peer.send({ type: 'gift', roomId: room, clientMsgId, giftId, count });
    const reply = await waitFor(
      () => peer.frames.find((f) => (f.type === 'ack' || f.type === 'error') && 'clientMsgId' in f && f.clientMsgId === clientMsgId),
      `the reply to gift ${clientMsgId}`,
    );
    expect(reply).toMatchObject({ type: 'ack', clientMsgId });
  }

  it('delivers gifts on the other gateway with a running combo and the leaderboard, and keeps them in history', async () => {
    const viewer = await connect(1, 'viewer');
    const fan = await connect(0, 'fan');
    const whale = await connect(0, 'whale');

    await sendGift(fan, 'r1', 'rose');
    await sendGift(fan, 'r2', 'rose', 2);
    await sendGift(fan, 'r3', 'rose');
    await sendGift(whale, 'k1', 'rocket');
    // A resend of the same gift (same clientMsgId) is one gift.
    await sendGift(fan, 'r3', 'rose');
    await sendGift(fan, 'h1', 'heart', 3);

    const got = await waitFor(() => (gifts(viewer).length >= 5 ? gifts(viewer) : undefined), 'five gifts on gateway B');
    expect(got).toHaveLength(5);
    for (const m of got) expect([m.seq, m.priority, m.kind]).toEqual([m.seq, 'high', 'gift']);
    const roses = got.filter((m) => m.userId === 'fan' && m.data !== undefined && 'giftId' in m.data && m.data.giftId === 'rose');
    const comboId = roses[0]?.id;
    expect(comboId).toEqual(expect.any(String));
    expect(roses.map((m) => [m.text, m.data])).toEqual([
      ['sent 1 × rose', { giftId: 'rose', count: 1, combo: { id: comboId, count: 1 } }],
      ['sent 2 × rose', { giftId: 'rose', count: 2, combo: { id: comboId, count: 3 } }],
      ['sent 1 × rose', { giftId: 'rose', count: 1, combo: { id: comboId, count: 4 } }],
    ]);
    const rocket = got.find((m) => m.userId === 'whale');
    expect(rocket?.data).toEqual({ giftId: 'rocket', count: 1, combo: { id: rocket?.id, count: 1 } });
    const heart = got.find((m) => m.data !== undefined && 'giftId' in m.data && m.data.giftId === 'heart');
    expect(heart?.data).toEqual({ giftId: 'heart', count: 3, combo: { id: heart?.id, count: 3 } });

    // The leaderboard, pushed by gateway B from Redis: rocket 100; 4 roses + 3 hearts × 5 = 19.
    const expected = { top: [{ userId: 'whale', total: 100 }, { userId: 'fan', total: 19 }] };
    const board = await viewer.next('room-state', (f) => f.key === 'leaderboard' && JSON.stringify(f.value) === JSON.stringify(expected));
    expect(board).toMatchObject({ roomId: room, value: expected });
    // A viewer joining later gets it at join.
    const late = await connect(1, 'late');
    await late.next('room-state', (f) => f.key === 'leaderboard' && JSON.stringify(f.value) === JSON.stringify(expected));

    // History keeps the gifts with their kind, data and priority.
    const history = await waitFor(async () => {
      const res = await fetch(`${stack.historyUrl}/rooms/${room}/messages?limit=50`, {
        headers: { authorization: `Bearer ${await stack.token('reader')}` },
      });
      const body = (await res.json()) as { messages: Delivered[] };
      return body.messages.length >= 5 ? body.messages : undefined;
    }, 'the gifts in history');
    expect(history.map((m) => [m.seq, m.kind, m.priority, m.data])).toEqual(got.map((m) => [m.seq, 'gift', 'high', m.data]));
    expect(viewer.invalid).toEqual([]);
  });
});
