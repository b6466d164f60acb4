import { newMessageId } from './ids';

describe('newMessageId', () => {
  it('is unique and sorts by creation time', () => {
    const ids = Array.from({ length: 1000 }, () => newMessageId());
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    expect(newMessageId(1000) < newMessageId(2000)).toBe(true);
  });

  it('ends in 8 random hex digits, fresh across refills of the random pool', () => {
    // 5 000 ids draw 20 000 bytes: the 4 KiB pool is refilled several times.
    const randoms = Array.from({ length: 5000 }, () => newMessageId(42).slice(13));
    for (const r of randoms) expect(r).toMatch(/^[0-9a-f]{8}$/);
    // 32 random bits each: a handful of repeats at most, never a pool that was not refilled.
    expect(new Set(randoms).size).toBeGreaterThan(4990);
  });
});
