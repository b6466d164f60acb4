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
 * - a seq at or below `max` (or the baseline) that fills no hole is a `duplicate`;
 * - seqs a protocol v2 `messages` frame covers but leaves out (its `thinned` count) are declared
 *   with `thin(from, to)`: they count as `thinned`, advance `max` like received ones, and are
 *   neither holes nor missing. A thinned range above `max + 1` still opens a hole for the seqs
 *   before it — thinning elsewhere in the stream never hides a real gap.
 *
 * So every seq in (baseline, max] is exactly one of: received, thinned, or an open hole; missing
 * messages are the holes still open plus, once the room's final seq is known, the tail between
 * `max` and that final seq (`missing(finalSeq)`).
 */
export class SeqTracker {
  private baselineSeq: number;
  private maxSeq: number;
  private holes: Set<number> | null = null;
  private forgottenHoles = 0;
  /** Messages seen, duplicates included. */
  received = 0;
  /** Seqs above the baseline declared thinned (each counted once). */
  thinned = 0;
  duplicates = 0;
  outOfOrder = 0;
  /** Times the stream skipped ahead (one event may skip many seqs). */
  gapEvents = 0;

  constructor(baseline = 0) {
    this.baselineSeq = baseline;
    this.maxSeq = baseline;
  }

  /** Sets the baseline from `joined.lastSeq`; ignored once a message was seen or thinned. */
  setBaseline(lastSeq: number): void {
    if (this.received > 0 || this.thinned > 0) return;
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
      this.openHole(max, seq);
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

  /**
   * Seqs `from..to` were left out for this viewer by the server's thinning (a `messages` frame
   * covered them and counted them in `thinned`). Above `max`: thinned, and `max` moves to `to`
   * (a start beyond `max + 1` opens a hole first, counted as a gap). At or below `max`: a seq
   * filling a hole is thinned and counted `outOfOrder` (its frame came late); one already
   * received or thinned is a `duplicate`.
   */
  thin(from: number, to: number): void {
    if (to < from) return;
    const max = this.maxSeq;
    if (from <= max) {
      const last = Math.min(to, max);
      for (let s = from; s <= last; s++) {
        if (this.holes !== null && this.holes.delete(s)) {
          this.outOfOrder++;
          this.thinned++;
        } else this.duplicates++;
      }
      if (to <= max) return;
      from = max + 1;
    } else if (from > max + 1) {
      this.openHole(max, from);
    }
    this.thinned += to - from + 1;
    this.maxSeq = to;
  }

  /** Remembers the seqs strictly between `max` and `next` as skipped. */
  private openHole(max: number, next: number): void {
    this.gapEvents++;
    const width = next - max - 1;
    if (width > MAX_REMEMBERED_HOLE) this.forgottenHoles += width;
    else {
      this.holes ??= new Set();
      for (let s = max + 1; s < next; s++) this.holes.add(s);
    }
  }

  /** Seqs above the baseline up to `finalSeq` this viewer never received and that were not thinned. */
  missing(finalSeq: number): number {
    return this.openHoles + Math.max(0, finalSeq - this.maxSeq);
  }
}
