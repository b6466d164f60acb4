import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows a burst, then refuses until tokens refill at the rate', () => {
    const bucket = new TokenBucket(2, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // 2 per second: one token takes 500 ms.
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(500)).toBe(false);
  });

  it('saves at most burst tokens however long it was idle', () => {
    const bucket = new TokenBucket(10, 2, 0);
    const taken = [60_000, 60_000, 60_000].map((t) => bucket.take(t));
    expect(taken).toEqual([true, true, false]);
  });

  it('adds nothing when the clock goes backwards', () => {
    const bucket = new TokenBucket(1, 1, 1_000);
    expect(bucket.take(1_000)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(1_000)).toBe(false);
    expect(bucket.take(2_000)).toBe(true);
  });
});
