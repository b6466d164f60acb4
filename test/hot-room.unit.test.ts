import { bestOneRoom, generatorLimited, type Row } from '../bench/hot-room';

function row(over: Partial<Row>): Row {
  return {
    target: 'embedded',
    scenario: '1x1000x100',
    msgsIn: 100,
    wantedPerSec: 100_200,
    deliveredPerSec: 100_000,
    p50: 20,
    p99: 100,
    max: 200,
    undelivered: 0,
    thinned: 0,
    gaps: 0,
    closes: 0,
    joined: '1002/1002',
    generatorLimited: false,
    ...over,
  };
}

describe('hot-room benchmark verdicts', () => {
  it('calls a result generator-limited only when the stub fell short too and the target came close to it', () => {
    const stubShort = row({ target: 'stub', wantedPerSec: 500_000, deliveredPerSec: 300_000, p99: 900 });
    const stubSlow = row({ target: 'stub', wantedPerSec: 500_000, deliveredPerSec: 499_000, p99: 4000 });
    const stubFine = row({ target: 'stub', wantedPerSec: 500_000, deliveredPerSec: 499_000, p99: 50 });
    expect(generatorLimited(row({ deliveredPerSec: 280_000 }), stubShort)).toBe(true);
    expect(generatorLimited(row({ deliveredPerSec: 480_000 }), stubSlow)).toBe(true);
    expect(generatorLimited(row({ deliveredPerSec: 150_000 }), stubShort)).toBe(false);
    expect(generatorLimited(row({ deliveredPerSec: 480_000 }), stubFine)).toBe(false);
    expect(generatorLimited(row({}), undefined)).toBe(false);
  });

  it('picks the highest one-room delivery that kept p99 <= 1 s with nothing undelivered', () => {
    const rows = [
      row({ scenario: '1x500x100', deliveredPerSec: 50_000 }),
      row({ scenario: '1x1000x500', deliveredPerSec: 400_000, p99: 1500 }),
      row({ scenario: '1x2000x100', deliveredPerSec: 200_000 }),
      row({ scenario: '1x5000x100', deliveredPerSec: 300_000, undelivered: 12 }),
      row({ scenario: '100x100x1000', deliveredPerSec: 900_000 }),
      row({ scenario: '1x5000x500', deliveredPerSec: 999_999, target: 'stub' }),
    ];
    expect(bestOneRoom(rows, 'embedded')?.scenario).toBe('1x2000x100');
    expect(bestOneRoom(rows, 'real')).toBeUndefined();
  });
});
