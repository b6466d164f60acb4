#!/usr/bin/env node
// Verifies that kafkajs (2.2.4) works end to end against the Kafka 4.x broker
// started by scripts/infra.sh: topic creation, produce with headers, consumer
// group join, offset commit, and resume-after-commit on restart (no
// re-delivery). Prints one JSON result on stdout; exit code 0 only if all
// checks pass.
//
//   node scripts/verify-kafkajs.mjs            # uses $KAFKA_BROKERS or 127.0.0.1:19092
//
// Plan: produce batch A (60 msgs) -> consumer #1 in group G reads all of A,
// commits, disconnects -> produce batch B (40 msgs) -> consumer #2 in the same
// group (fromBeginning: true, so only the committed offsets can stop it from
// re-reading A) must receive exactly B.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

// kafkajs from the repo if it has it, otherwise from infra.sh's tool dir.
function loadKafkajs() {
  const fromRepo = createRequire(import.meta.url);
  try {
    return { mod: fromRepo('kafkajs'), from: fromRepo.resolve('kafkajs') };
  } catch {
    const cache = process.env.ROOMCAST_CACHE ?? path.join(os.homedir(), '.cache', 'roomcast');
    const tools = process.env.ROOMCAST_NODE_TOOLS ?? path.join(cache, 'node-tools');
    const req = createRequire(path.join(tools, 'package.json'));
    return { mod: req('kafkajs'), from: req.resolve('kafkajs') };
  }
}

const { mod: kafkajs, from: kafkajsPath } = loadKafkajs();
const { Kafka, logLevel, Partitioners } = kafkajs;
const kafkajsVersion = createRequire(kafkajsPath)('./package.json').version;

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const runId = `${Date.now()}-${randomUUID().slice(0, 8)}`;
const topic = `verify-kafkajs-${runId}`;
const groupId = `verify-kafkajs-group-${runId}`;
const BATCH_A = 60;
const BATCH_B = 40;
const PARTITIONS = 4;

const kafka = new Kafka({
  clientId: 'roomcast-verify-kafkajs',
  brokers,
  logLevel: logLevel.WARN,
  retry: { retries: 5 },
});

// Every request kafkajs sends, as "ApiName vN": shows which protocol versions
// were negotiated with the 4.x broker (Kafka 4 removed many old versions).
const apis = new Map();
const track = (client) =>
  client.on(client.events.REQUEST, ({ payload }) => {
    const k = `${payload.apiName} v${payload.apiVersion}`;
    apis.set(k, (apis.get(k) ?? 0) + 1);
  });

const result = { ok: false, kafkajs: kafkajsVersion, brokers, topic, groupId, checks: {} };
const check = (name, ok, detail) => {
  result.checks[name] = detail === undefined ? { ok } : { ok, ...detail };
  if (!ok) throw new Error(`check failed: ${name} ${JSON.stringify(detail ?? {})}`);
};

async function produce(producer, from, count) {
  const messages = [];
  for (let i = from; i < from + count; i++) {
    messages.push({
      key: `key-${i}`,
      value: JSON.stringify({ i, runId }),
      headers: { 'x-index': String(i), 'x-run': runId, 'x-bin': Buffer.from([0, 1, 2, i & 255]) },
    });
  }
  await producer.send({ topic, acks: -1, messages });
}

// Runs one consumer of the group until `expect` messages arrived (or the
// timeout), plus a grace period to catch unexpected extra deliveries.
async function consumeRound(name, expect, { graceMs = 3000, timeoutMs = 60000 } = {}) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000 });
  track(consumer);
  const got = [];
  const highest = new Map(); // partition -> highest offset seen
  let joined = null;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => { joined = payload; });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let resolveDone;
  const done = new Promise((r) => { resolveDone = r; });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const h = message.headers ?? {};
      got.push({
        partition,
        offset: message.offset,
        key: message.key?.toString(),
        index: Number(h['x-index']?.toString()),
        run: h['x-run']?.toString(),
        bin: h['x-bin'] ? [...h['x-bin']] : null,
        value: JSON.parse(message.value.toString()),
      });
      const prev = highest.get(partition);
      if (prev === undefined || BigInt(message.offset) > prev) highest.set(partition, BigInt(message.offset));
      if (got.length >= expect) resolveDone();
    },
  });
  const timedOut = await Promise.race([
    done.then(() => false),
    new Promise((r) => setTimeout(() => r(true), timeoutMs)),
  ]);
  if (!timedOut) await new Promise((r) => setTimeout(r, graceMs)); // catch re-deliveries/extras
  // Explicit OffsetCommit of "next offset to read" for each partition we saw.
  const offsets = [...highest].map(([partition, off]) => ({ topic, partition, offset: (off + 1n).toString() }));
  if (offsets.length) await consumer.commitOffsets(offsets);
  await consumer.disconnect();
  return { name, got, timedOut, committed: offsets, memberId: joined?.memberId, generationId: joined?.generationId };
}

