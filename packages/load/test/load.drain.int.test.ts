import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@roomcast/testing';
import { startRealStack, type Stack } from '../../../test/harness/stacks';
import type { LoadReport } from '../src/report';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(__dirname, '..', 'src', 'cli.ts');

// 3 rooms x (4 viewers + 1 sender), 10 msg/s per sender for 10 s: 300 chats, 1 500 deliveries.
// Connection i (rooms interleaved: i = 3k + room) goes to gateway i mod 2, so every room has
// members on both gateways, and gateway A holds 8 of the 15, the senders of rooms 0 and 2 among them.
const ROOMS = 3;
const VIEWERS = 4;
const RATE = 10;
const DURATION_S = 10;
const CHATS = ROOMS * RATE * DURATION_S;
const MEMBERS = ROOMS * (VIEWERS + 1);
const MEMBERS_ON_A = Math.ceil(MEMBERS / 2);
/** Messages gateway A has written to sockets before it is drained: ~3 s into sending (~80/s). */
const DRAIN_AFTER_DELIVERIES = 250;

async function roomcastLoad(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [CLI, ...args], { cwd: ROOT, timeout: 150_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A counter from a service's Prometheus text, 0 when absent. */
async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * issue 11: with two gateways behind the load tool, the viewers of a drained gateway resume on the
 * other, losing nothing. The tool runs with --resume over both gateways; mid-run gateway A gets
 * SIGTERM and drains (close 4000 spread over GATEWAY_DRAIN_MS); its members reconnect to B and
 * rejoin with afterSeq, and the report must show every member with every message, once, in order.
 */
describe('roomcast-load --resume across a gateway drain (real infrastructure)', () => {
  let stack: Stack | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'roomcast-load-drain-'));

  beforeAll(async () => {
    stack = await startRealStack({ GATEWAY_DRAIN_MS: '1000' });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('moves the drained gateway’s viewers and sender to the other one: gaps 0, delivered == expected', async () => {
    const s = stack;
    if (!s) throw new Error('stack did not start');
    const gatewayA = s.processes.find((p) => p.name === 'gateway-a');
    if (!gatewayA) throw new Error('no gateway-a');
    const json = join(dir, 'drain.json');
    const load = roomcastLoad([
      ...s.gatewayUrls.flatMap((u) => ['--url', u]),
      ...['--rooms', String(ROOMS), '--viewers', String(VIEWERS), '--senders', '1'],
      ...['--rate', String(RATE), '--duration', String(DURATION_S), '--ramp', '1', '--drain', '15'],
      ...['--token-secret', s.jwtSecret, '--workers', '1', '--resume', '--json', json],
    ]);
    // Drain A once it has been delivering for a while: sending started, and has far to go.
    await waitFor(
      async () =>
        (await metric(gatewayA.port, 'roomcast_gateway_messages_delivered_total')) >= DRAIN_AFTER_DELIVERIES,
      `gateway A to deliver ${DRAIN_AFTER_DELIVERIES} messages`,
      90_000,
      100,
    );
    const drainedAt = Date.now();
    expect(await gatewayA.stop()).toBe(0);
    const res = await load;
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    const figures = {
      code: res.code,
      drainedAfterStartMs: drainedAt - Date.parse(report.startedAt),
      chats: report.chats,
      expected: report.expected,
      delivered: report.delivered,
      gaps: report.gaps,
      undelivered: report.undelivered,
      duplicates: report.duplicates,
      outOfOrder: report.outOfOrder,
      lostToCloses: report.lostToCloses,
      closesByCode: report.closesByCode,
      resume: report.resume,
      latencyMs: report.latencyMs,
      verdict: report.verdict,
    };
    // The figures of the run, for the record (and for the failure message when it fails).
    console.log(JSON.stringify(figures, null, 2));
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    expect(report.verdict).toEqual({ ok: true, problems: [] });
    expect(report.scenario.resume).toBe(true);
    expect(report.connections).toMatchObject({ planned: MEMBERS, joined: MEMBERS, failed: 0 });
    // Every chat acked once: those the drain rejected were resent with their clientMsgId.
    expect(report.chats).toMatchObject({ sent: CHATS, acked: CHATS, accepted: CHATS, failed: 0, unacked: 0 });
    expect(report.expected).toBe(CHATS * (VIEWERS + 1));
    expect(report.delivered).toBe(report.expected);
    expect({
      gaps: report.gaps,
      undelivered: report.undelivered,
      duplicates: report.duplicates,
      outOfOrder: report.outOfOrder,
      lostToCloses: report.lostToCloses,
      thinned: report.thinned,
    }).toEqual({ gaps: 0, undelivered: 0, duplicates: 0, outOfOrder: 0, lostToCloses: 0, thinned: 0 });
    // Gateway A's members were told to reconnect (4000), came back on B and resumed, each once.
    expect(report.closesByCode).toEqual({ '4000': MEMBERS_ON_A });
    expect(report.resume).toMatchObject({
      reconnects: MEMBERS_ON_A,
      reconnectsFailed: 0,
      resumes: MEMBERS_ON_A,
      incomplete: 0,
      missing: 0,
    });
    // Messages sent while they were away came back through the catch-up — what the gateways say
    // they sent, no more (live ones wait for joined) — with their latency apart.
    expect(report.resume.recovered).toBeGreaterThan(0);
    expect(report.resume.recovered).toBe(report.resume.recoveredByGateway);
    expect(report.resume.recoveredLatencyMs.count).toBe(report.resume.recovered);
    expect(report.latencyMs.count + report.resume.recoveredLatencyMs.count).toBe(report.delivered);
  }, 240_000);
});
