// Is the Kafka client the limit? The same chain on kafkajs 2.2.4 (what KafkaMessageBus uses) and on
// @platformatic/kafka: a source produces N msgs/s keyed over 100 rooms, HOPS consumers each forward
// what they get to the next topic and a sink takes the latency from the source's timestamp. Every hop
// has the bus's semantics: per partition one batch at a time, forwarded with acks=all, the offset
// committed after the forward (in the background, one commit in flight). One process, one host clock.
// Prints JSON.
//
//   eval "$(bash scripts/infra.sh env)"
//   npm install --no-save --prefix /tmp/pk @platformatic/kafka     # not a dependency of the project
//   node bench/kafka-clients.mjs --client kafkajs --rate 1000 --seconds 10
//   node bench/kafka-clients.mjs --client platformatic --platformatic /tmp/pk/node_modules/@platformatic/kafka --rate 1000
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const client = arg('client', 'kafkajs');
const rate = Number(arg('rate', '1000'));
const seconds = Number(arg('seconds', '10'));
const hops = Number(arg('hops', '3'));
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const ROOMS = 100;
const PARTITIONS = 4;
const run = `clients-${client}-${Date.now()}`;
const topics = Array.from({ length: hops + 1 }, (_, i) => `${run}.t${i}`);
const latencies = [];
let received = 0;
let measuring = false;

function sink(values) {
  for (const value of values) {
    received += 1;
    if (measuring) latencies.push(Date.now() - Number(value.split(':')[0]));
  }
}

/** One commit in flight; the next carries whatever was done meanwhile (as KafkaMessageBus does). */
function backgroundCommitter(commit) {
  let pending;
  let running = false;
  return (next) => {
    pending = next;
    if (running) return;
    running = true;
    void (async () => {
      while (pending) {
        const current = pending;
        pending = undefined;
        await commit(current).catch((err) => console.error('commit failed', err.message));
      }
      running = false;
    })();
  };
}

