/** What one arriving seq meant for the viewer's stream. */
export type SeqVerdict = 'next' | 'gap' | 'duplicate' | 'out-of-order';

/**
 * Holes wider than this are counted but not remembered one by one (a server bug that jumps a
 * million seqs must not make the load tool allocate a million set entries); a late arrival of
 * such a seq is then counted as a duplicate rather than out-of-order.
 */
export const MAX_REMEMBERED_HOLE = 10_000;

/**
 * One viewer's view of one room's seq stream, from the raw frames (before any SDK dedup):
 *
 * - `baseline` is the `joined.lastSeq`: every seq above it should arrive exactly once, in order.
 * - a seq above `max + 1` opens a hole (`gapEvents` + 1, each skipped seq remembered);
 * - a seq that fills a remembered hole is `out-of-order`;
 * - a seq at or below `max` (or the baseline) that fills no hole is a `duplicate`.
 *
 * Missing messages are the holes still open plus, once the room's final seq is known, the tail
 * between `max` and that final seq (`missing(finalSeq)`).
 */
export class SeqTracker {
  private baselineSeq: number;
  private maxSeq: number;
  private holes: Set<number> | null = null;
  private forgottenHoles = 0;
  /** Message frames seen, duplicates included. */
  received = 0;
  duplicates = 0;
  outOfOrder = 0;
  /** Times the stream skipped ahead (one event may skip many seqs). */
  gapEvents = 0;

  constructor(baseline = 0) {
    this.baselineSeq = baseline;
    this.maxSeq = baseline;
  }

  /** Sets the baseline from `joined.lastSeq`; ignored once a message was seen. */
  setBaseline(lastSeq: number): void {
    if (this.received > 0) return;
    this.baselineSeq = lastSeq;
    this.maxSeq = lastSeq;
  }

  get baseline(): number {
    return this.baselineSeq;
  }

  /** Highest seq seen (or the baseline). */
  get max(): number {
    return this.maxSeq;
  }

  /** Seqs skipped and not (yet) filled. */
  get openHoles(): number {
    return (this.holes?.size ?? 0) + this.forgottenHoles;
  }

  observe(seq: number): SeqVerdict {
    this.received++;
    const max = this.maxSeq;
    if (seq === max + 1) {
      this.maxSeq = seq;
      return 'next';
    }
    if (seq > max) {
      this.gapEvents++;
      const width = seq - max - 1;
      if (width > MAX_REMEMBERED_HOLE) this.forgottenHoles += width;
      else {
        this.holes ??= new Set();
        for (let s = max + 1; s < seq; s++) this.holes.add(s);
      }
      this.maxSeq = seq;
      return 'gap';
    }
    if (this.holes !== null && this.holes.delete(seq)) {
      this.outOfOrder++;
      return 'out-of-order';
    }
    this.duplicates++;
    return 'duplicate';
  }

  /** Seqs above the baseline up to `finalSeq` this viewer never received. */
  missing(finalSeq: number): number {
    return this.openHoles + Math.max(0, finalSeq - this.maxSeq);
  }
}
