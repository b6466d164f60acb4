import { HandledOffsets } from './handled-offsets';

const at = (...offsets: number[]): { offset: string }[] => offsets.map((o) => ({ offset: String(o) }));

describe('HandledOffsets', () => {
  it('passes everything through for a partition it has not handled', () => {
    const handled = new HandledOffsets();
    expect(handled.split('t', 0, at(5, 6))).toEqual({ repeats: [], fresh: at(5, 6) });
  });

  it('skips what was handled when a rebalance hands the partition back below it', () => {
    const handled = new HandledOffsets();
    for (const o of [0, 1, 2]) handled.done('t', 0, String(o));
    expect(handled.split('t', 0, at(1, 2, 3, 4))).toEqual({ repeats: at(1, 2), fresh: at(3, 4) });
    expect(handled.split('t', 0, at(0, 1))).toEqual({ repeats: at(0, 1), fresh: [] });
  });

  it('keeps partitions and topics apart, and never moves backwards', () => {
    const handled = new HandledOffsets();
    handled.done('t', 0, '9');
    handled.done('t', 0, '3');
    expect(handled.split('t', 0, at(9, 10)).fresh).toEqual(at(10));
    expect(handled.split('t', 1, at(0)).fresh).toEqual(at(0));
    expect(handled.split('u', 0, at(0)).fresh).toEqual(at(0));
  });

  it('compares offsets as numbers, not strings', () => {
    const handled = new HandledOffsets();
    handled.done('t', 0, '9');
    expect(handled.split('t', 0, at(10, 100)).fresh).toEqual(at(10, 100));
  });
});
