import { infraEnv, uniqueId, useRedisAdmin } from '@roomcast/testing';
import Redis from 'ioredis';
import { describeRecentMessagesContract } from '../src/recent-messages.contract';
import { RedisRecentMessages } from '../src/recent-messages.redis';
import { RedisSequencerBackend } from '../src/sequencer.redis';

const { redisUrl } = infraEnv();
const redisAdmin = useRedisAdmin(() => new Redis(redisUrl));

describeRecentMessagesContract('RedisRecentMessages', async () => {
  const keyPrefix = `${uniqueId('recent')}:`;
  const recent = new RedisRecentMessages({ redis: redisUrl, keyPrefix, maxPerRoom: 5 });
  const backend = new RedisSequencerBackend({ redis: redisUrl, keyPrefix });
  return {
    recent,
    sequencer: backend.sequencer,
    cleanup: async () => {
      await Promise.all([recent.close(), backend.close()]);
      await redisAdmin.deletePrefix(keyPrefix);
    },
  };
});

describe('RedisRecentMessages on real Redis', () => {
  it('keeps one ZSET and one head per room under the sequencer prefix, with TTLs restarted by each append', async () => {
    const keyPrefix = `${uniqueId('recent')}:`;
    const admin = redisAdmin.client();
    const recent = new RedisRecentMessages({ redis: admin, keyPrefix, ttlMs: 60_000 });
    await recent.append([{ roomId: 'r:1', seq: 1, data: '{"a":1}' }]);
    const keys = (await admin.keys(`${keyPrefix}*`)).sort();
    expect(keys).toEqual([`${keyPrefix}sequencer:recent-head:r:1`, `${keyPrefix}sequencer:recent:r:1`]);
    const [headKey, setKey] = keys as [string, string];
    expect(await admin.type(setKey)).toBe('zset');
    const ttl = await admin.pttl(setKey);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await admin.get(headKey)).toBe('1');
    expect(await admin.pttl(headKey)).toBeGreaterThan(23 * 3600_000);
    await recent.close();
    await redisAdmin.deletePrefix(keyPrefix);
  });
});
