/**
 * Scanner throughput: `messages` frames as the gateway writes them (40-byte texts, uuid ids),
 * scanned from bytes vs JSON.parse, at several batch sizes; and v1 `message` frames. One core,
 * no I/O. Prints JSON (messages/s and ns per message, median of ROUNDS).
 *
 *   node_modules/.bin/tsx packages/load/bench/frame-scan.bench.ts [--rounds 5] [--ms 400]
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ScannedBatch, scanMessagesFrame, scanRoomcastMessage, type ScannedMessage } from '../src/frame-scan';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}

const ROUNDS = arg('rounds', 5);
const ROUND_MS = arg('ms', 400);
const TEXT = 'roomcast-load roomcast-load roomcast-loa';

function item(seq: number): string {
  return JSON.stringify({
    seq,
    id: randomUUID(),
    userId: 'load-mi2x9k3a1b2c3-u0',
    clientMsgId: `0-${seq.toString(36)}`,
    text: TEXT,
    masked: false,
    sentAt: 1_733_212_345_678 + seq,
    acceptedAt: 1_733_212_345_690 + seq,
  });
}

function batch(from: number, n: number): Buffer {
  const items = Array.from({ length: n }, (_, i) => item(from + i));
  return Buffer.from(
    `{"type":"messages","roomId":"load-mi2x9k3a1b2c3-r0","fromSeq":${from},"toSeq":${from + n - 1},"thinned":0,"messages":[${items.join(',')}]}`,
  );
}

/** Messages per second of `fn` over ROUND_MS, median of ROUNDS. */
function measure(messagesPerCall: number, fn: () => void): number {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ROUND_MS) {
      for (let i = 0; i < 100; i++) fn();
      calls += 100;
      now = performance.now();
    }
    rates.push((calls * messagesPerCall * 1000) / (now - start));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

const out: ScannedBatch = new ScannedBatch();
const single: ScannedMessage = { seq: 0, sentAt: 0 };
let sink = 0;
const results: Record<string, { messagesPerSec: number; nsPerMessage: number }> = {};
const record = (name: string, perSec: number): void => {
  results[name] = { messagesPerSec: Math.round(perSec), nsPerMessage: Math.round((1e9 / perSec) * 10) / 10 };
};

for (const n of [1, 5, 50]) {
  const frame = batch(1000, n);
  const text = frame.toString();
  record(
    `scan messages×${n}`,
    measure(n, () => {
      if (!scanMessagesFrame(frame, out)) throw new Error('bench frame did not scan');
      for (let i = 0; i < out.count; i++) sink += out.sentAts[i] as number;
    }),
  );
  record(
    `JSON.parse messages×${n}`,
    measure(n, () => {
      const f = JSON.parse(text) as { messages: { seq: number; sentAt: number }[] };
      for (const m of f.messages) sink += m.sentAt;
    }),
  );
}
const v1 = Buffer.from(`{"type":"message","roomId":"load-mi2x9k3a1b2c3-r0",${item(1000).slice(1)}`);
record(
  'scan message (v1)',
  measure(1, () => {
    if (!scanRoomcastMessage(v1, single)) throw new Error('bench frame did not scan');
    sink += single.sentAt;
  }),
);

console.log(
  JSON.stringify(
    {
      bench: 'frame-scan',
      node: process.version,
      cpus: availableParallelism(),
      roundMs: ROUND_MS,
      rounds: ROUNDS,
      results,
      sink: sink > 0,
    },
    null,
    2,
  ),
);
