import { PinnedState, ProductState } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { DEFAULT_SOLD_OUT_LEASE_MS, type ProductCard, type ShowcaseStore } from './showcase';

export interface ShowcaseStoreFixture {
  /** A store with the default sold-out lease (DEFAULT_SOLD_OUT_LEASE_MS). */
  store: ShowcaseStore;
  /** The room's rendered value of `key` as viewers would get it (parsed), or undefined if never written. */
  readState(roomId: string, key: 'pinned' | 'product'): Promise<unknown>;
  /** The room's room-state version. */
  version(roomId: string): Promise<number>;
  /** Closes the store and removes whatever it wrote. */
  cleanup(): Promise<void>;
}

const NOW = 1_700_000_000_000;
const LEASE = DEFAULT_SOLD_OUT_LEASE_MS;
const MUG: ProductCard = { productId: 'mug-1', title: 'Blue mug', priceCents: 1299, currency: 'EUR' };
const LAMP: ProductCard = {
  productId: 'lamp',
  title: 'Desk lamp',
  priceCents: 4500,
  currency: 'USD',
  imageUrl: 'https://example.com/lamp.png',
};

/** The one suite every ShowcaseStore twin must pass; `factory` gives a fresh, empty store per test. */
export function describeShowcaseStoreContract(name: string, factory: () => Promise<ShowcaseStoreFixture>): void {
  describe(`ShowcaseStore contract: ${name}`, () => {
    let fixture: ShowcaseStoreFixture;
    let store: ShowcaseStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('pins and unpins, rendering `pinned` and bumping the version each time; a second unpin is a no-op', async () => {
      expect(await store.unpin('room-a')).toBe(false);
      await store.pin('room-a', { text: 'sale at 8', by: 'h', at: 1000 });
      const pinned = await fixture.readState('room-a', 'pinned');
      expect(PinnedState.parse(pinned)).toEqual({ text: 'sale at 8', by: 'h', at: 1000 });
      const v1 = await fixture.version('room-a');
      await store.pin('room-a', { text: 'now 9', by: 'h2', at: 2000 });
      expect(await fixture.readState('room-a', 'pinned')).toEqual({ text: 'now 9', by: 'h2', at: 2000 });
      expect(await fixture.version('room-a')).toBe(v1 + 1);
      expect(await fixture.readState('room-b', 'pinned')).toBeUndefined();
      expect(await store.unpin('room-a')).toBe(true);
      expect(await fixture.readState('room-a', 'pinned')).toBeNull();
      expect(await store.unpin('room-a')).toBe(false);
      expect(await fixture.version('room-a')).toBe(v1 + 2);
    });

    it('shows a product with its stock as the `product` state (image and all)', async () => {
      const shown = await store.show('room-a', LAMP, 5, 'h');
      expect(shown).toEqual({ ...LAMP, stock: 5, soldOut: false });
      expect(ProductState.parse(await fixture.readState('room-a', 'product'))).toEqual({ ...LAMP, stock: 5, soldOut: false });
      // a new push replaces it
      await store.show('room-a', MUG, 0, 'h');
      expect(await fixture.readState('room-a', 'product')).toEqual({ ...MUG, stock: 0, soldOut: true });
    });

    it('sells whole purchases only, re-renders the stock, records buyers, and refuses another product', async () => {
      await store.show('room-a', MUG, 3, 'h');
      expect(await store.buy('room-a', 'ann', 'mug-1', 2, NOW)).toEqual({ ok: true, remaining: 1, soldOut: null });
      expect(await fixture.readState('room-a', 'product')).toEqual({ ...MUG, stock: 1, soldOut: false });
      expect(await store.buy('room-a', 'bob', 'mug-1', 2, NOW)).toEqual({ ok: false, reason: 'too-few', remaining: 1 });
      expect(await store.buy('room-a', 'bob', 'lamp', 1, NOW)).toEqual({ ok: false, reason: 'not-on-show', remaining: 0 });
      expect(await store.buy('room-b', 'bob', 'mug-1', 1, NOW)).toEqual({ ok: false, reason: 'not-on-show', remaining: 0 });
      expect(await store.buy('room-a', 'ann', 'mug-1', 1, NOW)).toEqual({
        ok: true,
        remaining: 0,
        soldOut: { generation: expect.any(Number), by: 'h', title: 'Blue mug' },
      });
      expect(await fixture.readState('room-a', 'product')).toEqual({ ...MUG, stock: 0, soldOut: true });
      expect(await store.buy('room-a', 'bob', 'mug-1', 1, NOW)).toEqual({ ok: false, reason: 'too-few', remaining: 0 });
      expect(await store.purchases('room-a', 'mug-1')).toEqual({ ann: 3 });
      expect(await store.purchases('room-a', 'lamp')).toEqual({});
    });

    it('sets the stock of the product on show; restocking starts a generation whose sell-out is announced again', async () => {
      await store.show('room-a', MUG, 1, 'h');
      const first = await store.buy('room-a', 'ann', 'mug-1', 1, NOW);
      expect(first.ok && first.soldOut).toBeTruthy();
      await expect(store.setStock('room-a', 'lamp', 4)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.setStock('room-a', 'lamp', 4)).rejects.toBeInstanceOf(AppError);
      expect(await store.setStock('room-a', 'mug-1', 2)).toEqual({ ...MUG, stock: 2, soldOut: false });
      expect(await fixture.readState('room-a', 'product')).toEqual({ ...MUG, stock: 2, soldOut: false });
      expect(await store.buy('room-a', 'bob', 'mug-1', 1, NOW)).toEqual({ ok: true, remaining: 1, soldOut: null });
      const second = await store.buy('room-a', 'cid', 'mug-1', 1, NOW);
      expect(second.ok).toBe(true);
      if (!second.ok || !first.ok) throw new Error('unreachable');
      expect(second.soldOut?.generation).toBeGreaterThan(first.soldOut?.generation ?? Infinity);
      // the host setting 0 is sold out in the state but announces nothing (no purchase took it there)
      await store.setStock('room-a', 'mug-1', 0);
      expect(await fixture.readState('room-a', 'product')).toMatchObject({ stock: 0, soldOut: true });
      await store.show('room-b', LAMP, 1, 'h');
      await store.setStock('room-b', 'lamp', 0);
      expect(await store.buy('room-b', 'ann', 'lamp', 1, NOW)).toMatchObject({ ok: false, reason: 'too-few' });
    });

    it('owes the sell-out announcement until soldOutAnnounced(): after the buyer\'s lease one caller takes it over, again each lease', async () => {
      await store.show('room-a', MUG, 1, 'h');
      const bought = await store.buy('room-a', 'ann', 'mug-1', 1, NOW);
      if (!bought.ok || bought.soldOut === null) throw new Error('expected the sell-out');
      const owed = { roomId: 'room-a', productId: 'mug-1', generation: bought.soldOut.generation, by: 'h', title: 'Blue mug' };
      expect(await store.owedSoldOut(['room-a', 'room-b'], NOW + LEASE - 1)).toEqual([]);
      // of several gateways ticking the room after the lease, one gets it
      const ticks = (await Promise.all([1, 2, 3].map(() => store.owedSoldOut(['room-b', 'room-a'], NOW + LEASE)))).flat();
      expect(ticks).toEqual([owed]);
      expect(await store.owedSoldOut(['room-a'], NOW + 2 * LEASE - 1)).toEqual([]);
      expect(await store.owedSoldOut(['room-a'], NOW + 2 * LEASE)).toEqual([owed]);
      // announced for another generation or product: still owed; for this one: done
      await store.soldOutAnnounced('room-a', 'mug-1', owed.generation + 1);
      await store.soldOutAnnounced('room-a', 'lamp', owed.generation);
      expect(await store.owedSoldOut(['room-a'], NOW + 3 * LEASE)).toEqual([owed]);
      await store.soldOutAnnounced('room-a', 'mug-1', owed.generation);
      expect(await store.owedSoldOut(['room-a'], NOW + 10 * LEASE)).toEqual([]);
      expect(await store.owedSoldOut([], NOW + 10 * LEASE)).toEqual([]);
    });

    it('drops an owed sell-out when the host restocks or pushes another product (it would be stale)', async () => {
      await store.show('room-a', MUG, 1, 'h');
      await store.buy('room-a', 'ann', 'mug-1', 1, NOW);
      await store.setStock('room-a', 'mug-1', 5);
      expect(await store.owedSoldOut(['room-a'], NOW + 10 * LEASE)).toEqual([]);
      await store.show('room-b', MUG, 1, 'h');
      await store.buy('room-b', 'ann', 'mug-1', 1, NOW);
      await store.show('room-b', LAMP, 3, 'h');
      expect(await store.owedSoldOut(['room-b'], NOW + 10 * LEASE)).toEqual([]);
    });

    it('N parallel purchases against stock S < N sell exactly S units and announce sold-out once', async () => {
      const S = 7;
      const N = 25;
      await store.show('room-a', MUG, S, 'h');
      const outcomes = await Promise.all(
        Array.from({ length: N }, (_, i) => store.buy('room-a', `u${i}`, 'mug-1', 1, NOW)),
      );
      const sold = outcomes.filter((o) => o.ok);
      expect(sold).toHaveLength(S);
      expect(outcomes.filter((o) => !o.ok && o.reason === 'too-few')).toHaveLength(N - S);
      expect(sold.filter((o) => o.ok && o.soldOut !== null)).toHaveLength(1);
      expect(new Set(sold.map((o) => o.remaining))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
      expect(await fixture.readState('room-a', 'product')).toEqual({ ...MUG, stock: 0, soldOut: true });
      const buyers = await store.purchases('room-a', 'mug-1');
      expect(Object.values(buyers).reduce((a, b) => a + b, 0)).toBe(S);
    });
  });
}
