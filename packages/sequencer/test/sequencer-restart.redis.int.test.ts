// Seq survives a Redis crash: a redis-server of this test's own (free port, temp dir, AOF as
// scripts/infra.sh and production run it) is killed with SIGKILL right after handing out seqs and
// started again on the same dir, while the sequencer keeps its client, as a running filter would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@roomcast/errors';
import { waitFor } from '@roomcast/testing';
import Redis from 'ioredis';
import { RedisSequencerBackend } from '../src/sequencer.redis';

/** The persistence settings of scripts/infra.sh (and docs/architecture.md for production). */
const AOF_ARGS = ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
const ROOMS = ['room-a', 'room-b', 'room-c'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

describe('RedisSequencerBackend across a Redis crash (kill -9, AOF appendfsync always)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'roomcast-seq-aof-'));
  let port: number;
  let server: ChildProcess | undefined;
  let backend: RedisSequencerBackend | undefined;

  async function startServer(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, ...AOF_ARGS, '--loglevel', 'warning'],
      { stdio: 'ignore' },
    );
    server = child;
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined); // refused until it listens; the ping below reports failures
    try {
      await waitFor(async () => child.exitCode === null && (await probe.ping()) === 'PONG', 'redis-server');
    } finally {
      probe.disconnect();
    }
  }

  async function killServer(): Promise<void> {
    const child = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    port = await freePort();
    await startServer();
  });

  afterAll(async () => {
    await backend?.close();
    await killServer();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries on after the last seq handed out, and remembers which message got which', async () => {
    backend = new RedisSequencerBackend({
      redis: `redis://127.0.0.1:${port}`,
      keyPrefix: 'rc:',
      // ioredis keeps a rejected command's timeout timer running (NOSCRIPT on the first EVALSHA,
      // refused calls while the server is down): keep it short so jest exits promptly.
      commandTimeoutMs: 500,
    });
    const sequencer = backend.sequencer;
    const given = new Map<string, { roomId: string; seq: number }>();
    // Concurrent batches, as several filter partitions send them; the last replies come just
    // before the kill, so only an fsynced AOF holds them.
    await Promise.all(
      Array.from({ length: 20 }, async (_, batch) => {
        const items = ROOMS.map((roomId) => ({ roomId, messageId: `m-${roomId}-${batch}` }));
        const seqs = await sequencer.assign(items);
        items.forEach((item, i) => given.set(item.messageId, { roomId: item.roomId, seq: seqs[i] ?? -1 }));
      }),
    );
    for (const roomId of ROOMS) {
      const seqs = [...given.values()].filter((g) => g.roomId === roomId).map((g) => g.seq);
      expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }

    await killServer();
    const down = await sequencer
      .assign([{ roomId: 'room-a', messageId: 'm-during' }])
      .catch((e: unknown) => e);
    expect(down).toBeInstanceOf(AppError);
    expect((down as AppError).code).toBe('STORE_UNAVAILABLE');
    expect((down as AppError).retriable).toBe(true);

    await startServer();
    // The same client reconnects by itself; the first calls may still fail while it does.
    const next = await waitFor(
      () => sequencer.assign(ROOMS.map((roomId) => ({ roomId, messageId: `m-${roomId}-after` }))),
      'an assign after the restart',
    );
    expect(next).toEqual([21, 21, 21]);
    for (const roomId of ROOMS) expect(await sequencer.current(roomId)).toBe(21);
    // A record redelivered after the crash gets the seq it had before, not a new one.
    const replayed = await sequencer.assign(
      [...given].map(([messageId, { roomId }]) => ({ roomId, messageId })),
    );
    expect(replayed).toEqual([...given.values()].map((g) => g.seq));
    expect(await sequencer.current('room-a')).toBe(21);
  });
});
