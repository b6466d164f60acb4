/**
 * The cost of tracing on the hot path: the same steady chat load with tracing off and on, on the
 * real stack (every service its own process) or the embedded start. Per run: CPU time each service
 * process used while the messages went through (utime + stime from /proc/<pid>/stat), per message,
 * and the end-to-end latency (sender's `sentAt` to the viewer's `message` frame). Prints JSON.
 *
 *   pnpm exec tsx bench/tracing-overhead.ts [--mode real|embedded] [--messages 3000] [--rate 200]
 *     [--viewers 20] [--rounds 2] [--configs off,recorded,otlp]
 *
 * Configurations (each a fresh stack; rounds alternate them so drift on a shared box spreads out):
 *   off       OTEL_TRACES_EXPORTER=none, OTEL_SAMPLE_RATIO=0: spans are non-recording (ids still
 *             travel in Kafka headers and stamp logs) — what production pays at a low ratio
 *   recorded  none, ratio 1: every span recorded, nothing exported
 *   otlp      otlp, ratio 1: every span exported over OTLP/HTTP to Jaeger (scripts/infra.sh up jaeger)
 *
 * `real` needs the infrastructure: `bash scripts/infra.sh up all jaeger && eval "$(bash scripts/infra.sh env)"`.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import WebSocket from 'ws';
import { RoomcastClient, type WebSocketConstructor } from '@roomcast/client';
import { tracingEnv, uniqueId, waitFor } from '@roomcast/testing';
import { startEmbeddedStack, startRealStack, type Stack } from '../test/harness/stacks';

const CONFIGS = {
  off: { OTEL_TRACES_EXPORTER: 'none', OTEL_SAMPLE_RATIO: '0' },
  recorded: { OTEL_TRACES_EXPORTER: 'none', OTEL_SAMPLE_RATIO: '1' },
  otlp: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SAMPLE_RATIO: '1', OTEL_EXPORTER_OTLP_ENDPOINT: tracingEnv().otlpEndpoint },
} as const;
type ConfigName = keyof typeof CONFIGS;

/** How long the idle CPU use of each process is sampled before the load, ms. */
const IDLE_SAMPLE_MS = 3000;
/** Clock ticks per second of /proc/<pid>/stat's utime/stime (USER_HZ; 100 on Linux). */
const CLOCK_TICKS_PER_SEC = 100;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, idx)] as number;
}

/** CPU ms (user + system) the process has used so far. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}

function processCpu(stack: Stack): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of stack.processes) if (p.child.pid !== undefined) out[p.name] = cpuMs(p.child.pid);
  return out;
}

async function client(stack: Stack, url: string, userId: string): Promise<RoomcastClient> {
  const c = new RoomcastClient({ url, token: await stack.token(userId), WebSocket: WebSocket as unknown as WebSocketConstructor, reconnect: { enabled: false } });
  await c.connect();
  return c;
}

interface RunResult {
  config: ConfigName;
  round: number;
  delivered: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** CPU µs per message, per service process, over the measured messages, idle use subtracted. */
  cpuUsPerMessage: Record<string, number>;
  cpuUsPerMessageTotal: number;
  /** CPU ms per second each process used with no messages (measured before the load). */
  idleCpuMsPerSec: Record<string, number>;
}

