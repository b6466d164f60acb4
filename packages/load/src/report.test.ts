import { consolidateRooms } from './accounting';
import { createHistogram, recordMicros } from './histogram';
import type { WorkerCounters } from './ipc';
import type { LoadOptions } from './options';
import { buildReport, formatSummary, sumByCode, sumCounters, type ReportInput } from './report';
import { renderHtmlReport } from './report-html';

const options: LoadOptions = {
  urls: ['ws://127.0.0.1:8080/ws'],
  rooms: 1,
  viewers: 2,
  senders: 1,
  rate: 2,
  giftsPerSec: 0,
  durationSec: 2,
  rampSec: 1,
  likesPerSec: 0,
  sizeBytes: 40,
  tokenSecret: 'dev',
  workers: 2,
  target: 'roomcast',
  protocol: 2,
  resume: false,
  drainSec: 5,
  sourceAddresses: ['127.0.0.2'],
  requestTimeoutMs: 10000,
  jsonPath: undefined,
  htmlPath: undefined,
  label: 'a </script><script>alert(1)</script> label',
};

const counters = (p: Partial<WorkerCounters> = {}): WorkerCounters => ({
  connectAttempts: 3,
  connected: 3,
  joined: 3,
  connectFailed: 0,
  open: 0,
  chatsSent: 4,
  chatsAcked: 4,
  chatsFailed: 0,
  chatsUnacked: 0,
  rejected: 0,
  likesSent: 0,
  giftsSent: 0,
  giftsDelivered: 0,
  delivered: 12,
  deliveredFrames: 6,
  batchFrames: 6,
  thinned: 0,
  unscannedFrames: 0,
  duplicates: 0,
  outOfOrder: 0,
  gapEvents: 0,
  unsequenced: 0,
  reconnects: 0,
  reconnectsFailed: 0,
  resumes: 0,
  resumesIncomplete: 0,
  resumeMissing: 0,
  recovered: 0,
  recoveredByGateway: 0,
  chatsResent: 0,
  ...p,
});

function input(p: Partial<ReportInput> = {}): ReportInput {
  const latency = createHistogram();
  for (let i = 1; i <= 12; i++) recordMicros(latency, i * 1000);
  return {
    options,
    runId: 'run1',
    startedAt: Date.UTC(2026, 0, 1),
    finishedAt: Date.UTC(2026, 0, 1, 0, 0, 5),
    sendWindowSec: 2,
    deliveryWindowSec: 2,
    plannedConnections: 3,
    counters: counters(),
    closesByCode: {},
    connectFailuresByCode: {},
    errorsByCode: {},
    welcomeProtocols: { '2': 3 },
    latency,
    connect: createHistogram(),
    join: createHistogram(),
    ack: createHistogram(),
    recovered: createHistogram(),
    gift: createHistogram(),
    timeline: [
      {
        t: 1,
        connections: 3,
        sentPerSec: 0,
        ackedPerSec: 0,
        deliveredPerSec: 0,
        deliveredFramesPerSec: 0,
        thinnedPerSec: 0,
        likesPerSec: 0,
        p50: 0,
        p90: 0,
        p99: 0,
        max: 0,
      },
      {
        t: 2,
        connections: 3,
        sentPerSec: 2,
        ackedPerSec: 2,
        deliveredPerSec: 6,
        deliveredFramesPerSec: 3,
        thinnedPerSec: 0,
        likesPerSec: 0,
        p50: 4,
        p90: 9,
        p99: 11,
        max: 12,
      },
      {
        t: 3,
        connections: 3,
        sentPerSec: 2,
        ackedPerSec: 2,
        deliveredPerSec: 6,
        deliveredFramesPerSec: 3,
        thinnedPerSec: 0,
        likesPerSec: 0,
        p50: 5,
        p90: 10,
        p99: 12,
        max: 12,
      },
    ],
    accounting: consolidateRooms([
      {
        room: 0,
        roomId: 'load-run1-r0',
        members: 3,
        acked: 4,
        rejected: 0,
        maxSeq: 4,
        ends: [0, 1, 2].map(() => ({ max: 4, holes: 0, thinned: 0, closed: false })),
      },
    ]),
    ...p,
  };
}

