import {
  HISTOGRAM_HIGHEST_US,
  addEncoded,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeEncoded,
  percentilesMs,
  recordMicros,
} from './histogram';

/** Deterministic pseudo-random values (LCG), shaped like latencies: mostly small, a long tail. */
function latencies(seed: number, n: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    out.push(Math.round(200 + (1 / (1 - u * 0.999) ** 2) * 300));
  }
  return out;
}

describe('histogram merging across workers', () => {
  it('is exact: merged encoded per-worker histograms equal one histogram of every value', () => {
    const workers = [latencies(1, 5000), latencies(2, 20000), latencies(3, 700)];
    const all = createHistogram();
    const encoded = workers.map((values) => {
      const h = createHistogram();
      for (const v of values) {
        recordMicros(h, v);
        recordMicros(all, v);
      }
      return encodeHistogram(h);
    });
    const merged = mergeEncoded(encoded);
    expect(merged.totalCount).toBe(all.totalCount);
    // The encoding keeps bucket counts (3 significant digits), not the raw max: after any
    // encode/decode the max is its bucket's upper bound, identical for the merge and the whole.
    const allRoundTrip = decodeHistogram(encodeHistogram(all));
    expect(merged.maxValue).toBe(allRoundTrip.maxValue);
    expect(Math.abs(merged.maxValue - all.maxValue) / all.maxValue).toBeLessThan(0.001);
    expect(merged.minNonZeroValue).toBe(allRoundTrip.minNonZeroValue);
    for (const p of [0, 1, 10, 50, 75, 90, 99, 99.9, 99.99, 100]) {
      expect(merged.getValueAtPercentile(p)).toBe(all.getValueAtPercentile(p));
    }
    expect(percentilesMs(merged)).toEqual(percentilesMs(allRoundTrip));
    // Bucket for bucket: re-encoding the merge gives the single histogram's bytes.
    expect(encodeHistogram(merged)).toBe(encodeHistogram(all));
  });

  it('is not an average of per-worker percentiles (the shortcut this replaces)', () => {
    const fast = createHistogram();
    const slow = createHistogram();
    for (let i = 0; i < 990; i++) recordMicros(fast, 1000);
    for (let i = 0; i < 10; i++) recordMicros(slow, 500_000);
    const avgP99 = (fast.getValueAtPercentile(99) + slow.getValueAtPercentile(99)) / 2;
    const merged = mergeEncoded([encodeHistogram(fast), encodeHistogram(slow)]);
    // 10 of 1000 values are slow: p99 sits at the boundary, p99.9 is slow.
    expect(merged.getValueAtPercentile(99.9)).toBeGreaterThan(499_000);
    expect(merged.getValueAtPercentile(99)).not.toBe(avgP99);
  });

  it('adds into an existing histogram and round-trips through encode/decode', () => {
    const a = createHistogram();
    recordMicros(a, 1234);
    const into = createHistogram();
    addEncoded(into, encodeHistogram(a));
    addEncoded(into, encodeHistogram(a));
    expect(into.totalCount).toBe(2);
    expect(decodeHistogram(encodeHistogram(into)).totalCount).toBe(2);
  });

  it('encodes an empty histogram as "" and decodes "" as empty', () => {
    expect(encodeHistogram(createHistogram())).toBe('');
    expect(decodeHistogram('').totalCount).toBe(0);
    expect(percentilesMs(createHistogram())).toEqual({
      count: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
      mean: 0,
    });
  });

  it('clamps negative values (clock skew) to 0 and huge ones to the cap instead of throwing', () => {
    const h = createHistogram();
    recordMicros(h, -50);
    recordMicros(h, HISTOGRAM_HIGHEST_US * 10);
    expect(h.totalCount).toBe(2);
    expect(h.maxValue).toBeGreaterThanOrEqual(HISTOGRAM_HIGHEST_US * 0.999);
  });

  it('reports milliseconds with µs resolution', () => {
    const h = createHistogram();
    recordMicros(h, 1500);
    expect(percentilesMs(h).p50).toBeCloseTo(1.5, 2);
  });
});
