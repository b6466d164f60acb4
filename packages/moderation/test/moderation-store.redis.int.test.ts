import { infraEnv, uniqueId, useRedisAdmin } from '@roomcast/testing';
import Redis from 'ioredis';
import { describeModerationStoreContract } from '../src/moderation-store.contract';
import { RedisModerationStore } from '../src/moderation-store.redis';

const { redisUrl } = infraEnv();
const redisAdmin = useRedisAdmin(() => new Redis(redisUrl));

describeModerationStoreContract('RedisModerationStore', async () => {
  const keyPrefix = `${uniqueId('mod')}:`;
  const store = new RedisModerationStore({ redis: redisUrl, keyPrefix });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await redisAdmin.deletePrefix(keyPrefix);
    },
  };
});

describe('RedisModerationStore on real Redis', () => {
  it('keeps a room in one hash without a TTL (a ban outlives quiet periods) and slow slots as PX keys', async () => {
    const admin = redisAdmin.client();
    const keyPrefix = `${uniqueId('mod')}:`;
    const store = new RedisModerationStore({ redis: admin, keyPrefix });
    await store.apply('r:1', { kind: 'ban', userId: 'u:1' });
    await store.apply('r:1', { kind: 'slow-mode', intervalMs: 2000 });
    await store.takeSlowSlot('r:1', 'u:2', 60_000);
    expect(await admin.hgetall(`${keyPrefix}mod:r:1`)).toEqual({ 'ban:u:1': 'forever', slow: '2000' });
    expect(await admin.pttl(`${keyPrefix}mod:r:1`)).toBe(-1);
    const slotTtl = await admin.pttl(`${keyPrefix}mod-slow:r:1:u:2`);
    expect(slotTtl).toBeGreaterThan(50_000);
    await store.close();
    await redisAdmin.deletePrefix(keyPrefix);
  });

  it('maps an unreachable Redis to PRESENCE_UNAVAILABLE', async () => {
    const store = new RedisModerationStore({
      redis: 'redis://127.0.0.1:1',
      keyPrefix: 'x:',
      commandTimeoutMs: 200,
    });
    try {
      await expect(store.state('r')).rejects.toMatchObject({ code: 'PRESENCE_UNAVAILABLE', retriable: true });
      expect(await store.healthy()).toBe(false);
    } finally {
      await store.close();
    }
  });
});
