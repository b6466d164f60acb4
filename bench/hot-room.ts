/**
 * The hot-room benchmark: ONE run drives the same roomcast-load scenarios against every target
 * and prints one table. Run it through `bash bench/hot-room.sh` (which starts the infrastructure
 * and builds Centrifugo first).
 *
 * Targets, each started before its scenarios and stopped after them, one at a time:
 *   stub              packages/load's stub server: sends pre-built frames only — the load
 *                     generator's own ceiling for each scenario
 *   embedded          roomcast, every service in one process on in-memory twins (`pnpm start`)
 *   real              roomcast, every service its own process on real Kafka, Redis and FerretDB,
 *                     two gateways (bench/real-stack.ts)
 *   centrifugo-memory Centrifugo 6.9.1, memory broker
 *   centrifugo-redis  Centrifugo 6.9.1, Redis broker (the fair peer of the real stack)
 * Scenarios: 1 room x {500, 1 000, 2 000, 5 000} viewers x {100, 500} msgs/s in (2 senders), and
 * 100 rooms x 100 viewers x 1 000 msgs/s in (1 sender per room).
 *
 *   tsx bench/hot-room.ts [--out DIR] [--targets stub,embedded,...] [--scenarios 1x500x100,...]
 *                         [--duration S] [--drain S]
 *
 * Writes DIR/hot-room.json and DIR/hot-room.html (and every run's roomcast-load JSON); prints the
 * table and the summary to stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const CACHE = process.env.ROOMCAST_CACHE ?? join(process.env.HOME ?? '/root', '.cache/roomcast');
const CENTRIFUGO = process.env.CENTRIFUGO ?? join(CACHE, 'bin/centrifugo');
/** p99 at or under this counts as keeping up (the bar). */
const P99_BAR_MS = 1000;

// ------------------------------------------------------------------ options

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const TARGETS = ['stub', 'embedded', 'real', 'centrifugo-memory', 'centrifugo-redis'] as const;
type TargetName = (typeof TARGETS)[number];

interface Scenario {
  id: string;
  rooms: number;
  viewers: number;
  senders: number;
  /** Per sender. */
  rate: number;
}

function scenario(rooms: number, viewers: number, msgsIn: number): Scenario {
  const senders = rooms === 1 ? 2 : 1;
  return { id: `${rooms}x${viewers}x${msgsIn}`, rooms, viewers, senders, rate: msgsIn / rooms / senders };
}

const ALL_SCENARIOS: Scenario[] = [
  ...[500, 1000, 2000, 5000].flatMap((v) => [scenario(1, v, 100), scenario(1, v, 500)]),
  scenario(100, 100, 1000),
];

const out = resolve(flag('out') ?? join(ROOT, 'bench/results', new Date().toISOString().replace(/[:.]/g, '-')));
const targets = (flag('targets')?.split(',') ?? [...TARGETS]) as TargetName[];
for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t}; one of ${TARGETS.join(', ')}`);
const scenarios = flag('scenarios') ? ALL_SCENARIOS.filter((s) => flag('scenarios')?.split(',').includes(s.id)) : ALL_SCENARIOS;
if (scenarios.length === 0) throw new Error(`no scenario matches --scenarios; ids: ${ALL_SCENARIOS.map((s) => s.id).join(', ')}`);
const DURATION_S = Number(flag('duration') ?? 10);
const DRAIN_S = Number(flag('drain') ?? 10);

// ------------------------------------------------------------------ processes

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

async function waitHttp(url: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet: retry below
    }
    if (Date.now() > end) throw new Error(`${url} did not come up in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function start(name: string, cmd: string, args: string[], env: Record<string, string>, cwd = ROOT): ChildProcess {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const keep = (d: Buffer) => {
    log.push(d.toString());
    if (log.length > 200) log.shift();
  };
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) process.stderr.write(`[hot-room] ${name} exited ${code}:\n${log.join('').slice(-3000)}\n`);
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** The first line of the child's stdout that is a JSON object: how to reach what it started. */
function firstJsonLine<T>(child: ChildProcess, name: string): Promise<T> {
  return new Promise<T>((res, rej) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'));
      if (line) res(JSON.parse(line) as T);
    });
    child.once('exit', (code) => rej(new Error(`${name} exited ${code} before it was up`)));
  });
}

