/**
 * End-to-end latency: a sender on gateway A, a viewer on gateway B (real stack) or both on the
 * embedded start; N chat messages at a fixed rate; for each, the delay from the sender's
 * `sentAt` to the `message` frame arriving at the viewer (same host clock). Prints JSON.
 *
 *   pnpm exec tsx bench/e2e-latency.ts [--mode real|embedded] [--messages 2000] [--rate 200]
 *
 * `real` needs the infrastructure: `bash scripts/infra.sh up && eval "$(bash scripts/infra.sh env)"`.
 */
import { cpus } from 'node:os';
import WebSocket from 'ws';
import { RoomcastClient, type WebSocketConstructor } from '@roomcast/client';
import { uniqueId, waitFor } from '@roomcast/testing';
import { startEmbeddedStack, startRealStack, type Stack } from '../test/harness/stacks';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, idx)] as number;
}

async function client(stack: Stack, url: string, userId: string): Promise<RoomcastClient> {
  const c = new RoomcastClient({ url, token: await stack.token(userId), WebSocket: WebSocket as unknown as WebSocketConstructor, reconnect: { enabled: false } });
  await c.connect();
  return c;
}

async function main(): Promise<void> {
  const mode = arg('mode', 'real');
  const total = Number(arg('messages', '2000'));
  const rate = Number(arg('rate', '200'));
  const tuning = { WS_CHAT_RATE_PER_SEC: String(rate * 2), WS_CHAT_BURST: String(rate * 2), LOG_LEVEL: 'warn' };
  const stack = mode === 'embedded' ? await startEmbeddedStack(tuning) : await startRealStack(tuning);
  try {
    const [urlA, urlB] = stack.gatewayUrls as [string, string];
    const room = uniqueId('bench');
    const sender = await client(stack, urlA, 'bench-sender');
    const viewer = await client(stack, urlB, 'bench-viewer');
    await sender.join(room);
    await viewer.join(room);
    const latencies: number[] = [];
    viewer.on('message', (m) => {
      latencies.push(Date.now() - m.sentAt);
    });
    // Warm-up: first messages pay for connection set-up, JIT and topic metadata.
    for (let i = 0; i < 20; i++) await sender.chat(room, `warm ${i}`);
    await waitFor(() => latencies.length >= 20, 'warm-up deliveries', 30000);
    latencies.length = 0;

    const intervalMs = 1000 / rate;
    const start = Date.now();
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + i * intervalMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      acks.push(sender.chat(room, `message ${i} ${'x'.repeat(20)}`, { sentAt: Date.now() }));
    }
    await Promise.all(acks);
    await waitFor(() => latencies.length >= total, `${total} deliveries`, 120000);
    const sorted = [...latencies].sort((a, b) => a - b);
    const result = {
      mode,
      path: mode === 'real' ? 'sender on gateway A -> Kafka/Redis/FerretDB, 5 services as processes -> viewer on gateway B' : 'one process, in-memory twins',
      messages: total,
      ratePerSec: rate,
      delivered: latencies.length,
      latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] },
      viewerStats: viewer.stats(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    };
    console.log(JSON.stringify(result, null, 2));
    sender.close();
    viewer.close();
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
