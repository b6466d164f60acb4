/**
 * Memory per idle connection: a fresh embedded start, then N connections joined to rooms (nothing
 * sent), the server's memory measured before and while they are held. Prints JSON.
 *
 *   tsx bench/idle-memory.ts [--rooms 100] [--viewers 100] [--hold 25]
 *
 * RSS sampled from /proc moves with the garbage collector (the same run gave 3 and 6 KB per
 * connection), so the figures are taken after a full collection: the server runs with
 * `--expose-gc` and a preload of this bench (bench/memory-probe.cjs) that, on SIGUSR2, collects
 * and writes process.memoryUsage() to a file. Per connection = (with - before) / connections, for
 * RSS and for the JS heap + external memory. Kernel socket buffers are in neither.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const ROOMS = flag('rooms', 100);
const VIEWERS = flag('viewers', 100);
const HOLD_S = flag('hold', 25);

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Probe {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Asks the server (SIGUSR2) to collect garbage and report its memory; waits for the report. */
async function probe(pid: number, file: string): Promise<Probe> {
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Probe;
      } catch {
        // being written: read again
      }
    }
  }
  throw new Error('the memory probe did not answer');
}

async function main(): Promise<void> {
  const port = await freePort();
  const secret = `idle-memory-${process.pid}`;
  // node directly (not the tsx wrapper) so that the pid sampled is the server's own.
  const probeFile = join(tmpdir(), `roomcast-memory-${process.pid}.json`);
  const server = spawn(process.execPath, ['--expose-gc', '--require', join(__dirname, 'memory-probe.cjs'), '--import', 'tsx', 'services/embedded/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), JWT_SECRET: secret, LOG_LEVEL: 'warn', ROOMCAST_MEMORY_PROBE_FILE: probeFile },
    stdio: 'ignore',
  });
  const pid = server.pid as number;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 300) throw new Error('embedded start did not come up');
      await sleep(200);
    }
    await sleep(3000);
    const before = await probe(pid, probeFile);
    const ramp = Math.max(5, Math.ceil((ROOMS * VIEWERS) / 1000));
    const load = spawn(
      TSX,
      ['packages/load/src/cli.ts', '--url', `ws://127.0.0.1:${port}/ws`, '--token-secret', secret, '--rooms', String(ROOMS), '--viewers', String(VIEWERS), '--senders', '0', '--rate', '0', '--ramp', String(ramp), '--duration', String(HOLD_S), '--drain', '0'],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const samples: { t: number; rssKb: number }[] = [];
    const t0 = Date.now();
    const done = new Promise<number>((r) => load.once('exit', (c) => r(c ?? -1)));
    let finished = false;
    void done.then(() => (finished = true));
    let held: Probe | undefined;
    while (!finished) {
      await sleep(1000);
      const t = Math.round((Date.now() - t0) / 1000);
      if (finished) break;
      samples.push({ t, rssKb: rssKb(pid) });
      // Once every connection has joined and settled: a full collection, then the figures.
      if (held === undefined && t >= ramp + 8) held = await probe(pid, probeFile);
    }
    if (held === undefined) throw new Error('the load run ended before the connections were measured');
    const peak = Math.max(...samples.map((s) => s.rssKb));
    const conns = ROOMS * VIEWERS;
    const mb = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
    const kbPer = (bytes: number) => +(bytes / 1024 / conns).toFixed(2);
    console.log(
      JSON.stringify(
        {
          bench: 'idle memory per connection (embedded start)',
          connections: conns,
          rooms: ROOMS,
          afterFullGc: {
            rssBeforeMb: mb(before.rss),
            rssWithMb: mb(held.rss),
            kbPerConnectionRss: kbPer(held.rss - before.rss),
            kbPerConnectionHeapAndExternal: kbPer(held.heapUsed + held.external - before.heapUsed - before.external),
          },
          rssPeakWithoutGcMb: +(peak / 1024).toFixed(1),
          loadExit: await done,
          samples,
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
        },
        null,
        2,
      ),
    );
  } finally {
    server.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
