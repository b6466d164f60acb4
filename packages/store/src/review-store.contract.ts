import { AppError } from '@roomcast/errors';
import type { NewReviewItem, ReviewStore } from './review-store';

export interface ReviewStoreFixture {
  /** A store that init() has not been called on yet, on empty storage of its own. */
  store: ReviewStore;
  /** A second store on the SAME storage (another service instance), or undefined if not supported. */
  sibling?: () => Promise<ReviewStore>;
  cleanup(): Promise<void>;
}

/** A realistic held message. */
export function makeReviewItem(id: string, overrides: Partial<NewReviewItem> = {}): NewReviewItem {
  const heldAt = 1_764_000_000_000 + Number(id.replace(/\D/g, '') || 0);
  return {
    id,
    roomId: 'room-a',
    userId: 'user-1',
    clientMsgId: `c-${id}`,
    text: `buy cheap stuff ${id} ✓ 弹幕`,
    maskedText: `buy cheap stuff ${id} ✓ 弹幕`,
    sentAt: heldAt - 20,
    gatewayId: 'gw-a',
    submittedAt: heldAt - 15,
    ingestedAt: heldAt - 10,
    heldAt,
    categories: ['spam'],
    words: ['cheap stuff'],
    ...overrides,
  };
}

const LEASE_MS = 10_000;

/**
 * The behaviour every ReviewStore must have. Runs against `InMemoryReviewStore` (unit) and
 * `MongoReviewStore` on the real Mongo-wire server (integration).
 */
export function describeReviewStoreContract(name: string, factory: () => Promise<ReviewStoreFixture>): void {
  describe(`ReviewStore contract: ${name}`, () => {
    let fixture: ReviewStoreFixture | undefined;
    let store: ReviewStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      await store.init();
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('holds a message as pending and returns exactly what was held', async () => {
      const item = makeReviewItem('m1');
      await expect(store.hold(item)).resolves.toEqual({ held: true });
      await expect(store.get('m1')).resolves.toStrictEqual({ ...item, status: 'pending', published: false });
      await expect(store.get('nope')).resolves.toBeUndefined();
    });

    it('holds a message once: a replay is not held again and does not reset a decision', async () => {
      await store.hold(makeReviewItem('m1'));
      await store.claim('m1', { status: 'denied', reason: 'spam' }, 1000, LEASE_MS);
      await expect(store.hold(makeReviewItem('m1', { text: 'replayed' }))).resolves.toEqual({ held: false });
      await expect(store.get('m1')).resolves.toMatchObject({ status: 'denied', text: 'buy cheap stuff m1 ✓ 弹幕' });
    });

    it('lists pending items oldest first, per room, at most limit (default 50, clamped 1..500)', async () => {
      await store.hold(makeReviewItem('m3', { heldAt: 3 }));
      await store.hold(makeReviewItem('m1', { heldAt: 1 }));
      await store.hold(makeReviewItem('m2', { heldAt: 2, roomId: 'room-b' }));
      await store.hold(makeReviewItem('m4', { heldAt: 3 }));
      expect((await store.listPending()).map((i) => i.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
      expect((await store.listPending({ roomId: 'room-a' })).map((i) => i.id)).toEqual(['m1', 'm3', 'm4']);
      expect((await store.listPending({ roomId: 'room-a', limit: 2 })).map((i) => i.id)).toEqual(['m1', 'm3']);
      expect((await store.listPending({ limit: 0 })).map((i) => i.id)).toEqual(['m1']);
      await store.claim('m1', { status: 'approved' }, 10, LEASE_MS);
      expect((await store.listPending()).map((i) => i.id)).toEqual(['m2', 'm3', 'm4']);
      expect(await store.listPending({ roomId: 'room-c' })).toEqual([]);
    });

    it('lets exactly one claim win on a pending item; the others see the decision', async () => {
      await store.hold(makeReviewItem('m1'));
      const other = fixture?.sibling ? await fixture.sibling() : store;
      const claims = await Promise.all([
        store.claim('m1', { status: 'approved' }, 1000, LEASE_MS),
        other.claim('m1', { status: 'approved' }, 1000, LEASE_MS),
        store.claim('m1', { status: 'denied', reason: 'spam' }, 1000, LEASE_MS),
        other.claim('m1', { status: 'approved' }, 1000, LEASE_MS),
      ]);
      expect(claims.filter((c) => c.claimed)).toHaveLength(1);
      const final = await store.get('m1');
      expect(final?.status).not.toBe('pending');
      for (const c of claims) expect(c.item?.status).toBe(final?.status);
    });

    it('records the decision: approved is published with its seq; a denial keeps its reason', async () => {
      await store.hold(makeReviewItem('m1'));
      await store.hold(makeReviewItem('m2'));
      await expect(store.claim('m1', { status: 'approved' }, 1000, LEASE_MS)).resolves.toMatchObject({
        claimed: true,
        item: { id: 'm1', status: 'approved', decidedAt: 1000, published: false },
      });
      await store.markPublished('m1', 7);
      await store.markPublished('m1', 7);
      await expect(store.get('m1')).resolves.toMatchObject({ status: 'approved', published: true, seq: 7 });
      await store.claim('m2', { status: 'denied', reason: 'spam' }, 2000, LEASE_MS);
      await store.markPublished('m2');
      const denied = await store.get('m2');
      expect(denied).toMatchObject({ status: 'denied', reason: 'spam', published: true, decidedAt: 2000 });
      expect(denied?.seq).toBeUndefined();
    });

    it('does not claim a published decision again, nor the opposite decision', async () => {
      await store.hold(makeReviewItem('m1'));
      await store.claim('m1', { status: 'approved' }, 1000, LEASE_MS);
      await store.markPublished('m1', 1);
      await expect(store.claim('m1', { status: 'approved' }, 1000 + 2 * LEASE_MS, LEASE_MS)).resolves.toMatchObject({
        claimed: false,
        item: { status: 'approved', published: true, seq: 1 },
      });
      await expect(store.claim('m1', { status: 'denied', reason: 'x' }, 1000 + 2 * LEASE_MS, LEASE_MS)).resolves.toMatchObject({
        claimed: false,
        item: { status: 'approved' },
      });
      await expect(store.claim('missing', { status: 'approved' }, 0, LEASE_MS)).resolves.toEqual({ claimed: false, item: undefined });
    });

    it('hands an unpublished decision to a new claimer only after the lease ran out', async () => {
      await store.hold(makeReviewItem('m1'));
      await store.claim('m1', { status: 'approved' }, 1000, LEASE_MS);
      // The publisher died before markPublished.
      await expect(store.claim('m1', { status: 'approved' }, 1000 + LEASE_MS - 1, LEASE_MS)).resolves.toMatchObject({ claimed: false });
      await expect(store.claim('m1', { status: 'approved' }, 1000 + LEASE_MS, LEASE_MS)).resolves.toMatchObject({
        claimed: true,
        item: { status: 'approved', decidedAt: 1000, claimedAt: 1000 + LEASE_MS },
      });
      await expect(store.claim('m1', { status: 'approved' }, 1000 + LEASE_MS + 1, LEASE_MS)).resolves.toMatchObject({ claimed: false });
    });

    it('reports healthy while open, refuses work with SHUTTING_DOWN after close', async () => {
      await expect(store.healthy()).resolves.toBe(true);
      await store.close();
      await expect(store.healthy()).resolves.toBe(false);
      const err: unknown = await store.get('m1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('SHUTTING_DOWN');
    });
  });
}