interface RunningTarget {
  name: TargetName;
  urls: string[];
  protocol: 'roomcast' | 'centrifugo';
  secret: string;
  stop(): Promise<void>;
}

const TUNING = { WS_CHAT_RATE_PER_SEC: '1000', WS_CHAT_BURST: '2000', LOG_LEVEL: 'warn' };

async function startTarget(name: TargetName): Promise<RunningTarget> {
  const secret = `hot-room-${process.pid}-${name}`;
  if (name === 'embedded') {
    const port = await freePort();
    const child = start(name, TSX, ['services/embedded/src/main.ts'], { ...TUNING, PORT: String(port), JWT_SECRET: secret });
    await waitHttp(`http://127.0.0.1:${port}/readyz`);
    return { name, urls: [`ws://127.0.0.1:${port}/ws`], protocol: 'roomcast', secret, stop: () => stop(child) };
  }
  if (name === 'stub') {
    const child = start(name, TSX, ['packages/load/src/stub-cli.ts', '--port', '0'], {});
    const info = await firstJsonLine<{ url: string }>(child, name);
    return { name, urls: [info.url], protocol: 'roomcast', secret, stop: () => stop(child) };
  }
  if (name === 'real') {
    const child = start(name, TSX, ['bench/real-stack.ts'], TUNING);
    const info = await firstJsonLine<{ gatewayUrls: string[]; jwtSecret: string }>(child, name);
    return { name, urls: info.gatewayUrls, protocol: 'roomcast', secret: info.jwtSecret, stop: () => stop(child) };
  }
  // Centrifugo: the load tool's local config, our port and secret, and the engine.
  const port = await freePort();
  const config = JSON.parse(readFileSync(join(ROOT, 'packages/load/scripts/centrifugo.local.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  (config.http_server as Record<string, unknown>).port = port;
  ((config.client as Record<string, unknown>).token as Record<string, unknown>).hmac_secret_key = secret;
  if (name === 'centrifugo-redis') {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:16379';
    config.engine = { type: 'redis', redis: { address: [redisUrl], prefix: `hot-room-${process.pid}` } };
  }
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const child = start(name, CENTRIFUGO, ['-c', join(dir, 'config.json')], {}, dir);
  await waitHttp(`http://127.0.0.1:${port}/health`);
  return { name, urls: [`ws://127.0.0.1:${port}/connection/websocket`], protocol: 'centrifugo', secret, stop: () => stop(child) };
}

// ------------------------------------------------------------------ runs

/** The parts of a roomcast-load JSON report this program reads. */
interface LoadReport {
  delivered: number;
  expected: number;
  undelivered: number;
  gaps: number;
  thinned?: number;
  latencyMs: { p50: number; p99: number; max: number };
  closesByCode: Record<string, number>;
  throughput: { deliveredPerSec: number; deliveredFramesPerSec?: number };
  connections: { joined: number; planned: number };
}

export interface Row {
  target: TargetName;
  scenario: string;
  msgsIn: number;
  /** Messages per second the scenario asks to deliver (in x receivers per room). */
  wantedPerSec: number;
  deliveredPerSec: number | null;
  p50: number | null;
  p99: number | null;
  max: number | null;
  undelivered: number | null;
  thinned: number | null;
  gaps: number | null;
  closes: number | null;
  joined: string;
  /** The generator, not the server, was the limit (see generatorLimited()). */
  generatorLimited: boolean;
  error?: string;
}

async function runScenario(t: RunningTarget, s: Scenario): Promise<Row> {
  const conns = s.rooms * (s.viewers + s.senders);
  const ramp = Math.max(3, Math.ceil(conns / 1000));
  const json = join(out, t.name, `${s.id}.json`);
  mkdirSync(join(out, t.name), { recursive: true });
  const args = ['packages/load/src/cli.ts', ...t.urls.flatMap((u) => ['--url', u])];
  args.push('--target', t.protocol, '--token-secret', t.secret, '--rooms', String(s.rooms), '--viewers', String(s.viewers));
  args.push('--senders', String(s.senders), '--rate', String(s.rate), '--duration', String(DURATION_S), '--ramp', String(ramp));
  args.push('--drain', String(DRAIN_S), '--likes', '0', '--json', json, '--label', `hot-room ${t.name} ${s.id}`);
  const msgsIn = s.rooms * s.senders * s.rate;
  const base: Row = {
    target: t.name,
    scenario: s.id,
    msgsIn,
    wantedPerSec: msgsIn * (s.viewers + s.senders),
    deliveredPerSec: null,
    p50: null,
    p99: null,
    max: null,
    undelivered: null,
    thinned: null,
    gaps: null,
    closes: null,
    joined: '',
    generatorLimited: false,
  };
  const code = await new Promise<number>((res) => {
    const child = spawn(TSX, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('exit', (c) => {
      if (c !== 0 && c !== 1) process.stderr.write(`[hot-room] ${t.name} ${s.id}: roomcast-load exited ${c}\n${err}\n`);
      res(c ?? -1);
    });
  });
  if (!existsSync(json)) return { ...base, error: `roomcast-load exited ${code} without a report` };
  const r = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
  return {
    ...base,
    deliveredPerSec: Math.round(r.throughput.deliveredPerSec),
    p50: r.latencyMs.p50,
    p99: r.latencyMs.p99,
    max: r.latencyMs.max,
    undelivered: r.undelivered,
    thinned: r.thinned ?? 0,
    gaps: r.gaps,
    closes: Object.values(r.closesByCode).reduce((a, b) => a + b, 0),
    joined: `${r.connections.joined}/${r.connections.planned}`,
  };
}

/**
 * A result is generator-limited when the stub (which only sends pre-built frames) could not deliver
 * the scenario either — it fell short of the wanted rate or of p99 <= 1 s — and the target got to
 * within 85% of what the stub managed: the load tool, not the server, set the figure.
 */
export function generatorLimited(row: Row, stub: Row | undefined): boolean {
  if (stub === undefined || stub.deliveredPerSec === null || row.deliveredPerSec === null) return false;
  const stubShort = stub.deliveredPerSec < 0.95 * stub.wantedPerSec || (stub.p99 ?? Infinity) > P99_BAR_MS;
  return stubShort && row.deliveredPerSec >= 0.85 * stub.deliveredPerSec;
}

/** Highest delivered msgs/s in ONE room with p99 <= 1 s and nothing undelivered. */
export function bestOneRoom(rows: Row[], target: TargetName): Row | undefined {
  return rows
    .filter((r) => r.target === target && r.scenario.startsWith('1x') && r.p99 !== null && r.p99 <= P99_BAR_MS && r.undelivered === 0)
    .sort((a, b) => (b.deliveredPerSec ?? 0) - (a.deliveredPerSec ?? 0))[0];
}

// ------------------------------------------------------------------ report

const fmt = (x: number | null, digits = 0): string => (x === null ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits }));

function table(rows: Row[]): string {
  const head = '| scenario (rooms×viewers×msgs/s in) | target | wanted msgs/s | delivered msgs/s | p50 ms | p99 ms | max ms | undelivered | thinned | gaps | closes | note |';
  const lines = [head, '|' + '---|'.repeat(12)];
  for (const r of rows) {
    const [joined, planned] = r.joined.split('/');
    const note = [r.generatorLimited ? 'generator-limited' : '', r.error ?? '', joined !== planned ? `joined ${r.joined}` : ''].filter(Boolean).join('; ');
    lines.push(
      `| ${r.scenario} | ${r.target} | ${fmt(r.wantedPerSec)} | ${fmt(r.deliveredPerSec)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.max, 1)} | ${fmt(r.undelivered)} | ${fmt(r.thinned)} | ${fmt(r.gaps)} | ${fmt(r.closes)} | ${note} |`,
    );
  }
  return lines.join('\n');
}

function summary(rows: Row[]): { target: TargetName; bestOneRoomPerSec: number | null; at: string | null }[] {
  return targets.map((t) => {
    const best = bestOneRoom(rows, t);
    return { target: t, bestOneRoomPerSec: best?.deliveredPerSec ?? null, at: best?.scenario ?? null };
  });
}

function html(rows: Row[], meta: object): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const body = rows
    .map(
      (r) =>
        `<tr${r.generatorLimited ? ' class="gen"' : ''}><td>${r.scenario}</td><td>${r.target}</td><td>${fmt(r.wantedPerSec)}</td><td>${fmt(r.deliveredPerSec)}</td><td>${fmt(r.p50, 1)}</td><td>${fmt(r.p99, 1)}</td><td>${fmt(r.max, 1)}</td><td>${fmt(r.undelivered)}</td><td>${fmt(r.thinned)}</td><td>${fmt(r.gaps)}</td><td>${fmt(r.closes)}</td><td>${esc(r.error ?? (r.generatorLimited ? 'generator-limited' : ''))}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><title>roomcast hot-room benchmark</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:nth-child(-n+2){text-align:left}tr.gen{background:#fff3cd}pre{background:#f6f6f6;padding:1em}</style>
<h1>Hot-room benchmark</h1><pre>${esc(JSON.stringify(meta, null, 2))}</pre>
<table><tr><th>scenario</th><th>target</th><th>wanted msgs/s</th><th>delivered msgs/s</th><th>p50 ms</th><th>p99 ms</th><th>max ms</th><th>undelivered</th><th>thinned</th><th>gaps</th><th>closes</th><th>note</th></tr>
${body}</table>`;
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const startedAt = new Date().toISOString();
  const rows: Row[] = [];
  for (const name of targets) {
    process.stderr.write(`[hot-room] starting ${name}\n`);
    const t = await startTarget(name);
    try {
      for (const s of scenarios) {
        process.stderr.write(`[hot-room] ${name} ${s.id}\n`);
        const row = await runScenario(t, s);
        rows.push(row);
        process.stderr.write(`[hot-room]   delivered ${fmt(row.deliveredPerSec)}/s of ${fmt(row.wantedPerSec)}, p99 ${fmt(row.p99, 1)} ms, undelivered ${fmt(row.undelivered)}\n`);
      }
    } finally {
      await t.stop();
    }
  }
  for (const r of rows) r.generatorLimited = r.target !== 'stub' && generatorLimited(r, rows.find((x) => x.target === 'stub' && x.scenario === r.scenario));
  const meta = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, totalMemoryMb: Math.round(totalmem() / 2 ** 20), node: process.version, loadavgAtEnd: loadavg() },
    durationSec: DURATION_S,
    drainSec: DRAIN_S,
    p99BarMs: P99_BAR_MS,
    summary: summary(rows),
  };
  writeFileSync(join(out, 'hot-room.json'), JSON.stringify({ ...meta, rows }, null, 2));
  writeFileSync(join(out, 'hot-room.html'), html(rows, meta));
  console.log(table(rows));
  console.log('\nHighest delivered msgs/s in one room with p99 <= 1 s and nothing undelivered:');
  for (const s of meta.summary) console.log(`  ${s.target.padEnd(18)} ${fmt(s.bestOneRoomPerSec).padStart(12)}  ${s.at ?? ''}`);
  console.log(`\nreports: ${join(out, 'hot-room.json')} ${join(out, 'hot-room.html')}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
