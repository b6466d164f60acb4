import { AppError } from '@roomcast/errors';
import { infraEnv, uniqueId, useRedisAdmin } from '@roomcast/testing';
import Redis from 'ioredis';
import { describePresenceStoreContract } from '../src/presence-store.contract';
import { RedisPresenceStore } from '../src/presence-store.redis';

const { redisUrl } = infraEnv();
const redisAdmin = useRedisAdmin(() => new Redis(redisUrl));
const deletePrefix = redisAdmin.deletePrefix;

describePresenceStoreContract('RedisPresenceStore', async () => {
  const keyPrefix = `${uniqueId('presence')}:`;
  const store = new RedisPresenceStore({ redis: redisUrl, keyPrefix });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await deletePrefix(keyPrefix);
    },
  };
});

describe('RedisPresenceStore on real Redis', () => {
  it('writes only the documented keys under its prefix, with the documented TTLs', async () => {
    const admin = redisAdmin.client();
    const keyPrefix = `${uniqueId('presence')}:`;
    // an injected client is shared, not closed by the store
    const store = new RedisPresenceStore({ redis: admin, keyPrefix, likesTtlMs: 120_000 });
    await store.setUserGateway('u:1', 'gw-a', 60_000);
    await store.touchRoomGateways(['r:1'], 'gw-a', 60_000);
    await store.reportOnline('gw-a', new Map([['r:1', 3]]), 60_000);
    await store.addLikes(new Map([['r:1', 2]]));
    expect(await store.admitConnection('user', 'u:1', 'gw-a', 10, 60_000)).toBe(true);
    await store.reportConnections('gw-b', { user: new Map(), ip: new Map([['2001:db8::1', 2]]) }, 60_000);
    await store.close();
    expect(await admin.ping()).toBe('PONG');

    const p = `${keyPrefix}presence:`;
    expect((await admin.keys(`${keyPrefix}*`)).sort()).toEqual(
      [
        `${p}likes:r:1`,
        `${p}online:r:1`,
        `${p}room-gw:r:1`,
        `${p}user:u:1`,
        `${p}conns:user:u:1`,
        `${p}conns:ip:2001:db8::1`,
      ].sort(),
    );
    expect(await admin.get(`${p}user:u:1`)).toBe('gw-a');
    expect(await admin.type(`${p}room-gw:r:1`)).toBe('zset');
    expect(await admin.type(`${p}online:r:1`)).toBe('hash');
    expect(await admin.hget(`${p}online:r:1`, 'gw-a')).toMatch(/^3:\d{13}$/);
    expect(await admin.get(`${p}likes:r:1`)).toBe('2');
    expect(await admin.hget(`${p}conns:user:u:1`, 'gw-a')).toMatch(/^1:\d{13}$/);
    expect(await admin.hget(`${p}conns:ip:2001:db8::1`, 'gw-b')).toMatch(/^2:\d{13}$/);
    for (const kind of ['user:u:1', 'room-gw:r:1', 'online:r:1', 'conns:user:u:1', 'conns:ip:2001:db8::1']) {
      const pttl = await admin.pttl(`${p}${kind}`);
      expect(pttl).toBeGreaterThan(50_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
    }
    // A room's like total expires after its last like, not never.
    const likesTtl = await admin.pttl(`${p}likes:r:1`);
    expect(likesTtl).toBeGreaterThan(110_000);
    expect(likesTtl).toBeLessThanOrEqual(120_000);
    await deletePrefix(keyPrefix);
  });

  it('maps an unreachable Redis to PRESENCE_UNAVAILABLE and reports unhealthy', async () => {
    // port 1: nothing listens there, so every connect is refused
    const store = new RedisPresenceStore({
      redis: 'redis://127.0.0.1:1',
      keyPrefix: `${uniqueId('presence')}:`,
      // ioredis leaves a failed command's timeout timer running; keep it short so jest exits promptly
      commandTimeoutMs: 200,
    });
    try {
      const err: unknown = await store.getUserGateway('u1').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('PRESENCE_UNAVAILABLE');
      expect((err as AppError).retriable).toBe(true);
      await expect(store.reportOnline('gw-a', new Map([['r1', 1]]), 1000)).rejects.toMatchObject({
        code: 'PRESENCE_UNAVAILABLE',
      });
      await expect(store.admitConnection('user', 'u1', 'gw-a', 10, 1000)).rejects.toMatchObject({
        code: 'PRESENCE_UNAVAILABLE',
      });
      expect(await store.healthy()).toBe(false);
    } finally {
      await store.close();
    }
  });
});
