import { InMemoryMessageBus, type OutgoingRecord } from '@roomcast/bus';
import { ChatSubmittedV1, resolveTopics, type HostAction } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { silentLogger } from '@roomcast/logger';
import { InMemoryRoomStateHub } from '@roomcast/room-state';
import { LiveActions, type LiveActor } from './live-actions';
import { DEFAULT_SOLD_OUT_LEASE_MS, formatPrice, ShowcaseFeature, UNPIN_TEXT } from './showcase';
import { InMemoryShowcaseStore } from './showcase.memory';

/** Keeps what is published on chat.message.submitted.v1; `failing` makes publish throw. */
class RecordingBus extends InMemoryMessageBus {
  readonly submitted: ChatSubmittedV1[] = [];
  failing = false;
  override async publish(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (this.failing) throw new AppError('PUBLISH_FAILED', 'broker down');
    for (const r of records) this.submitted.push(ChatSubmittedV1.parse(JSON.parse(String(r.value))));
    await super.publish(topic, records);
  }
}

const HOST: LiveActor = { userId: 'h', role: 'host' };
const VIEWER: LiveActor = { userId: 'v', role: 'viewer' };
const MUG = { productId: 'mug', title: 'Blue mug', priceCents: 1299, currency: 'EUR' };

function setup(): { hub: InMemoryRoomStateHub; bus: RecordingBus; live: LiveActions; errors: unknown[]; advance(ms: number): void } {
  const hub = new InMemoryRoomStateHub();
  let now = 5000;
  const bus = new RecordingBus();
  const logger = silentLogger();
  const errors: unknown[] = [];
  jest.spyOn(logger, 'error').mockImplementation((...args: unknown[]) => void errors.push(args));
  const feature = new ShowcaseFeature({
    store: new InMemoryShowcaseStore(hub),
    bus,
    topics: resolveTopics('t.'),
    gatewayId: 'gw-1',
    logger,
    clock: () => now,
  });
  return { hub, bus, live: new LiveActions([feature]), errors, advance: (ms) => void (now += ms) };
}

const host = (live: LiveActions, action: HostAction, actor = HOST): Promise<Record<string, unknown>> =>
  live.host('show', actor, action);

