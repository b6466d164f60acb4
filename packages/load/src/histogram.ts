import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

/**
 * Every latency histogram records MICROSECONDS, from 1 µs to one hour, with 3 significant digits
 * (0.1 % value resolution). All histograms share these settings so that any two can be added
 * exactly: merging across workers adds bucket counts, it never averages percentiles.
 */
export const HISTOGRAM_HIGHEST_US = 3_600_000_000;
const SETTINGS = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: HISTOGRAM_HIGHEST_US,
  numberOfSignificantValueDigits: 3,
  bitBucketSize: 32,
  autoResize: false,
  useWebAssembly: false,
} as const;

export type { Histogram };

/** A fresh microsecond histogram with the shared settings. */
export function createHistogram(): Histogram {
  return build(SETTINGS);
}

/** Records one value in µs; negative values (clock skew) count as 0, huge ones as the cap. */
export function recordMicros(h: Histogram, us: number): void {
  h.recordValue(us <= 0 ? 0 : us >= HISTOGRAM_HIGHEST_US ? HISTOGRAM_HIGHEST_US : Math.round(us));
}

/** Compressed base64 (the HdrHistogram V2 encoding); `''` for an empty histogram. */
export function encodeHistogram(h: Histogram): string {
  return h.totalCount === 0 ? '' : encodeIntoCompressedBase64(h);
}

/** Inverse of encodeHistogram; `''` gives an empty histogram. */
export function decodeHistogram(encoded: string): Histogram {
  if (encoded === '') return createHistogram();
  const decoded = decodeFromCompressedBase64(encoded, SETTINGS.bitBucketSize, false);
  // Copy into a histogram with the shared range so later adds never hit a range mismatch.
  const h = createHistogram();
  h.add(decoded);
  return h;
}

/** Adds encoded histograms into `into` (bucket counts add: the merge is exact). */
export function addEncoded(into: Histogram, encoded: string): void {
  if (encoded === '') return;
  into.add(decodeFromCompressedBase64(encoded, SETTINGS.bitBucketSize, false));
}

/** Merges any number of encoded histograms into a new one. */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const h = createHistogram();
  for (const e of encoded) addEncoded(h, e);
  return h;
}

/** Percentiles of a µs histogram, in milliseconds (3 decimals). All 0 when empty. */
export interface PercentilesMs {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

const ms = (us: number): number => Math.round(us) / 1000;

export function percentilesMs(h: Histogram): PercentilesMs {
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}
