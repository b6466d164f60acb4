import { MAX_REMEMBERED_HOLE, SeqTracker } from './seq-tracker';

function feed(t: SeqTracker, seqs: number[]): string[] {
  return seqs.map((s) => t.observe(s));
}

describe('SeqTracker', () => {
  it('accepts a gap-free stream from the baseline', () => {
    const t = new SeqTracker();
    t.setBaseline(10);
    expect(feed(t, [11, 12, 13])).toEqual(['next', 'next', 'next']);
    expect(t.missing(13)).toBe(0);
    expect(t.duplicates + t.outOfOrder + t.gapEvents).toBe(0);
  });

  it('counts a skipped seq as a gap that stays missing', () => {
    const t = new SeqTracker();
    expect(feed(t, [1, 2, 5, 6])).toEqual(['next', 'next', 'gap', 'next']);
    expect(t.gapEvents).toBe(1);
    expect(t.openHoles).toBe(2);
    expect(t.missing(6)).toBe(2);
  });

  it('counts a late seq filling a hole as out-of-order, not as a gap', () => {
    const t = new SeqTracker();
    expect(feed(t, [1, 3, 2, 4])).toEqual(['next', 'gap', 'out-of-order', 'next']);
    expect(t.outOfOrder).toBe(1);
    expect(t.openHoles).toBe(0);
    expect(t.missing(4)).toBe(0);
  });

  it('counts a repeated seq as a duplicate, also one at or below the baseline', () => {
    const t = new SeqTracker(5);
    expect(feed(t, [6, 7, 7, 6, 5, 3])).toEqual([
      'next',
      'next',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(t.duplicates).toBe(4);
    expect(t.received).toBe(6);
  });

  it('a filled hole seen again is a duplicate', () => {
    const t = new SeqTracker();
    expect(feed(t, [2, 1, 1])).toEqual(['gap', 'out-of-order', 'duplicate']);
  });

  it('counts the missing tail against the room final seq', () => {
    const t = new SeqTracker();
    feed(t, [1, 2, 3]);
    expect(t.missing(7)).toBe(4);
    expect(t.missing(2)).toBe(0);
  });

  it('counts an opening hole (first seq above baseline + 1)', () => {
    const t = new SeqTracker(0);
    expect(t.observe(3)).toBe('gap');
    expect(t.missing(3)).toBe(2);
  });

  it('ignores a late baseline once messages were seen', () => {
    const t = new SeqTracker();
    t.observe(1);
    t.setBaseline(100);
    expect(t.baseline).toBe(0);
    expect(t.max).toBe(1);
  });

  it('counts but does not remember a huge hole', () => {
    const t = new SeqTracker();
    t.observe(1);
    t.observe(MAX_REMEMBERED_HOLE + 10);
    expect(t.openHoles).toBe(MAX_REMEMBERED_HOLE + 8);
    expect(t.observe(5)).toBe('duplicate');
  });

  describe('thinning (protocol v2 messages frames)', () => {
    it('counts thinned seqs apart: no gap, not missing, max moves past them', () => {
      const t = new SeqTracker(10);
      // Frame 11..15: 11, 13 and 15 delivered, 12 and 14 thinned.
      t.observe(11);
      t.thin(12, 12);
      t.observe(13);
      t.thin(14, 14);
      t.observe(15);
      // Frame 16..18, everything thinned.
      t.thin(16, 18);
      expect({ received: t.received, thinned: t.thinned, max: t.max }).toEqual({
        received: 3,
        thinned: 5,
        max: 18,
      });
      expect(t.gapEvents + t.openHoles + t.duplicates + t.outOfOrder).toBe(0);
      expect(t.missing(18)).toBe(0);
      expect(t.missing(20)).toBe(2);
    });

    it('still counts a real gap when thinning happens elsewhere in the stream', () => {
      const t = new SeqTracker();
      feed(t, [1, 2]);
      t.thin(3, 3);
      // 4..5 never arrive; the next frame covers 6..8 with 6 thinned.
      t.thin(6, 6);
      feed(t, [7, 8]);
      expect(t.gapEvents).toBe(1);
      expect(t.openHoles).toBe(2);
      expect(t.thinned).toBe(2);
      expect(t.missing(8)).toBe(2);
      // And a seq thinned then seen again is a duplicate, not a delivery of something missing.
      expect(t.observe(6)).toBe('duplicate');
    });

    it('a late frame thinning seqs of a hole fills it (out of order), overlapping ones are duplicates', () => {
      const t = new SeqTracker();
      feed(t, [1, 4]);
      expect(t.openHoles).toBe(2);
      t.thin(2, 3);
      expect({ holes: t.openHoles, thinned: t.thinned, outOfOrder: t.outOfOrder }).toEqual({
        holes: 0,
        thinned: 2,
        outOfOrder: 2,
      });
      t.thin(3, 5);
      expect({ duplicates: t.duplicates, thinned: t.thinned, max: t.max }).toEqual({
        duplicates: 2,
        thinned: 3,
        max: 5,
      });
      expect(t.missing(5)).toBe(0);
    });

    it('ignores a late baseline once seqs were thinned', () => {
      const t = new SeqTracker();
      t.thin(1, 2);
      t.setBaseline(50);
      expect(t.baseline).toBe(0);
      expect(t.max).toBe(2);
    });
  });
});