async function runOnce(mode: string, config: ConfigName, round: number, total: number, rate: number, viewerCount: number): Promise<RunResult> {
  const env = { ...CONFIGS[config], WS_CHAT_RATE_PER_SEC: String(rate * 2), WS_CHAT_BURST: String(rate * 2), LOG_LEVEL: 'warn' };
  const stack = mode === 'embedded' ? await startEmbeddedStack(env) : await startRealStack(env);
  const clients: RoomcastClient[] = [];
  try {
    const [urlA, urlB] = stack.gatewayUrls as [string, string];
    const room = uniqueId('bench');
    const sender = await client(stack, urlA, 'bench-sender');
    clients.push(sender);
    await sender.join(room);
    // Viewers on both gateways; the first one on B measures latency.
    const latencies: number[] = [];
    for (let i = 0; i < viewerCount; i++) {
      const v = await client(stack, i % 2 === 0 ? urlB : urlA, `bench-viewer-${i}`);
      clients.push(v);
      await v.join(room);
      if (i === 0) v.on('message', (m) => void latencies.push(Date.now() - m.sentAt));
    }
    // Warm-up: connection set-up, JIT, topic metadata.
    for (let i = 0; i < 50; i++) await sender.chat(room, `warm ${i}`);
    await waitFor(() => latencies.length >= 50, 'warm-up deliveries', 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    latencies.length = 0;

    // What the processes burn with no messages (ticks, heartbeats, idle fetches), subtracted below.
    const idleFrom = processCpu(stack);
    const idleStart = Date.now();
    await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
    const idleTo = processCpu(stack);
    const idleMs = Date.now() - idleStart;

    const before = processCpu(stack);
    const intervalMs = 1000 / rate;
    const start = Date.now();
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = start + i * intervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      acks.push(sender.chat(room, `message ${i} ${'x'.repeat(20)}`, { sentAt: Date.now() }));
    }
    await Promise.all(acks);
    await waitFor(() => latencies.length >= total, `${total} deliveries`, 120_000);
    // Persistence batches its fetches (up to 200 ms) and exporters flush on a timer: let both finish.
    await new Promise((r) => setTimeout(r, 1500));
    const after = processCpu(stack);
    const windowMs = Date.now() - start;

    const cpuUsPerMessage: Record<string, number> = {};
    const idleCpuPerSec: Record<string, number> = {};
    for (const [name, ms] of Object.entries(after)) {
      const idleRate = ((idleTo[name] ?? 0) - (idleFrom[name] ?? 0)) / idleMs;
      idleCpuPerSec[name] = Math.round(idleRate * 1000);
      cpuUsPerMessage[name] = Math.round(((ms - (before[name] ?? 0) - idleRate * windowMs) * 1000) / total);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      config,
      round,
      delivered: latencies.length,
      latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN },
      cpuUsPerMessage,
      cpuUsPerMessageTotal: Object.values(cpuUsPerMessage).reduce((a, b) => a + b, 0),
      idleCpuMsPerSec: idleCpuPerSec,
    };
  } finally {
    for (const c of clients) c.close();
    await stack.stop();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

async function main(): Promise<void> {
  const mode = arg('mode', 'real');
  const total = Number(arg('messages', '3000'));
  const rate = Number(arg('rate', '200'));
  const viewers = Number(arg('viewers', '20'));
  const rounds = Number(arg('rounds', '2'));
  const configs = arg('configs', 'off,recorded,otlp').split(',') as ConfigName[];
  for (const c of configs) if (!(c in CONFIGS)) throw new Error(`unknown config ${c}: ${Object.keys(CONFIGS).join(', ')}`);
  const load = loadavg();
  const runs: RunResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const config of configs) {
      process.stderr.write(`[bench] round ${round}: ${config}\n`);
      runs.push(await runOnce(mode, config, round, total, rate, viewers));
    }
  }
  const summary = Object.fromEntries(
    configs.map((config) => {
      const mine = runs.filter((r) => r.config === config);
      return [
        config,
        {
          cpuUsPerMessageTotal: median(mine.map((r) => r.cpuUsPerMessageTotal)),
          cpuUsPerMessageGateways: median(mine.map((r) => (r.cpuUsPerMessage['gateway-a'] ?? 0) + (r.cpuUsPerMessage['gateway-b'] ?? 0) + (r.cpuUsPerMessage.embedded ?? 0))),
          latencyP50Ms: median(mine.map((r) => r.latencyMs.p50)),
          latencyP99Ms: median(mine.map((r) => r.latencyMs.p99)),
        },
      ];
    }),
  );
  console.log(
    JSON.stringify(
      {
        mode,
        messages: total,
        ratePerSec: rate,
        viewers,
        rounds,
        note: 'medians over rounds; cpuUsPerMessage = CPU time of each service process while the measured messages went through, minus its idle rate over that window, / messages; gateways = both gateway processes (the embedded process in embedded mode)',
        summary,
        runs,
        machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadavgAtStart: load.map((l) => Math.round(l * 100) / 100) },
      },
      null,
      2,
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