describe('report', () => {
  it('has every figure the JSON promises', () => {
    const r = buildReport(input());
    expect(r).toMatchObject({
      tool: 'roomcast-load',
      reportVersion: 4,
      target: 'roomcast',
      delivered: 12,
      deliveredFrames: 6,
      batchFrames: 6,
      expected: 12,
      thinned: 0,
      unscannedFrames: 0,
      gaps: 0,
      undelivered: 0,
      duplicates: 0,
      outOfOrder: 0,
      lostToCloses: 0,
      closesByCode: {},
      errorsByCode: {},
      verdict: { ok: true, problems: [] },
      connections: { planned: 3, joined: 3, peakOpen: 3, welcomeProtocols: { '2': 3 } },
      chats: { sent: 4, acked: 4, accepted: 4 },
      throughput: {
        sentPerSec: 2,
        deliveredPerSec: 6,
        deliveredFramesPerSec: 3,
        peakDeliveredPerSec: 6,
        peakDeliveredFramesPerSec: 3,
      },
      scenario: { tokens: 'secret', rooms: 1, viewersPerRoom: 2, protocol: 2 },
    });
    for (const key of ['latencyMs', 'connectMs', 'joinMs', 'ackMs'] as const) {
      expect(Object.keys(r[key]).sort()).toEqual(['count', 'max', 'mean', 'p50', 'p90', 'p99', 'p999']);
    }
    expect(r.latencyMs.p50).toBeCloseTo(6, 1);
    expect(r.latencyMs.max).toBeCloseTo(12, 1);
    expect(r.timeline).toHaveLength(3);
    expect(Object.keys(r.timeline[0] ?? {}).sort()).toEqual(
      [
        'ackedPerSec',
        'connections',
        'deliveredPerSec',
        'deliveredFramesPerSec',
        'thinnedPerSec',
        'likesPerSec',
        'max',
        'p50',
        'p90',
        'p99',
        'sentPerSec',
        't',
      ].sort(),
    );
    expect(r.histograms.latencyUs).not.toBe('');
    // No secret ever lands in a report.
    expect(JSON.stringify(r)).not.toContain('"dev"');
  });

  it('fails the verdict on gaps, duplicates and out-of-order, not on closes', () => {
    const closedOnly = buildReport(input({ closesByCode: { '4001': 2 } }));
    expect(closedOnly.verdict.ok).toBe(true);
    const bad = buildReport(input({ counters: counters({ duplicates: 2, outOfOrder: 1 }) }));
    expect(bad.verdict.ok).toBe(false);
    expect(bad.verdict.problems).toHaveLength(2);
    const gappy = buildReport(
      input({
        accounting: consolidateRooms([
          {
            room: 0,
            roomId: 'r',
            members: 1,
            acked: 4,
            rejected: 0,
            maxSeq: 4,
            ends: [{ max: 2, holes: 0, thinned: 0, closed: false }],
          },
        ]),
      }),
    );
    expect(gappy.undelivered).toBe(2);
    expect(gappy.verdict.ok).toBe(false);
    const holey = buildReport(
      input({
        accounting: consolidateRooms([
          {
            room: 0,
            roomId: 'r',
            members: 1,
            acked: 4,
            rejected: 0,
            maxSeq: 4,
            ends: [{ max: 4, holes: 1, thinned: 0, closed: false }],
          },
        ]),
      }),
    );
    expect(holey.gaps).toBe(1);
    expect(holey.verdict.problems).toEqual([expect.stringContaining('gaps')]);
  });

  it('reports thinned apart from gaps, reconciles delivered + thinned = expected, and does not fail on it', () => {
    // 4 accepted x 3 members = 12; one viewer had seqs 2 and 3 thinned, so 10 delivered.
    const r = buildReport(
      input({
        counters: counters({ delivered: 10, deliveredFrames: 3, batchFrames: 3, thinned: 2 }),
        accounting: consolidateRooms([
          {
            room: 0,
            roomId: 'r',
            members: 3,
            acked: 4,
            rejected: 0,
            maxSeq: 4,
            ends: [
              { max: 4, holes: 0, thinned: 0, closed: false },
              { max: 4, holes: 0, thinned: 0, closed: false },
              { max: 4, holes: 0, thinned: 2, closed: false },
            ],
          },
        ]),
      }),
    );
    expect({ thinned: r.thinned, gaps: r.gaps, undelivered: r.undelivered }).toEqual({
      thinned: 2,
      gaps: 0,
      undelivered: 0,
    });
    expect(r.delivered + r.thinned).toBe(r.expected);
    expect(r.rooms[0]?.thinned).toBe(2);
    expect(r.verdict).toEqual({ ok: true, problems: [] });
    expect(formatSummary(r)).toMatch(/delivered\s+10 of expected 12 {2}thinned 2 {2}gaps 0/);
  });

  it('fails the verdict loudly on unscanned message frames', () => {
    const r = buildReport(input({ counters: counters({ unscannedFrames: 3 }) }));
    expect(r.unscannedFrames).toBe(3);
    expect(r.verdict.ok).toBe(false);
    expect(r.verdict.problems).toEqual([expect.stringContaining('3 message frame(s) did not scan')]);
    expect(formatSummary(r)).toMatch(/frames\s+6 \(6 v2 messages frames, 2 msgs\/frame\) {2}unscanned 3/);
  });

  it('reports resume figures, and the latency of recovered messages apart from the live one', () => {
    const recovered = createHistogram();
    for (const ms of [900, 1100]) recordMicros(recovered, ms * 1000);
    const off = buildReport(input());
    expect(off.scenario.resume).toBe(false);
    expect(off.resume).toMatchObject({ reconnects: 0, resumes: 0, recovered: 0 });
    expect(formatSummary(off)).not.toMatch(/^resume/m);
    const r = buildReport(
      input({
        options: { ...options, resume: true },
        closesByCode: { '4000': 2 },
        counters: counters({
          reconnects: 2,
          reconnectsFailed: 1,
          resumes: 2,
          resumesIncomplete: 1,
          resumeMissing: 3,
          recovered: 2,
          recoveredByGateway: 2,
          chatsResent: 1,
        }),
        recovered,
      }),
    );
    expect(r.scenario.resume).toBe(true);
    expect(r.resume).toMatchObject({
      reconnects: 2,
      reconnectsFailed: 1,
      resumes: 2,
      incomplete: 1,
      missing: 3,
      recovered: 2,
      recoveredByGateway: 2,
      chatsResent: 1,
      recoveredLatencyMs: { count: 2 },
    });
    expect(r.resume.recoveredLatencyMs.max).toBeCloseTo(1100, -1);
    // The live latency is the 12 live messages only.
    expect(r.latencyMs.count).toBe(12);
    expect(r.closesByCode).toEqual({ '4000': 2 });
    expect(r.histograms.recoveredLatencyUs).not.toBe('');
    const text = formatSummary(r);
    expect(text).toMatch(
      /resume\s+reconnects 2 \(failed attempts 1\) {2}resumes 2 \(incomplete 1, missing 3\)/,
    );
    expect(text).toMatch(/recovered ms\s+p50 9\d\d/);
  });

  it('reports --gifts: sent, delivered and their latency apart from chat\'s', () => {
    const off = buildReport(input());
    expect(off.gifts).toEqual({ sent: 0, delivered: 0, latencyMs: expect.objectContaining({ count: 0 }) });
    expect(formatSummary(off)).not.toMatch(/^gift/m);
    const gift = createHistogram();
    for (const ms of [30, 40, 50]) recordMicros(gift, ms * 1000);
    const r = buildReport(
      input({ options: { ...options, giftsPerSec: 2 }, counters: counters({ giftsSent: 1, giftsDelivered: 3 }), gift }),
    );
    expect(r.scenario.giftsPerSecPerSender).toBe(2);
    expect(r.gifts).toMatchObject({ sent: 1, delivered: 3, latencyMs: { count: 3 } });
    expect(r.gifts.latencyMs.max).toBeCloseTo(50, -1);
    // Chat latency is the 12 chat messages only.
    expect(r.latencyMs.count).toBe(12);
    expect(r.histograms.giftLatencyUs).not.toBe('');
    const text = formatSummary(r);
    expect(text).toMatch(/gifts\s+sent 1 {2}delivered 3/);
    expect(text).toMatch(/gift ms\s+p50 4\d/);
  });

  it('sums worker counters and by-code maps', () => {
    expect(sumCounters([counters(), counters({ delivered: 3 })]).delivered).toBe(15);
    expect(sumByCode([{ a: 1 }, { a: 2, b: 1 }])).toEqual({ a: 3, b: 1 });
  });

  it('prints a summary table', () => {
    const text = formatSummary(buildReport(input({ closesByCode: { '4001': 2 } })));
    expect(text).toMatch(/delivered\s+12 of expected 12/);
    expect(text).toContain('protocol 2 (welcome: v2 on 3)');
    expect(text).toContain('out 6 msg/s, 3 frames/s');
    expect(text).toContain('4001×2');
    expect(text).toMatch(/verdict\s+OK/);
  });
});

