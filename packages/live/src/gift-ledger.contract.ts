import type { GiftEntry, GiftLedger } from './gift-ledger';

export interface GiftLedgerFixture {
  /** A fresh, empty ledger with a 3000 ms combo window. */
  ledger: GiftLedger;
  /** The room's rendered `leaderboard` state (parsed) and its room-state version. */
  rendered(roomId: string): Promise<{ value: unknown; version: number }>;
  /** Closes the ledger and removes whatever it wrote. */
  cleanup(): Promise<void>;
}

export const CONTRACT_COMBO_WINDOW_MS = 3000;
const T0 = 1_700_000_000_000;

let n = 0;
function gift(over: Partial<GiftEntry> = {}): GiftEntry {
  n += 1;
  return { messageId: `m${n}`, roomId: 'r1', userId: 'u1', giftId: 'rose', count: 1, value: 1, at: T0, ...over };
}

/** The one suite every GiftLedger twin must pass. */
export function describeGiftLedgerContract(name: string, factory: () => Promise<GiftLedgerFixture>): void {
  describe(`GiftLedger contract: ${name}`, () => {
    let fixture: GiftLedgerFixture;
    let ledger: GiftLedger;

    beforeEach(async () => {
      fixture = await factory();
      ledger = fixture.ledger;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('records nothing for an empty batch', async () => {
      expect(await ledger.record([])).toEqual([]);
      expect(await fixture.rendered('r1')).toEqual({ value: undefined, version: 0 });
    });

    it('starts a combo at the first gift and extends it while each next gift is within the window', async () => {
      const a = gift({ count: 2, at: T0 });
      const b = gift({ count: 3, at: T0 + 2500 });
      // The window restarts with each gift: 5000 ms after the first, but 2500 after the previous.
      const c = gift({ count: 1, at: T0 + 5000 });
      expect(await ledger.record([a])).toEqual([{ id: a.messageId, count: 2 }]);
      expect(await ledger.record([b, c])).toEqual([
        { id: a.messageId, count: 5 },
        { id: a.messageId, count: 6 },
      ]);
      // Past the window: a new combo.
      const d = gift({ count: 4, at: T0 + 5000 + CONTRACT_COMBO_WINDOW_MS + 1 });
      expect(await ledger.record([d])).toEqual([{ id: d.messageId, count: 4 }]);
    });

    it('keeps combos apart by gift, sender and room', async () => {
      const a = gift();
      const other = [gift({ giftId: 'heart' }), gift({ userId: 'u2' }), gift({ roomId: 'r2' })];
      const again = gift({ at: T0 + 10 });
      const combos = await ledger.record([a, ...other, again]);
      expect(combos).toEqual([
        { id: a.messageId, count: 1 },
        ...other.map((g) => ({ id: g.messageId, count: 1 })),
        { id: a.messageId, count: 2 },
      ]);
    });

    it('counts a replayed message id once and answers the combo it got the first time', async () => {
      const a = gift({ count: 2, value: 10 });
      const b = gift({ count: 1, value: 5, at: T0 + 100 });
      await ledger.record([a, b]);
      const before = await fixture.rendered('r1');
      // The replay comes after b grew the combo: a still answers its own running total.
      expect(await ledger.record([a, { ...b, at: T0 + 200 }])).toEqual([
        { id: a.messageId, count: 2 },
        { id: a.messageId, count: 3 },
      ]);
      expect(await fixture.rendered('r1')).toEqual(before);
      expect(before.value).toEqual({ top: [{ userId: 'u1', total: 15 }] });
      // The next new gift continues the combo from the counted total, not the replayed one.
      expect(await ledger.record([gift({ at: T0 + 300 })])).toEqual([{ id: a.messageId, count: 4 }]);
    });

    it('renders the top senders by total value, highest first, and bumps the room-state version', async () => {
      const batch: GiftEntry[] = [];
      for (let i = 0; i < 12; i++) batch.push(gift({ userId: `v${String(i).padStart(2, '0')}`, value: (i + 1) * 10 }));
      await ledger.record(batch);
      const first = await fixture.rendered('r1');
      expect(first.version).toBe(1);
      const top = (first.value as { top: { userId: string; total: number }[] }).top;
      expect(top).toHaveLength(10);
      expect(top[0]).toEqual({ userId: 'v11', total: 120 });
      expect(top[9]).toEqual({ userId: 'v02', total: 30 });
      // One sender's gifts add up; ties go to the larger userId first (Redis's order).
      await ledger.record([gift({ userId: 'v00', value: 110 }), gift({ userId: 'v01', giftId: 'heart', value: 100 })]);
      const second = await fixture.rendered('r1');
      expect(second.version).toBe(2);
      expect((second.value as { top: unknown[] }).top.slice(0, 4)).toEqual([
        { userId: 'v11', total: 120 },
        { userId: 'v01', total: 120 },
        { userId: 'v00', total: 120 },
        { userId: 'v10', total: 110 },
      ]);
    });

    it('renders each room of a batch from its own gifts', async () => {
      await ledger.record([gift({ roomId: 'ra', userId: 'x', value: 3 }), gift({ roomId: 'rb', userId: 'y', value: 7 })]);
      expect(await fixture.rendered('ra')).toEqual({ value: { top: [{ userId: 'x', total: 3 }] }, version: 1 });
      expect(await fixture.rendered('rb')).toEqual({ value: { top: [{ userId: 'y', total: 7 }] }, version: 1 });
    });
  });
}
