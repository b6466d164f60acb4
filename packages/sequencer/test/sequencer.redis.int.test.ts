import { AppError } from '@roomcast/errors';
import { infraEnv, uniqueId, useRedisAdmin } from '@roomcast/testing';
import Redis from 'ioredis';
import type { SequencerBackend } from '../src/sequencer';
import { describeSequencerContract } from '../src/sequencer.contract';
import { RedisSequencerBackend } from '../src/sequencer.redis';

const { redisUrl } = infraEnv();
const redisAdmin = useRedisAdmin(() => new Redis(redisUrl));
const deletePrefix = redisAdmin.deletePrefix;

describeSequencerContract('RedisSequencerBackend', async () => {
  const keyPrefix = `${uniqueId('sequencer')}:`;
  // every instance has its own connection, like separate service processes
  const opened: SequencerBackend[] = [];
  const open = (): RedisSequencerBackend => {
    const backend = new RedisSequencerBackend({ redis: redisUrl, keyPrefix });
    opened.push(backend);
    return backend;
  };
  return {
    backend: open(),
    openPeer: async () => open(),
    cleanup: async () => {
      await Promise.all(opened.map((b) => b.close()));
      await deletePrefix(keyPrefix);
    },
  };
});

describe('RedisSequencerBackend on real Redis', () => {
  it('writes only the documented keys under its prefix, with the documented TTLs', async () => {
    const admin = redisAdmin.client();
    const keyPrefix = `${uniqueId('sequencer')}:`;
    // an injected client is shared, not closed by the backend
    const backend = new RedisSequencerBackend({ redis: admin, keyPrefix, assignmentTtlMs: 60_000 });
    await backend.sequencer.assign([{ roomId: 'r:1', messageId: 'm-1' }]);
    await backend.deduper.claim(
      [{ userId: 'u:1', clientMsgId: 'c:1', candidateId: 'm-1', source: 'chat/0/5' }],
      30_000,
    );
    await backend.close();
    expect(await admin.ping()).toBe('PONG');

    const p = `${keyPrefix}sequencer:`;
    expect((await admin.keys(`${keyPrefix}*`)).sort()).toEqual(
      [`${p}dedup:3:u:1:c:1`, `${p}msgseq:m-1`, `${p}seq:r:1`].sort(),
    );
    expect(await admin.get(`${p}seq:r:1`)).toBe('1');
    expect(await admin.pttl(`${p}seq:r:1`)).toBe(-1);
    expect(await admin.get(`${p}msgseq:m-1`)).toBe('1');
    expect(await admin.pttl(`${p}msgseq:m-1`)).toBeGreaterThan(50_000);
    expect(await admin.get(`${p}dedup:3:u:1:c:1`)).toBe('m-1\nchat/0/5');
    expect(await admin.pttl(`${p}dedup:3:u:1:c:1`)).toBeGreaterThan(20_000);
    await deletePrefix(keyPrefix);
  });

  it('maps an unreachable Redis to a retriable STORE_UNAVAILABLE', async () => {
    const backend = new RedisSequencerBackend({
      // port 1: nothing listens there, so every connect is refused
      redis: 'redis://127.0.0.1:1',
      keyPrefix: `${uniqueId('sequencer')}:`,
      // ioredis leaves a failed command's timeout timer running; keep it short so jest exits promptly
      commandTimeoutMs: 200,
    });
    try {
      const err: unknown = await backend.sequencer.assign([{ roomId: 'r', messageId: 'm' }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('STORE_UNAVAILABLE');
      expect((err as AppError).retriable).toBe(true);
      await expect(
        backend.deduper.claim([{ userId: 'u', clientMsgId: 'c', candidateId: 'm', source: 's' }], 1000),
      ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    } finally {
      await backend.close();
    }
  });
});