describe('HTML report', () => {
  const html = renderHtmlReport(buildReport(input()));

  it('embeds the data the charts are drawn from', () => {
    const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
    expect(m).not.toBeNull();
    const data = JSON.parse(m?.[1] ?? '{}') as {
      timeline: unknown[];
      latencySpectrum: unknown[];
      delivered: number;
    };
    expect(data.timeline).toHaveLength(3);
    expect(data.latencySpectrum.length).toBeGreaterThan(0);
    expect(data.delivered).toBe(12);
    for (const id of [
      'chart-latency',
      'chart-spectrum',
      'chart-throughput-in',
      'chart-throughput-out',
      'chart-connections',
    ]) {
      expect(html).toContain(`id="${id}"`);
    }
  });

  it('loads nothing from the network', () => {
    expect(html).not.toMatch(/<(script|img|iframe|link)[^>]*\s(src|href)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/https:\/\//i);
    // The only http: URL is the SVG namespace name, which browsers never fetch.
    expect(html.match(/http:\/\/[^'"\s]+/g)).toEqual(['http://www.w3.org/2000/svg']);
  });

  it('escapes the label in HTML and in the embedded JSON', () => {
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).toContain('a &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; label');
  });

  it('shows a gifts section with --gifts: sent, delivered, their latency beside chat\'s and its chart', () => {
    const gift = createHistogram();
    for (const ms of [30, 40, 50]) recordMicros(gift, ms * 1000);
    const withGifts = renderHtmlReport(
      buildReport(
        input({ options: { ...options, giftsPerSec: 2 }, counters: counters({ giftsSent: 1, giftsDelivered: 3 }), gift }),
      ),
    );
    expect(withGifts).toContain('<h2 id="gifts">Gifts</h2>');
    expect(withGifts).toContain('sent 1 · delivered 3 · 2/s per sender');
    // Gifts: p50 ≈ 40, max ≈ 50 ms of 3; chat beside them: p50 ≈ 6, max ≈ 12 ms of 12.
    expect(withGifts).toMatch(
      /<tr><td>gifts<\/td><td>40(\.\d+)?<\/td><td>5\d(\.\d+)?<\/td><td>5\d(\.\d+)?<\/td><td>5\d(\.\d+)?<\/td><td>5\d(\.\d+)?<\/td><td>3<\/td><\/tr>/,
    );
    expect(withGifts).toMatch(/<tr><td>chat<\/td><td>6(\.\d+)?<\/td>(<td>[\d.]+<\/td>){3}<td>12(\.\d+)?<\/td><td>12<\/td><\/tr>/);
    expect(withGifts).toContain('id="chart-gift-spectrum"');
    const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(withGifts);
    const data = JSON.parse(m?.[1] ?? '{}') as { giftLatencySpectrum?: [number, number][] };
    expect(data.giftLatencySpectrum?.at(-1)?.[0]).toBe(100);
    expect(data.giftLatencySpectrum?.at(-1)?.[1]).toBeCloseTo(50, -1);
  });

  it('has no gifts section without --gifts', () => {
    expect(html).not.toContain('id="gifts"');
    expect(html).not.toContain('<h2 id="gifts">');
    expect(html).not.toContain('id="chart-gift-spectrum"');
    expect(html).not.toMatch(/<td>gifts<\/td>/);
    const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
    expect(JSON.parse(m?.[1] ?? '{}')).not.toHaveProperty('giftLatencySpectrum');
  });
});
