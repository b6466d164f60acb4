import { roomStateKeys } from '@roomcast/room-state';
import { infraEnv, uniqueId, useRedisAdmin } from '@roomcast/testing';
import Redis from 'ioredis';
import { describeShowcaseStoreContract } from '../src/showcase.contract';
import { DEFAULT_SOLD_OUT_LEASE_MS } from '../src/showcase';
import { RedisShowcaseStore } from '../src/showcase.redis';

const { redisUrl } = infraEnv();
const NOW = 1_700_000_000_000;
const redisAdmin = useRedisAdmin(() => new Redis(redisUrl));

describeShowcaseStoreContract('RedisShowcaseStore', async () => {
  const keyPrefix = `${uniqueId('show')}:`;
  const store = new RedisShowcaseStore({ redis: redisUrl, keyPrefix });
  const admin = redisAdmin.client();
  return {
    store,
    readState: async (roomId, key) => {
      const json = await admin.hget(roomStateKeys(keyPrefix, roomId).state, key);
      return json === null ? undefined : JSON.parse(json);
    },
    version: async (roomId) => Number((await admin.get(roomStateKeys(keyPrefix, roomId).version)) ?? 0),
    cleanup: async () => {
      await store.close();
      await redisAdmin.deletePrefix(keyPrefix);
    },
  };
});

describe('RedisShowcaseStore on real Redis', () => {
  it('keeps the sale in one hash and the buyers in a hash per product', async () => {
    const admin = redisAdmin.client();
    const keyPrefix = `${uniqueId('show')}:`;
    const store = new RedisShowcaseStore({ redis: admin, keyPrefix });
    await store.show('r:1', { productId: 'p.1', title: 'Tea', priceCents: 350, currency: 'GBP' }, 2, 'host-1');
    await store.buy('r:1', 'u:1', 'p.1', 2, NOW);
    expect(await admin.hgetall(`${keyPrefix}showcase:r:1`)).toEqual({
      pid: 'p.1',
      card: '{"productId":"p.1","title":"Tea","priceCents":350,"currency":"GBP"}',
      stock: '0',
      by: 'host-1',
      gen: '1',
      announced: '1',
      owed: String(NOW + DEFAULT_SOLD_OUT_LEASE_MS),
    });
    expect(await admin.hgetall(`${keyPrefix}showcase-buyers:r:1:p.1`)).toEqual({ 'u:1': '2' });
    await store.close();
    await redisAdmin.deletePrefix(keyPrefix);
  });

  it('maps an unreachable Redis to PRESENCE_UNAVAILABLE', async () => {
    const store = new RedisShowcaseStore({ redis: 'redis://127.0.0.1:1', keyPrefix: 'x:', commandTimeoutMs: 200 });
    try {
      await expect(store.buy('r', 'u', 'p', 1, NOW)).rejects.toMatchObject({ code: 'PRESENCE_UNAVAILABLE', retriable: true });
      expect(await store.healthy()).toBe(false);
    } finally {
      await store.close();
    }
  });
});
