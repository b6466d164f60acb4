/**
 * Memory per idle connection: a fresh embedded start, then N connections joined to rooms (nothing
 * sent), the server's RSS sampled from /proc before and while they are held. Prints JSON.
 *
 *   tsx bench/idle-memory.ts [--rooms 100] [--viewers 100] [--hold 25]
 *
 * RSS is what the process holds; kernel socket buffers are not in it. The figure is
 * (steady RSS with the connections - RSS before) / connections, "steady" being the lowest sample
 * in the last third of the hold (after the GC settled); the peak is reported beside it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
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

async function main(): Promise<void> {
  const port = await freePort();
  const secret = `idle-memory-${process.pid}`;
  // node directly (not the tsx wrapper) so that the pid sampled is the server's own.
  const server = spawn(process.execPath, ['--import', 'tsx', 'services/embedded/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), JWT_SECRET: secret, LOG_LEVEL: 'warn' },
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
    // The start-up's garbage is collected within seconds: the lowest of 8 samples is the baseline.
    let before = Infinity;
    for (let i = 0; i < 8; i++) {
      await sleep(1000);
      before = Math.min(before, rssKb(pid));
    }
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
    while (!finished) {
      await sleep(1000);
      if (!finished) samples.push({ t: Math.round((Date.now() - t0) / 1000), rssKb: rssKb(pid) });
    }
    const held = samples.filter((s) => s.t > ramp + 2);
    const tail = held.slice(Math.floor((held.length * 2) / 3));
    const steady = Math.min(...tail.map((s) => s.rssKb));
    const peak = Math.max(...held.map((s) => s.rssKb));
    const conns = ROOMS * VIEWERS;
    console.log(
      JSON.stringify(
        {
          bench: 'idle memory per connection (embedded start)',
          connections: conns,
          rooms: ROOMS,
          rssBeforeMb: +(before / 1024).toFixed(1),
          rssSteadyMb: +(steady / 1024).toFixed(1),
          rssPeakMb: +(peak / 1024).toFixed(1),
          kbPerConnectionSteady: +((steady - before) / conns).toFixed(2),
          kbPerConnectionPeak: +((peak - before) / conns).toFixed(2),
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
