import { createLogger } from '@roomcast/logger';
import { closeServer, createHttpApp, listen, readinessGauge } from './http';
import { LATENCY_BUCKETS_SECONDS, MetricsRegistry } from './metrics';

describe('MetricsRegistry', () => {
  it('renders counters and gauges through prom-client in Prometheus text format', async () => {
    const m = new MetricsRegistry();
    const c = m.counter('roomcast_drops_total', 'frames dropped');
    c.inc(3);
    m.gauge('roomcast_sockets', 'open sockets', () => 7);
    const text = await m.render();
    expect(text).toContain(
      '# HELP roomcast_drops_total frames dropped\n# TYPE roomcast_drops_total counter\nroomcast_drops_total 3\n',
    );
    expect(text).toContain('# TYPE roomcast_sockets gauge\nroomcast_sockets 7');
    expect(m.snapshot()).toEqual({ roomcast_drops_total: 3, roomcast_sockets: 7 });
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('keeps one series per label set, summed under the bare name in snapshot()', async () => {
    const m = new MetricsRegistry();
    const dlq = m.counterFamily('roomcast_dlq_writes_total', 'records dead-lettered', ['service', 'code']);
    dlq.labels({ service: 'filter', code: 'BAD_EVENT' }).inc();
    dlq.labels({ service: 'filter', code: 'BAD_EVENT' }).inc(2);
    dlq.labels({ service: 'notification', code: 'HANDLER_FAILED' }).inc();
    expect(dlq.labels({ service: 'filter', code: 'BAD_EVENT' })).toBe(
      dlq.labels({ code: 'BAD_EVENT', service: 'filter' }),
    );
    const text = await m.render();
    expect(text).toContain('roomcast_dlq_writes_total{service="filter",code="BAD_EVENT"} 3');
    expect(text).toContain('roomcast_dlq_writes_total{service="notification",code="HANDLER_FAILED"} 1');
    expect(m.snapshot()).toEqual({
      roomcast_dlq_writes_total: 4,
      'roomcast_dlq_writes_total{service="filter",code="BAD_EVENT"}': 3,
      'roomcast_dlq_writes_total{service="notification",code="HANDLER_FAILED"}': 1,
    });
  });

  it('observes histograms with labels into cumulative buckets', async () => {
    const m = new MetricsRegistry();
    const hop = m.histogramFamily(
      'roomcast_hop_seconds',
      'hop latency',
      ['service'],
      LATENCY_BUCKETS_SECONDS,
    );
    const filter = hop.labels({ service: 'filter' });
    filter.observe(0.003);
    filter.observe(0.2);
    filter.observe(45);
    const text = await m.render();
    expect(text).toContain('# TYPE roomcast_hop_seconds histogram');
    expect(text).toContain('roomcast_hop_seconds_bucket{service="filter",le="0.0025"} 0');
    expect(text).toContain('roomcast_hop_seconds_bucket{service="filter",le="0.005"} 1');
    expect(text).toContain('roomcast_hop_seconds_bucket{service="filter",le="0.25"} 2');
    expect(text).toContain('roomcast_hop_seconds_bucket{service="filter",le="30"} 2');
    expect(text).toContain('roomcast_hop_seconds_bucket{service="filter",le="+Inf"} 3');
    expect(text).toContain('roomcast_hop_seconds_count{service="filter"} 3');
    expect(m.snapshot()['roomcast_hop_seconds_count{service="filter"}']).toBe(3);
    expect(m.snapshot()['roomcast_hop_seconds_sum']).toBeCloseTo(45.203);
    filter.observe(Number.NaN);
    expect(filter.count).toBe(3);
    expect(() => m.histogramFamily('roomcast_hop_seconds', 'hop latency', ['service'], [1, 2])).toThrow(
      /buckets/,
    );
  });

  it('returns the metric already registered under a name (the embedded start shares one registry), and refuses another kind', async () => {
    const m = new MetricsRegistry();
    const a = m.counter('roomcast_x_total', 'x');
    const b = m.counter('roomcast_x_total', 'x');
    expect(b).toBe(a);
    a.inc();
    b.inc();
    expect((await m.render()).match(/^roomcast_x_total /gm)).toHaveLength(1);
    expect(m.snapshot().roomcast_x_total).toBe(2);
    expect(() => m.gauge('roomcast_x_total', 'x', () => 1)).toThrow(/already registered as a counter/);
    expect(() => m.counterFamily('roomcast_x_total', 'x', ['service'])).toThrow(/already registered/);
  });

  it('adds up the gauge sources registered under one name; an async source is read at scrape time only', async () => {
    const m = new MetricsRegistry();
    m.gaugeFamily('roomcast_lag', 'lag', ['service', 'partition'], (emit) => {
      emit({ service: 'filter', partition: '0' }, 5);
      emit({ service: 'filter', partition: '1' }, 2);
    });
    m.gaugeFamily('roomcast_lag', 'lag', ['service', 'partition'], (emit) =>
      emit({ service: 'notification', partition: '0' }, 1),
    );
    m.gaugeFamily('roomcast_ready', 'ready', ['check'], async (emit) => {
      await new Promise((r) => setTimeout(r, 5));
      emit({ check: 'bus' }, 1);
    });
    const text = await m.render();
    expect(text).toContain('roomcast_lag{service="filter",partition="0"} 5');
    expect(text).toContain('roomcast_lag{service="notification",partition="0"} 1');
    expect(text).toContain('roomcast_ready{check="bus"} 1');
    const snap = m.snapshot();
    expect(snap.roomcast_lag).toBe(8);
    expect(snap['roomcast_lag{service="filter",partition="1"}']).toBe(2);
    expect(snap.roomcast_ready).toBe(0);
  });

  it('lists the names it registered, process metrics included once asked for', () => {
    const m = new MetricsRegistry();
    m.counter('roomcast_a_total', 'a');
    m.histogram('roomcast_b_seconds', 'b', [1]);
    expect(m.names()).toEqual(['roomcast_a_total', 'roomcast_b_seconds']);
    m.gaugeFamily('roomcast_c', 'c', ['service', 'check'], () => undefined);
    expect(m.describe().at(-1)).toEqual({
      name: 'roomcast_c',
      type: 'gauge',
      labelNames: ['service', 'check'],
    });
    m.collectProcessMetrics();
    m.collectProcessMetrics();
    expect(m.names()).toEqual(
      expect.arrayContaining(['process_cpu_seconds_total', 'nodejs_eventloop_lag_p99_seconds']),
    );
    expect(m.describe().find((d) => d.name === 'nodejs_gc_duration_seconds')).toEqual({
      name: 'nodejs_gc_duration_seconds',
      type: 'histogram',
      labelNames: ['kind'],
    });
  });

  it('exposes readiness checks as roomcast_readiness_check, run at scrape time: 1 passing, 0 failing, throwing or too slow', async () => {
    const m = new MetricsRegistry();
    let redisUp = true;
    readinessGauge(
      m,
      'notification',
      {
        bus: async () => true,
        presence: () => redisUp,
        store: async () => {
          throw new Error('connection refused');
        },
        slow: () => new Promise<boolean>((r) => setTimeout(() => r(true), 500)),
      },
      50,
    );
    const line = (text: string, check: string) =>
      text
        .split('\n')
        .find((l) => l.startsWith(`roomcast_readiness_check{service="notification",check="${check}"}`));
    let text = await m.render();
    expect([line(text, 'bus'), line(text, 'presence'), line(text, 'store'), line(text, 'slow')]).toEqual([
      'roomcast_readiness_check{service="notification",check="bus"} 1',
      'roomcast_readiness_check{service="notification",check="presence"} 1',
      'roomcast_readiness_check{service="notification",check="store"} 0',
      'roomcast_readiness_check{service="notification",check="slow"} 0',
    ]);
    redisUp = false;
    text = await m.render();
    expect(line(text, 'presence')).toBe(
      'roomcast_readiness_check{service="notification",check="presence"} 0',
    );
  });

  it('is served at /metrics with the Prometheus content type', async () => {
    const m = new MetricsRegistry();
    m.counter('roomcast_served_total', 'served').inc(2);
    const app = createHttpApp({
      readiness: {},
      logger: createLogger({ name: 'test', level: 'silent' }),
      metrics: m,
    });
    const { server, port } = await listen(app, 0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await res.text()).toContain('roomcast_served_total 2\n');
    } finally {
      await closeServer(server);
    }
  });
});
