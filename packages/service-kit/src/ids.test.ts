import { newMessageId } from './ids';
import { MetricsRegistry } from './metrics';

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

describe('MetricsRegistry', () => {
  it('renders counters and gauges in Prometheus text format', () => {
    const m = new MetricsRegistry();
    const c = m.counter('roomcast_drops_total', 'frames dropped');
    c.inc(3);
    m.gauge('roomcast_sockets', 'open sockets', () => 7);
    expect(m.render()).toContain('roomcast_drops_total 3');
    expect(m.render()).toContain('# TYPE roomcast_sockets gauge\nroomcast_sockets 7');
    expect(m.snapshot()).toEqual({ roomcast_drops_total: 3, roomcast_sockets: 7 });
  });
});
