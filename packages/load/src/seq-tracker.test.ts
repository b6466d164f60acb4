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
});
