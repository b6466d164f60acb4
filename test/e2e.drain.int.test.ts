import WebSocket from 'ws';
import { RoomcastClient, type WebSocketConstructor } from '@roomcast/client';
import type { MessageFrame } from '@roomcast/contracts';
import { sleep, uniqueId, waitFor } from '@roomcast/testing';
import { expectGaplessInOrder } from './harness/scenario';
import { startRealStack, type Stack } from './harness/stacks';

/**
 * A gateway drained mid-load (SIGTERM) with two gateways on real infrastructure: its viewers are
 * told to reconnect (close 4000, spread over GATEWAY_DRAIN_MS), move to the other gateway, resume
 * each room with afterSeq, and end up with every message once, in order, while a sender on the
 * other gateway keeps sending.
 */
describe('drain on real infrastructure', () => {
  let stack: Stack | undefined;
  const clients: RoomcastClient[] = [];
  beforeAll(async () => {
    stack = await startRealStack({ GATEWAY_DRAIN_MS: '1500', CATCHUP_BURST: '64' });
  }, 180000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await stack?.stop();
  }, 60000);

  async function client(s: Stack, userId: string, messages: MessageFrame[], urls = s.gatewayUrls): Promise<RoomcastClient> {
    const c = new RoomcastClient({
      // Both gateways: every reconnect moves to the next one.
      url: urls,
      token: await s.token(userId),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      reconnect: { baseMs: 50, maxMs: 500 },
      historyUrl: s.historyUrl,
    });
    clients.push(c);
    c.on('message', (m) => messages.push(m));
    await c.connect();
    return c;
  }

  it('moves the viewers of a drained gateway to the other one, losing and repeating nothing', async () => {
    const s = stack;
    if (!s) throw new Error('stack did not start');
    const room = uniqueId('drain');
    const N = 150;
    const viewers: { c: RoomcastClient; messages: MessageFrame[] }[] = [];
    for (let i = 0; i < 6; i++) {
      const messages: MessageFrame[] = [];
      viewers.push({ c: await client(s, `viewer-${i}`, messages), messages });
    }
    const sent: MessageFrame[] = [];
    // The sender stays on gateway B: messages keep coming while A's viewers move.
    const sender = await client(s, 'sender', sent, [...s.gatewayUrls].reverse());
    for (const { c } of viewers) expect(c.welcome?.gatewayId).toBe('gw-a');
    await Promise.all([...viewers.map(({ c }) => c.join(room)), sender.join(room)]);

    const gatewayA = s.processes.find((p) => p.name === 'gateway-a');
    if (!gatewayA) throw new Error('no gateway-a');
    let drained: Promise<number | null> | undefined;
    for (let i = 0; i < N; i++) {
      if (i === 40) drained = gatewayA.stop();
      // Resend with the same clientMsgId until acked: chat-ingest keeps one.
      for (;;) {
        try {
          await sender.chat(room, `m${i}`, { clientMsgId: `d-${i}` });
          break;
        } catch {
          await sleep(50);
        }
      }
      await sleep(15);
    }
    expect(await drained).toBe(0);

    await waitFor(() => viewers.every((v) => v.messages.length >= N), `every viewer to hold ${N} messages`, 60000);
    await sleep(300);
    for (const v of viewers) {
      expectGaplessInOrder(v.messages, N);
      expect(v.messages.map((m) => m.text)).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
      expect(v.c.stats()).toMatchObject({ lost: 0, reconnects: 1 });
      expect(v.c.welcome?.gatewayId).toBe('gw-b');
    }
    // Some of the messages each viewer missed while moving came back through the catch-up.
    expect(viewers.some((v) => v.c.stats().recovered > 0)).toBe(true);
    expect(sender.welcome?.gatewayId).toBe('gw-b');
    expectGaplessInOrder(sent, N);
  }, 180000);
});
