import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LoadReport } from '../src/report';
import { ROOT, roomcastLoad, TSX } from './run-cli';

const STUB_CLI = join(__dirname, '..', 'src', 'stub-cli.ts');

/** `roomcast-load-stub` as a process; resolves with the URL from its first stdout line. */
async function startStubProcess(args: string[]): Promise<{ url: string; stop(): Promise<string> }> {
  const child = spawn(TSX, [STUB_CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  const { url } = JSON.parse(String(first.value)) as { url: string };
  return {
    url,
    stop: async () => {
      child.kill('SIGINT');
      const last = await iterator.next();
      return String(last.value);
    },
  };
}

// The whole tool (coordinator, forked workers, report) against the stub: no infrastructure.
describe('roomcast-load against roomcast-load-stub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roomcast-load-stub-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accounts thinning end to end: delivered + thinned = expected, thinning is no failure (2 rooms x 4 viewers, 1 sender, 20 msg/s, 2 s, thin every 4th)', async () => {
    const stub = await startStubProcess(['--port', '0', '--window-ms', '50', '--thin-every', '4']);
    const json = join(dir, 'thin.json');
    let stopped = '';
    try {
      const res = await roomcastLoad([
        ...['--url', stub.url, '--rooms', '2', '--viewers', '4', '--senders', '1', '--rate', '20'],
        ...['--duration', '2', '--ramp', '0.5', '--workers', '2', '--json', json],
      ]);
      expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
      expect(res.stdout).toMatch(/verdict\s+OK/);
      const r = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
      expect(r.reportVersion).toBe(4);
      expect(r.scenario.protocol).toBe(2);
      expect(r.connections.welcomeProtocols).toEqual({ '2': 10 });
      // 2 rooms x 40 messages x 5 members; seqs 4, 8, ..., 40 (10 per room) thinned for all 5.
      expect(r.expected).toBe(2 * 40 * 5);
      expect(r.thinned).toBe(2 * 10 * 5);
      expect(r.delivered + r.thinned).toBe(r.expected);
      expect({ gaps: r.gaps, undelivered: r.undelivered, unscannedFrames: r.unscannedFrames }).toEqual({
        gaps: 0,
        undelivered: 0,
        unscannedFrames: 0,
      });
      expect(r.rooms.map((room) => room.thinned)).toEqual([50, 50]);
      expect(r.batchFrames).toBe(r.deliveredFrames);
      expect(r.latencyMs.count).toBe(r.delivered);
      expect(r.timeline.reduce((a, p) => a + p.deliveredPerSec, 0)).toBe(r.delivered);
      expect(r.timeline.reduce((a, p) => a + p.deliveredFramesPerSec, 0)).toBe(r.deliveredFrames);
      expect(r.timeline.reduce((a, p) => a + p.thinnedPerSec, 0)).toBe(r.thinned);
      expect(r.throughput.deliveredFramesPerSec).toBeGreaterThan(0);
    } finally {
      stopped = await stub.stop();
    }
    const stats = (JSON.parse(stopped) as { stats: { chats: number; thinnedOut: number } }).stats;
    expect(stats).toMatchObject({ chats: 80, thinnedOut: 100 });
  }, 120_000);

  it('--protocol 1 gets one frame per message from the same stub', async () => {
    const stub = await startStubProcess(['--port', '0', '--thin-every', '4']);
    const json = join(dir, 'v1.json');
    try {
      const res = await roomcastLoad([
        ...['--url', stub.url, '--rooms', '1', '--viewers', '3', '--senders', '1', '--rate', '10'],
        ...['--duration', '1', '--ramp', '0', '--workers', '1', '--protocol', '1', '--json', json],
      ]);
      expect(res.code).toBe(0);
      const r = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
      expect(r.scenario.protocol).toBe(1);
      expect(r.connections.welcomeProtocols).toEqual({ '1': 4 });
      expect({
        delivered: r.delivered,
        frames: r.deliveredFrames,
        batches: r.batchFrames,
        thinned: r.thinned,
      }).toEqual({
        delivered: 40,
        frames: 40,
        batches: 0,
        thinned: 0,
      });
      expect(r.expected).toBe(40);
    } finally {
      await stub.stop();
    }
  }, 120_000);
});