async function kafkajsChain() {
  const require = createRequire(join(import.meta.dirname, '..', 'packages', 'bus', 'package.json'));
  const { Kafka, logLevel, Partitioners } = require('kafkajs');
  const kafka = new Kafka({ clientId: run, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })), waitForLeaders: true });
  const producer = async () => {
    const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await p.connect();
    return p;
  };
  const closers = [];
  for (let i = 0; i <= hops; i++) {
    const consumer = kafka.consumer({ groupId: `${run}.g${i}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics[i]], fromBeginning: true });
    const out = i < hops ? await producer() : undefined;
    const commit = backgroundCommitter((payload) => payload.commitOffsetsIfNecessary());
    await consumer.run({
      autoCommit: false,
      autoCommitThreshold: 1,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 16,
      eachBatch: async (payload) => {
        const { messages } = payload.batch;
        if (messages.length === 0) return;
        if (out)
          await out.sendBatch({
            acks: -1,
            topicMessages: [{ topic: topics[i + 1], messages: messages.map((m) => ({ key: m.key, value: m.value })) }],
          });
        else sink(messages.map((m) => m.value.toString()));
        payload.resolveOffset(messages[messages.length - 1].offset);
        commit(payload);
      },
    });
    closers.push(() => consumer.disconnect(), () => out?.disconnect());
  }
  const source = await producer();
  return {
    send: (records) =>
      source.sendBatch({ acks: -1, topicMessages: [{ topic: topics[0], messages: records.map(([key, value]) => ({ key, value })) }] }),
    async close() {
      for (const close of closers) await close();
      await source.disconnect();
      await admin.deleteTopics({ topics });
      await admin.disconnect();
    },
  };
}

async function platformaticChain() {
  // An ES module: a package directory given by --platformatic is imported through its entry file.
  const dir = arg('platformatic', '');
  const { Admin, Consumer, Producer, stringSerializers } = await import(
    dir ? pathToFileURL(join(dir, 'dist', 'index.js')).href : '@platformatic/kafka'
  );
  const admin = new Admin({ clientId: run, bootstrapBrokers: brokers });
  await admin.createTopics({ topics, partitions: PARTITIONS, replicas: 1 });
  const closers = [];
  for (let i = 0; i <= hops; i++) {
    const consumer = new Consumer({ groupId: `${run}.g${i}`, clientId: `${run}.c${i}`, bootstrapBrokers: brokers, maxWaitTime: 100, minBytes: 1 });
    const out = i < hops ? new Producer({ clientId: `${run}.p${i}`, bootstrapBrokers: brokers, serializers: stringSerializers }) : undefined;
    const stream = await consumer.consume({ topics: [topics[i]], autocommit: false, mode: 'earliest', sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    // message.commit() per batch held the fetch loop (1 hop: p50 9 ms vs 2 ms): commit in the background.
    const done = new Map();
    const commit = backgroundCommitter(async () => {
      const offsets = [...done.values()];
      done.clear();
      if (offsets.length > 0) await consumer.commit({ offsets });
    });
    const queues = new Map();
    const busy = new Set();
    const drain = async (partition) => {
      if (busy.has(partition)) return;
      busy.add(partition);
      try {
        for (let queue = queues.get(partition); queue.length > 0; ) {
          const batch = queue.splice(0);
          if (out)
            await out.send({
              acks: -1,
              messages: batch.map((m) => ({ topic: topics[i + 1], key: m.key.toString(), value: m.value.toString() })),
            });
          else sink(batch.map((m) => m.value.toString()));
          const last = batch[batch.length - 1];
          done.set(partition, { topic: last.topic, partition, offset: last.offset + 1n, leaderEpoch: -1 });
          commit(true);
        }
      } finally {
        busy.delete(partition);
      }
    };
    stream.on('data', (m) => {
      let queue = queues.get(m.partition);
      if (!queue) queues.set(m.partition, (queue = []));
      queue.push(m);
      void drain(m.partition);
    });
    stream.on('error', (err) => console.error('stream error', err.message));
    closers.push(() => consumer.close(true), () => out?.close());
  }
  const source = new Producer({ clientId: `${run}.src`, bootstrapBrokers: brokers, serializers: stringSerializers });
  return {
    send: (records) => source.send({ acks: -1, messages: records.map(([key, value]) => ({ topic: topics[0], key, value })) }),
    async close() {
      for (const close of closers) await close();
      await source.close();
      await admin.deleteTopics({ topics });
      await admin.close();
    },
  };
}

async function drive(chain, secs) {
  const total = Math.round(secs * rate);
  const start = Date.now();
  const sends = [];
  for (let i = 0; i < total; ) {
    const due = Math.min(total, Math.floor(((Date.now() - start) * rate) / 1000) + 1);
    const records = [];
    for (; i < due; i++) records.push([`room-${i % ROOMS}`, `${Date.now()}:${'x'.repeat(150)}`]);
    if (records.length > 0) sends.push(chain.send(records));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(sends);
  return total;
}

const percentile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};

const chain = client === 'kafkajs' ? await kafkajsChain() : await platformaticChain();
const warm = await drive(chain, 2);
while (received < warm) await new Promise((r) => setTimeout(r, 50));
measuring = true;
const load = loadavg()[0];
const cpu0 = process.cpuUsage();
const t0 = Date.now();
const total = await drive(chain, seconds);
const cpu = process.cpuUsage(cpu0);
const cpuCores = Math.round(((cpu.user + cpu.system) / 1000 / (Date.now() - t0)) * 100) / 100;
while (latencies.length < total && Date.now() - t0 < seconds * 1000 + 60_000) await new Promise((r) => setTimeout(r, 50));
console.log(
  JSON.stringify({
    client,
    ratePerSec: rate,
    hops,
    sent: total,
    delivered: latencies.length,
    latencyMs: { p50: percentile(latencies, 0.5), p90: percentile(latencies, 0.9), p99: percentile(latencies, 0.99), max: percentile(latencies, 1) },
    cpuCoresWhileSending: cpuCores,
    loadavg: [load, loadavg()[0]],
    node: process.version,
  }),
);
await chain.close();
process.exit(0);
