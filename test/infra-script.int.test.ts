// scripts/infra.sh on a private instance: its own run dir and ports, never the shared servers the
// other suites use. Covers what a chaos run relies on: restart and kill -9 keep Redis's and Kafka's
// data, and `down` stops what it started even without pid files, and nothing else.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KafkaMessageBus, type Subscription } from '@roomcast/bus';
import { silentLogger } from '@roomcast/logger';
import { uniqueId, waitFor } from '@roomcast/testing';
import { freePort, ROOT } from './harness/processes';

const run = promisify(execFile);
const INFRA = join(ROOT, 'scripts', 'infra.sh');

interface Instance {
  env: NodeJS.ProcessEnv;
  runDir: string;
  ports: {
    kafka: number;
    controller: number;
    redis: number;
    ferretdb: number;
    jaegerQuery: number;
    jaegerOtlpHttp: number;
    jaegerOtlpGrpc: number;
    jaegerQueryGrpc: number;
    jaegerHealth: number;
  };
}

async function newInstance(runDir: string): Promise<Instance> {
  const ports = {
    kafka: await freePort(),
    controller: await freePort(),
    redis: await freePort(),
    ferretdb: await freePort(),
    jaegerQuery: await freePort(),
    jaegerOtlpHttp: await freePort(),
    jaegerOtlpGrpc: await freePort(),
    jaegerQueryGrpc: await freePort(),
    jaegerHealth: await freePort(),
  };
  const env = {
    ...process.env,
    ROOMCAST_RUN: runDir,
    ROOMCAST_KAFKA_PORT: String(ports.kafka),
    ROOMCAST_KAFKA_CONTROLLER_PORT: String(ports.controller),
    ROOMCAST_REDIS_PORT: String(ports.redis),
    ROOMCAST_FERRETDB_PORT: String(ports.ferretdb),
    ROOMCAST_JAEGER_QUERY_PORT: String(ports.jaegerQuery),
    ROOMCAST_JAEGER_OTLP_HTTP_PORT: String(ports.jaegerOtlpHttp),
    ROOMCAST_JAEGER_OTLP_GRPC_PORT: String(ports.jaegerOtlpGrpc),
    ROOMCAST_JAEGER_QUERY_GRPC_PORT: String(ports.jaegerQueryGrpc),
    ROOMCAST_JAEGER_HEALTH_PORT: String(ports.jaegerHealth),
  };
  return { env, runDir, ports };
}

