/**
 * The CPU cost of tracing one message through every hop, measured in one process with nothing
 * else in it — the figure a shared, noisy box can still give (bench/tracing-overhead.ts measures
 * the whole stack). Each configuration runs in a child process of its own (the tracer provider is
 * process-wide), through the code the services run: the gateway's `withSpan` + traceparent
 * injection, then `decodeBatch` (traceparent extraction, one CONSUMER span per record, the
 * services' attributes) and one injection per published record at chat-ingest, filter and
 * notification, persistence's span, and a deliver span at two gateways. Batches of 10. Prints JSON.
 *
 *   pnpm exec tsx packages/service-kit/bench/tracing-hops.bench.ts [--messages 20000] [--rounds 3]
 *
 * Configurations: `none` (no tracer provider: the floor, nothing propagated), `off` (ratio 0: non-recording spans, ids still propagate), `recorded` (ratio 1,
 * no exporter), `otlp` (ratio 1, OTLP/HTTP JSON to a sink in the parent process, which is not
 * measured: the export's serialisation and HTTP send are in the child's CPU).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { BusRecord } from '@roomcast/bus';
import { decodeBatch } from '../src/consumer';
import { ATTR, getTracer, injectTraceHeaders, SpanKind, withSpan } from '@roomcast/telemetry';
import { startTelemetry, type TelemetryOptions } from '@roomcast/telemetry/sdk';

const run = promisify(execFile);
const BATCH = 10;
const WARMUP_MESSAGES = 5000;
const Event = z.object({ roomId: z.string(), n: z.number() });

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

function record(topic: string, offset: number, value: string, headers: Record<string, string>): BusRecord {
  return { topic, partition: 0, offset: String(offset), key: 'room-1', value: Buffer.from(value), headers, timestamp: Date.now() };
}

/** One consumer hop over a batch: decode + span per record, optional attribute, one injection per output record. */
async function hop(name: string, records: BusRecord[], publishes: boolean, attribute?: [string, number]): Promise<BusRecord[]> {
  return decodeBatch(name, Event, records, async (batch) => {
    const out: BusRecord[] = [];
    for (const d of batch) {
      if (attribute) d.span.setAttribute(attribute[0], attribute[1]);
      if (publishes) out.push(record(`${name}.out`, d.event.n, JSON.stringify(d.event), injectTraceHeaders(d.context)));
    }
    return out;
  });
}

const tracer = getTracer('bench');

/** `count` messages through every hop, in batches. */
async function messages(count: number): Promise<void> {
  for (let first = 0; first < count; first += BATCH) {
    const submitted: BusRecord[] = [];
    for (let n = first; n < first + BATCH; n++) {
      const event = { roomId: 'room-1', n };
      const attributes = { [ATTR.roomId]: 'room-1', [ATTR.userId]: 'user-1', [ATTR.clientMsgId]: `c-${n}`, [ATTR.gatewayId]: 'gw-a' };
      const headers = await withSpan(tracer, 'gateway.chat.submit', { kind: SpanKind.PRODUCER, attributes }, async () => injectTraceHeaders());
      submitted.push(record('submitted', n, JSON.stringify(event), headers));
    }
    const ingested = await hop('chat-ingest.check', submitted, true);
    const accepted = await hop('filter.check', ingested, true);
    await hop('persistence.store', accepted, false);
    const deliveries = await hop('notification.route', accepted, true, [ATTR.gateways, 2]);
    await hop('gateway.deliver', deliveries, false, [ATTR.fanout, 500]);
    await hop('gateway.deliver', deliveries, false, [ATTR.fanout, 500]);
  }
}

async function child(options: TelemetryOptions | undefined, count: number): Promise<void> {
  // No options: no tracer provider at all, the API's no-op (no ids, nothing propagated).
  const telemetry = options ? startTelemetry(options) : { shutdown: async () => undefined };
  await messages(WARMUP_MESSAGES);
  const before = process.cpuUsage();
  const started = process.hrtime.bigint();
  await messages(count);
  // The exporter's work for these spans is part of their cost: flush it inside the window.
  await telemetry.shutdown();
  const cpu = process.cpuUsage(before);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${JSON.stringify({ cpuUsPerMessage: (cpu.user + cpu.system) / count, wallMs })}\n`);
}

async function main(): Promise<void> {
  const count = Number(arg('messages', '20000'));
  if (process.argv.includes('--child')) {
    const options = JSON.parse(arg('child', 'null')) as TelemetryOptions | null;
    await child(options ?? undefined, count);
    return;
  }
  const rounds = Number(arg('rounds', '3'));
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const configs: Record<string, TelemetryOptions | null> = {
    none: null,
    off: { serviceName: 'bench', exporter: 'none', sampleRatio: 0 },
    recorded: { serviceName: 'bench', exporter: 'none', sampleRatio: 1 },
    otlp: { serviceName: 'bench', exporter: 'otlp', otlpEndpoint: endpoint, sampleRatio: 1 },
  };
  const results: Record<string, number[]> = {};
  const load = loadavg();
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const [name, options] of Object.entries(configs)) {
        process.stderr.write(`[bench] round ${round}: ${name}\n`);
        const { stdout } = await run(process.execPath, ['--import', 'tsx', __filename, '--child', JSON.stringify(options), '--messages', String(count)], {
          maxBuffer: 1 << 20,
        });
        (results[name] ??= []).push((JSON.parse(stdout) as { cpuUsPerMessage: number }).cpuUsPerMessage);
      }
    }
  } finally {
    sink.close();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const floor = median(results.none ?? []);
  const summary = Object.fromEntries(
    Object.entries(results).map(([name, xs]) => [
      name,
      { cpuUsPerMessage: Math.round(median(xs) * 10) / 10, overNoneUs: Math.round((median(xs) - floor) * 10) / 10, runs: xs.map((x) => Math.round(x * 10) / 10) },
    ]),
  );
  console.log(
    JSON.stringify(
      {
        messages: count,
        batch: BATCH,
        spansPerMessage: 7,
        note: 'CPU µs per message over every hop (1 submit, 4 consumer hops, 2 deliveries), median of rounds; includes decoding each record (JSON + zod), the same in every configuration',
        summary,
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