describe('ShowcaseFeature', () => {
  it('pins: the `pinned` state and a high-priority pin message from the host; unpin clears both ways, once', async () => {
    const { hub, bus, live } = setup();
    const done = await host(live, { kind: 'pin', text: 'sale at 8' });
    expect(done).toEqual({ pinned: true, clientMsgId: expect.stringMatching(/^pin:/) });
    expect(hub.get('show', 'pinned')).toEqual({ text: 'sale at 8', by: 'h', at: 5000 });
    expect(bus.submitted).toEqual([
      expect.objectContaining({
        roomId: 'show',
        userId: 'h',
        clientMsgId: done.clientMsgId,
        text: 'sale at 8',
        kind: 'pin',
        data: { cleared: false },
        priority: 'high',
        gatewayId: 'gw-1',
      }),
    ]);
    expect(await host(live, { kind: 'unpin' })).toEqual({ cleared: true });
    expect(hub.get('show', 'pinned')).toBeNull();
    expect(bus.submitted[1]).toMatchObject({ kind: 'pin', text: UNPIN_TEXT, data: { cleared: true }, priority: 'high' });
    expect(await host(live, { kind: 'unpin' })).toEqual({ cleared: false });
    expect(bus.submitted).toHaveLength(2);
  });

  it('refuses host actions to viewers before the handler runs', async () => {
    const { hub, bus, live } = setup();
    await expect(host(live, { kind: 'pin', text: 'x' }, VIEWER)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(host(live, { kind: 'product', ...MUG, stock: 1 }, VIEWER)).rejects.toBeInstanceOf(AppError);
    expect(hub.get('show', 'pinned')).toBeUndefined();
    expect(bus.submitted).toHaveLength(0);
  });

  it('pushes a product card, sells it down, announces sold-out once with a stable clientMsgId, and restocks', async () => {
    const { hub, bus, live } = setup();
    expect(await host(live, { kind: 'product', ...MUG, stock: 2 })).toEqual({ productId: 'mug', stock: 2 });
    expect(hub.get('show', 'product')).toEqual({ ...MUG, stock: 2, soldOut: false });
    expect(bus.submitted[0]).toMatchObject({
      kind: 'product',
      userId: 'h',
      text: 'Blue mug — 12.99 EUR (2 in stock)',
      data: { ...MUG, stock: 2 },
      priority: 'high',
    });
    expect(await live.buy('show', VIEWER, 'mug', 1)).toEqual({ productId: 'mug', remaining: 1 });
    expect(hub.get('show', 'product')).toMatchObject({ stock: 1, soldOut: false });
    expect(await live.buy('show', { userId: 'w', role: 'viewer' }, 'mug', 1)).toEqual({ productId: 'mug', remaining: 0 });
    await expect(live.buy('show', VIEWER, 'mug', 1)).rejects.toMatchObject({ code: 'SOLD_OUT', details: { remaining: 0 } });
    await expect(live.buy('show', VIEWER, 'lamp', 1)).rejects.toMatchObject({ code: 'SOLD_OUT', message: 'lamp is not on sale in this room' });
    const soldOut = bus.submitted.filter((m) => m.kind === 'sold-out');
    expect(soldOut).toEqual([
      expect.objectContaining({ userId: 'h', clientMsgId: 'sold-out:mug:1', text: 'Sold out: Blue mug', data: { productId: 'mug' }, priority: 'high' }),
    ]);
    expect(hub.get('show', 'product')).toMatchObject({ stock: 0, soldOut: true });

    expect(await host(live, { kind: 'stock', productId: 'mug', stock: 1 })).toEqual({ productId: 'mug', stock: 1 });
    expect(hub.get('show', 'product')).toMatchObject({ stock: 1, soldOut: false });
    await live.buy('show', VIEWER, 'mug', 1);
    expect(bus.submitted.filter((m) => m.kind === 'sold-out').map((m) => m.clientMsgId)).toEqual(['sold-out:mug:1', 'sold-out:mug:2']);
    await expect(host(live, { kind: 'stock', productId: 'lamp', stock: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps a purchase that sold out when the announcement cannot be published (and logs it); a tick after the lease announces it once', async () => {
    const { hub, bus, live, errors, advance } = setup();
    await host(live, { kind: 'product', ...MUG, stock: 1 });
    bus.failing = true;
    expect(await live.buy('show', VIEWER, 'mug', 1)).toEqual({ productId: 'mug', remaining: 0 });
    expect(hub.get('show', 'product')).toMatchObject({ soldOut: true });
    expect(errors).toHaveLength(1);
    const soldOut = () => bus.submitted.filter((m) => m.kind === 'sold-out');
    // the broker is back; within the buyer gateway's lease the tick leaves it alone
    bus.failing = false;
    await live.tick(['show']);
    expect(soldOut()).toEqual([]);
    advance(DEFAULT_SOLD_OUT_LEASE_MS);
    await live.tick(['show', 'elsewhere']);
    await live.tick(['show']);
    advance(10 * DEFAULT_SOLD_OUT_LEASE_MS);
    await live.tick(['show']);
    expect(soldOut()).toEqual([expect.objectContaining({ userId: 'h', clientMsgId: 'sold-out:mug:1', text: 'Sold out: Blue mug', data: { productId: 'mug' } })]);
    bus.failing = true;
    // the host's own action does fail: they can retry it
    await expect(host(live, { kind: 'pin', text: 'x' })).rejects.toMatchObject({ code: 'PUBLISH_FAILED' });
  });

  it('formats prices with two minor digits', () => {
    expect(formatPrice(5, 'USD')).toBe('0.05 USD');
    expect(formatPrice(123456, 'EUR')).toBe('1234.56 EUR');
  });
});