/** Runs infra.sh; rejects with its output when it exits non-zero. */
async function infra(instance: Instance, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('bash', [INFRA, ...args], { env: instance.env, timeout: 180_000 });
    return stdout;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`infra.sh ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout.trim();
}

/** Whether something accepts connections on 127.0.0.1:port (the same test infra.sh makes). */
async function listening(port: number): Promise<boolean> {
  const probe = `exec 3<>/dev/tcp/127.0.0.1/${port}`;
  return run('bash', ['-c', probe]).then(
    () => true,
    () => false,
  );
}

/** Pids of live processes whose command line mentions `text`. */
function processesMentioning(text: string): string[] {
  const pids: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmdline: string;
    let stat: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // A zombie (state Z) has exited; infra.sh counts it as gone too.
    if (cmdline.includes(text) && !/^\d+ \(.*\) Z /.test(stat)) pids.push(pid);
  }
  return pids;
}

describe('scripts/infra.sh on a private instance', () => {
  const base = mkdtempSync(join(tmpdir(), 'roomcast-infra-'));
  let main: Instance;
  let other: Instance;

  beforeAll(async () => {
    main = await newInstance(join(base, 'run'));
    // A sibling whose run dir starts with the same characters: `down` of one must spare the other.
    other = await newInstance(join(base, 'run-other'));
  });

  afterAll(async () => {
    await Promise.allSettled([main && infra(main, 'down'), other && infra(other, 'down')]);
    rmSync(base, { recursive: true, force: true });
  }, 120_000);

  it('keeps Redis data across restart and kill -9 (AOF, fsync always)', async () => {
    await infra(main, 'up', 'redis', 'mongo');
    expect(await infra(main, 'status', 'redis', 'mongo')).toMatch(/redis +up[\s\S]*ferretdb +up/);
    expect(await redisCli(main.ports.redis, 'config', 'get', 'appendfsync')).toBe('appendfsync\nalways');
    await redisCli(main.ports.redis, 'set', 'kept', 'yes');

    await infra(main, 'restart', 'redis');
    expect(await redisCli(main.ports.redis, 'get', 'kept')).toBe('yes');

    // The INCR answered just before the crash must survive it: that is what fsync always buys.
    expect(await redisCli(main.ports.redis, 'incr', 'counter')).toBe('1');
    await infra(main, 'kill', 'redis');
    expect(await listening(main.ports.redis)).toBe(false);
    await expect(infra(main, 'status', 'redis')).rejects.toThrow(/redis +down/);
    await infra(main, 'restart', 'redis');
    expect(await redisCli(main.ports.redis, 'get', 'counter')).toBe('1');
    expect(await redisCli(main.ports.redis, 'get', 'kept')).toBe('yes');

    // `up` without --keep-data after `down` starts clean.
    await infra(main, 'down', 'redis');
    await infra(main, 'up', 'redis');
    expect(await redisCli(main.ports.redis, 'get', 'kept')).toBe('');
  }, 120_000);

  it('stops its servers on down even when their pid files are gone, and nothing it did not start', async () => {
    await infra(other, 'up', 'redis');
    await infra(main, 'up', 'redis', 'mongo');
    unlinkSync(join(main.runDir, 'redis', 'redis.pid'));
    unlinkSync(join(main.runDir, 'ferretdb', 'ferretdb.pid'));
    expect(await infra(main, 'status', 'redis', 'mongo')).toMatch(/redis +up[\s\S]*ferretdb +up/);
    // `up` finds them without their pid files (instead of refusing their ports) and rewrites those.
    await infra(main, 'up', 'redis', 'mongo');
    unlinkSync(join(main.runDir, 'redis', 'redis.pid'));
    unlinkSync(join(main.runDir, 'ferretdb', 'ferretdb.pid'));

    await infra(main, 'down');

    for (const port of Object.values(main.ports)) expect(await listening(port)).toBe(false);
    expect(processesMentioning(`${main.runDir}/`)).toEqual([]);
    expect(await redisCli(other.ports.redis, 'ping')).toBe('PONG');
    await infra(other, 'down');
    expect(await listening(other.ports.redis)).toBe(false);
  }, 120_000);

  it('runs Jaeger v1.75.0 on its own ports: a span sent over OTLP/HTTP is read back through the query API; down stops it', async () => {
    await infra(main, 'up', 'jaeger');
    expect(await infra(main, 'status', 'jaeger')).toMatch(/jaeger +up/);
    const env = await infra(main, 'env');
    expect(env).toContain(`export JAEGER_QUERY_URL=http://127.0.0.1:${main.ports.jaegerQuery}\n`);
    expect(env).toContain(
      `export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${main.ports.jaegerOtlpHttp}\n`,
    );
    // The pinned release, not whatever the Go module proxy serves as latest.
    const pid = readFileSync(join(main.runDir, 'jaeger', 'jaeger.pid'), 'utf8').trim();
    const { stdout: version } = await run(`/proc/${pid}/exe`, ['version']);
    expect(version).toContain('"gitVersion":"v1.75.0"');

    const traceId = randomBytes(16).toString('hex');
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const span = {
      traceId,
      spanId: randomBytes(8).toString('hex'),
      name: 'infra-probe',
      kind: 1,
      startTimeUnixNano: String(nowNs),
      endTimeUnixNano: String(nowNs + 1_000_000n),
    };
    const otlp = await fetch(`http://127.0.0.1:${main.ports.jaegerOtlpHttp}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'infra-test' } }] },
            scopeSpans: [{ scope: { name: 'probe' }, spans: [span] }],
          },
        ],
      }),
    });
    expect(otlp.status).toBe(200);
    const stored = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${main.ports.jaegerQuery}/api/traces/${traceId}`);
        if (!res.ok) return undefined;
        const body = (await res.json()) as { data?: { spans: { operationName: string }[] }[] };
        return body.data?.[0]?.spans;
      },
      'the span in the query API',
      30_000,
      200,
    );
    expect(stored.map((s) => s.operationName)).toEqual(['infra-probe']);

    unlinkSync(join(main.runDir, 'jaeger', 'jaeger.pid'));
    await infra(main, 'down');
    expect(await listening(main.ports.jaegerQuery)).toBe(false);
    expect(await listening(main.ports.jaegerOtlpHttp)).toBe(false);
    expect(processesMentioning(`${main.runDir}/`)).toEqual([]);
  }, 120_000);

  it('keeps Kafka topics and committed offsets across a restart; a subscription held through it delivers again', async () => {
    await infra(main, 'up', 'kafka');
    const topic = `it.${uniqueId('infra')}.v1`;
    const groupId = uniqueId('infra-group');
    const seen: string[] = [];
    const consume = async (bus: KafkaMessageBus, group = groupId, into = seen): Promise<Subscription> => {
      const sub = await bus.subscribe({
        groupId: group,
        topics: [topic],
        fromBeginning: true,
        handler: async (batch) => void into.push(...batch.map((r) => `${r.value.toString()}@${r.offset}`)),
      });
      await sub.ready;
      return sub;
    };
    const connect = (): KafkaMessageBus =>
      new KafkaMessageBus({
        brokers: [`127.0.0.1:${main.ports.kafka}`],
        clientId: uniqueId('infra'),
        logger: silentLogger(),
      });

    // A consumer that stays subscribed through the restart (as a running service's does) must
    // deliver again afterwards: kafkajs restarts it after a retriable crash, ConsumerRevival after
    // one kafkajs gives up on. Its live() is sampled meanwhile (what /readyz reports).
    const held = connect();
    const heldSeen: string[] = [];
    const liveSamples: boolean[] = [];
    let sampler: NodeJS.Timeout | undefined;
    const before = connect();
    try {
      await before.ensureTopics([{ name: topic, partitions: 1 }]);
      const sub = await consume(before);
      const heldSub = await consume(held, uniqueId('infra-held'), heldSeen);
      await before.publish(topic, [{ key: 'k', value: 'before' }]);
      await waitFor(() => seen.length === 1 && heldSeen.length === 1, 'the record before the restart', 30_000);
      await sub.stop();
      sampler = setInterval(() => liveSamples.push(heldSub.live()), 50);

      await infra(main, 'restart', 'kafka');

      const after = connect();
      try {
        await after.publish(topic, [{ key: 'k', value: 'after' }]);
        await consume(after);
        // From the committed offset: 'before' is not delivered again (the group's offset survived),
        // and 'after' is at offset 1 (the topic and its log survived; a new topic would start at 0).
        await waitFor(() => seen.length >= 2, 'the record after the restart', 60_000);
        expect(seen).toEqual(['before@0', 'after@1']);
        await waitFor(() => heldSeen.includes('after@1'), 'the record after the restart on the held subscription', 60_000);
        expect(heldSub.live()).toBe(true);
        const dips = liveSamples.filter((l, i) => !l && liveSamples[i - 1] !== false).length;
        console.log(`held subscription through the broker restart: ${liveSamples.length} live() samples, ${liveSamples.filter((l) => !l).length} down, ${dips} dip(s)`);
      } finally {
        await after.close();
      }
    } finally {
      if (sampler) clearInterval(sampler);
      await before.close();
      await held.close();
    }
    await infra(main, 'down', 'kafka');
    expect(await listening(main.ports.kafka)).toBe(false);
    expect(await listening(main.ports.controller)).toBe(false);
  }, 240_000);
});
