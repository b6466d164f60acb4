import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from '@roomcast/testing';
import { startEmbeddedStack, type Stack } from '../../../test/harness/stacks';
import type { LoadReport } from '../src/report';
import { roomcastLoad } from './run-cli';

// The load tool against the embedded start (every service in one process on in-memory twins).
describe('roomcast-load against the embedded start', () => {
  let stack: Stack | undefined;
  let chromiumPath: string | undefined;
  let chromiumProblem = '';
  const dir = mkdtempSync(join(tmpdir(), 'roomcast-load-'));

  beforeAll(async () => {
    const [started, chromiumResult] = await Promise.allSettled([
      startEmbeddedStack(),
      // Installs Debian's chromium when missing (root + apt-get).
      ensureChromium(),
    ]);
    if (chromiumResult.status === 'fulfilled') chromiumPath = chromiumResult.value;
    else chromiumProblem = (chromiumResult.reason as Error).message;
    if (started.status === 'rejected') throw started.reason;
    stack = started.value;
  }, 660_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('delivers every accepted message to every member once, in order (2 rooms x 5 viewers, 1 sender, 5 msg/s, 3 s)', async () => {
    if (!stack) throw new Error('stack did not start');
    const json = join(dir, 'out.json');
    const html = join(dir, 'report.html');
    const res = await roomcastLoad([
      ...stack.gatewayUrls.flatMap((u) => ['--url', u]),
      ...[
        '--rooms',
        '2',
        '--viewers',
        '5',
        '--senders',
        '1',
        '--rate',
        '5',
        '--duration',
        '3',
        '--ramp',
        '1',
      ],
      ...[
        '--likes',
        '2',
        '--token-secret',
        stack.jwtSecret,
        '--workers',
        '2',
        '--json',
        json,
        '--html',
        html,
      ],
    ]);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    expect(res.stdout).toMatch(/verdict\s+OK/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.connections).toMatchObject({ planned: 12, joined: 12, failed: 0 });
    expect(report.chats).toMatchObject({ sent: 30, acked: 30, accepted: 30, failed: 0, unacked: 0 });
    // 2 rooms x 15 messages x 6 members (5 viewers + the sender).
    expect(report.expected).toBe(180);
    expect(report.delivered).toBe(report.expected);
    expect({
      gaps: report.gaps,
      undelivered: report.undelivered,
      duplicates: report.duplicates,
      outOfOrder: report.outOfOrder,
    }).toEqual({
      gaps: 0,
      undelivered: 0,
      duplicates: 0,
      outOfOrder: 0,
    });
    expect(report.closesByCode).toEqual({});
    expect(report.likesSent).toBeGreaterThan(0);
    expect(report.latencyMs.count).toBe(180);
    expect(report.latencyMs.p99).toBeGreaterThan(0);
    expect(report.timeline.some((p) => p.deliveredPerSec > 0)).toBe(true);

    if (!chromiumPath) {
      console.warn(
        `SKIPPED ONLY the HTML-in-browser check: chromium could not be installed (${chromiumProblem.trim()}); ` +
          'run packages/testing/scripts/ensure-chromium.sh as root to enable it.',
      );
      return;
    }
    const browser = await chromium.launch({ executablePath: chromiumPath, args: [...CHROMIUM_ARGS] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(html).toString());
      await page.waitForSelector('svg[data-chart="chart-latency"] polyline');
      const charts = await page.$$eval('svg[data-chart]', (svgs) =>
        svgs.map((s) => {
          const box = s.getBoundingClientRect();
          const lines = Array.from(s.querySelectorAll('polyline'), (p) => p.getAttribute('points') ?? '');
          return { id: s.getAttribute('data-chart'), w: box.width, h: box.height, lines };
        }),
      );
      expect(charts.map((c) => c.id).sort()).toEqual(
        [
          'chart-connections',
          'chart-latency',
          'chart-spectrum',
          'chart-throughput-in',
          'chart-throughput-out',
        ].sort(),
      );
      for (const c of charts) {
        expect(c.w).toBeGreaterThan(100);
        expect(c.h).toBeGreaterThan(100);
        expect(c.lines.length).toBeGreaterThan(0);
        expect(c.lines.every((pts) => pts.split(' ').length >= 2)).toBe(true);
      }
      expect(errors).toEqual([]);
      // Self-contained: the file itself is the only thing the page loaded.
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('fetches tokens from the dev endpoint when no secret is given', async () => {
    if (!stack) throw new Error('stack did not start');
    const json = join(dir, 'dev.json');
    const res = await roomcastLoad([
      ...['--url', stack.gatewayUrls[0] as string, '--rooms', '1', '--viewers', '2', '--senders', '1'],
      ...['--rate', '4', '--duration', '1', '--ramp', '0', '--workers', '1', '--json', json],
    ]);
    expect(res.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.scenario.tokens).toBe('dev-endpoint');
    expect(report.connections.joined).toBe(3);
    expect(report.delivered).toBe(report.expected);
    expect(report.expected).toBe(4 * 3);
  }, 60_000);

  it('exits 3 when nothing can connect', async () => {
    const res = await roomcastLoad([
      ...[
        '--url',
        'ws://127.0.0.1:1/ws',
        '--rooms',
        '1',
        '--viewers',
        '1',
        '--senders',
        '0',
        '--duration',
        '1',
      ],
      ...['--ramp', '0', '--workers', '1', '--token-secret', 'x'],
    ]);
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/ECONNREFUSED|1006/);
  }, 60_000);
});
