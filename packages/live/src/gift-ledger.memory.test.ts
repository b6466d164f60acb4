import { InMemoryRoomStateHub } from '@roomcast/room-state';
import { giftValue, parseGiftValues } from './gift-ledger';
import { CONTRACT_COMBO_WINDOW_MS, describeGiftLedgerContract } from './gift-ledger.contract';
import { InMemoryGiftLedger } from './gift-ledger.memory';

describeGiftLedgerContract('InMemoryGiftLedger', async () => {
  const hub = new InMemoryRoomStateHub();
  const reader = hub.reader();
  return {
    ledger: new InMemoryGiftLedger(hub, { comboWindowMs: CONTRACT_COMBO_WINDOW_MS }),
    rendered: async (roomId) => ({ value: hub.get(roomId, 'leaderboard'), version: (await reader.versions([roomId]))[0] ?? 0 }),
    cleanup: async () => {},
  };
});

describe('the gift catalog', () => {
  it('parses GIFT_VALUES and values unknown gifts at 1 each', () => {
    const values = parseGiftValues('rose=1, heart=5,rocket=100,');
    expect([...values]).toEqual([
      ['rose', 1],
      ['heart', 5],
      ['rocket', 100],
    ]);
    expect(giftValue(values, 'rocket', 3)).toBe(300);
    expect(giftValue(values, 'cake', 4)).toBe(4);
  });

  it('refuses a malformed entry, naming it', () => {
    expect(() => parseGiftValues('rose=1,heart')).toThrow('"heart"');
    expect(() => parseGiftValues('Rose=1')).toThrow('"Rose=1"');
    expect(() => parseGiftValues('rose=-1')).toThrow('"rose=-1"');
  });
});
