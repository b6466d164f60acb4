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

  it("markDeleted swaps the member in place: the ZSET keeps its TTL, even when it is the only member", async () => {
    const keyPrefix = `${uniqueId('recent')}:`;
    const admin = redisAdmin.client();
    const recent = new RedisRecentMessages({ redis: admin, keyPrefix, ttlMs: 60_000 });
    const data = JSON.stringify({ id: 'm1', roomId: 'r', seq: 1, userId: 'u', clientMsgId: 'c', text: 'hi', masked: false, sentAt: 1, acceptedAt: 2 });
    await recent.append([{ roomId: 'r', seq: 1, data }]);
    const setKey = `${keyPrefix}sequencer:recent:r`;
    // Lower the TTL by hand: a markDeleted that restarted it (or recreated the key) would show.
    await admin.pexpire(setKey, 30_000);

    await expect(recent.markDeleted('r', 1)).resolves.toBe(true);

    const ttl = await admin.pttl(setKey);
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    const members = await admin.zrange(setKey, 0, -1, 'WITHSCORES');
    expect(members).toHaveLength(2);
    expect(members[1]).toBe('1');
    expect(JSON.parse(members[0]!)).toMatchObject({ id: 'm1', seq: 1, text: '', deleted: true });
    await recent.close();
    await redisAdmin.deletePrefix(keyPrefix);
  });
});