async function main() {
  const t0 = Date.now();
  const admin = kafka.admin();
  track(admin);
  await admin.connect();
  const cluster = await admin.describeCluster();
  result.cluster = { clusterId: cluster.clusterId, brokers: cluster.brokers.length, controller: cluster.controller };

  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  check('createTopic', created === true && meta.topics[0].partitions.length === PARTITIONS, {
    partitions: meta.topics[0].partitions.length,
  });

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  track(producer);
  await producer.connect();
  await produce(producer, 0, BATCH_A);

  // Round 1: read all of batch A, commit, leave the group.
  const r1 = await consumeRound('consumer-1', BATCH_A);
  const idx1 = r1.got.map((m) => m.index).sort((a, b) => a - b);
  check('round1.receivedAllOfA', !r1.timedOut && r1.got.length === BATCH_A &&
    idx1.every((v, i) => v === i), { received: r1.got.length, expected: BATCH_A });
  check('round1.headers', r1.got.every((m) => m.run === runId && m.key === `key-${m.index}` &&
    m.value.i === m.index && JSON.stringify(m.bin) === JSON.stringify([0, 1, 2, m.index & 255])));
  check('round1.partitionsUsed', new Set(r1.got.map((m) => m.partition)).size > 1, {
    partitions: [...new Set(r1.got.map((m) => m.partition))].sort(),
  });

  // The broker must now hold the committed offsets (OffsetFetch via admin).
  const fetched = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committedTotal = fetched[0].partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  check('committedOffsets', committedTotal === BATCH_A, {
    committedTotal, perPartition: fetched[0].partitions.map((p) => `${p.partition}:${p.offset}`),
  });

  await produce(producer, BATCH_A, BATCH_B);
  await producer.disconnect();

  // Round 2: same group, fromBeginning: true -> must resume at the committed
  // offsets, i.e. receive exactly batch B and nothing from batch A.
  const r2 = await consumeRound('consumer-2', BATCH_B);
  const idx2 = r2.got.map((m) => m.index).sort((a, b) => a - b);
  const redelivered = idx2.filter((i) => i < BATCH_A);
  check('round2.resumedAfterCommit', !r2.timedOut && redelivered.length === 0 &&
    r2.got.length === BATCH_B && idx2.every((v, i) => v === BATCH_A + i), {
    received: r2.got.length, expected: BATCH_B, redelivered: redelivered.length,
  });
  check('round2.headers', r2.got.every((m) => m.run === runId && m.key === `key-${m.index}`));

  const fetched2 = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committedTotal2 = fetched2[0].partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  check('committedOffsetsAfterRound2', committedTotal2 === BATCH_A + BATCH_B, { committedTotal: committedTotal2 });

  const groups = await admin.describeGroups([groupId]);
  result.group = { state: groups.groups[0]?.state, protocolType: groups.groups[0]?.protocolType };

  // Clean up our topic so repeated runs do not accumulate topics.
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();

  result.messages = { produced: BATCH_A + BATCH_B, round1: r1.got.length, round2: r2.got.length };
  result.ok = true;
  result.elapsedMs = Date.now() - t0;
}

try {
  await main();
} catch (err) {
  result.error = { message: err.message, name: err.name, type: err.type, stack: err.stack?.split('\n').slice(0, 6) };
}
result.apiVersionsUsed = Object.fromEntries([...apis].sort());
console.log(JSON.stringify(result, null, 2));
process.exit(result.ok ? 0 : 1);
