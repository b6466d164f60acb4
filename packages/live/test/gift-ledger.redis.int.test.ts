import { roomStateKeys } from '@roomcast/room-state';
import { infraEnv, uniqueId, useRedisAdmin } from '@roomcast/testing';
import Redis from 'ioredis';
import { CONTRACT_COMBO_WINDOW_MS, describeGiftLedgerContract } from '../src/gift-ledger.contract';
import { RedisGiftLedger } from '../src/gift-ledger.redis';

const { redisUrl } = infraEnv();
const redisAdmin = useRedisAdmin(() => new Redis(redisUrl));

describeGiftLedgerContract('RedisGiftLedger', async () => {
  const keyPrefix = `${uniqueId('gifts')}:`;
  const ledger = new RedisGiftLedger({ redis: redisUrl, keyPrefix, comboWindowMs: CONTRACT_COMBO_WINDOW_MS });
  const admin = redisAdmin.client();
  return {
    ledger,
    rendered: async (roomId) => {
      const keys = roomStateKeys(keyPrefix, roomId);
      const text = await admin.hget(keys.state, 'leaderboard');
      return { value: text === null ? undefined : JSON.parse(text), version: Number((await admin.get(keys.version)) ?? 0) };
    },
    cleanup: async () => {
      await ledger.close();
      await redisAdmin.deletePrefix(keyPrefix);
    },
  };
});

describe('RedisGiftLedger on real Redis', () => {
  it('writes only the documented keys, with their TTLs', async () => {
    const admin = redisAdmin.client();
    const keyPrefix = `${uniqueId('gifts')}:`;
    const ledger = new RedisGiftLedger({ redis: admin, keyPrefix, comboWindowMs: 3000, seenTtlMs: 100_000, boardTtlMs: 200_000 });
    await ledger.record([{ messageId: 'm1', roomId: 'r:1', userId: 'u:1', giftId: 'rose', count: 2, value: 2, at: Date.now() }]);
    await ledger.close();
    expect(await admin.ping()).toBe('PONG');
    const p = keyPrefix;
    expect((await admin.keys(`${p}*`)).sort()).toEqual(
      [`${p}gift:seen:m1`, `${p}gift:combo:r:1|rose|u:1`, `${p}gift:board:r:1`, `${p}room-state:r:1`, `${p}room-state-v:r:1`].sort(),
    );
    expect(await admin.get(`${p}gift:seen:m1`)).toBe('m1\n2');
    expect(await admin.zscore(`${p}gift:board:r:1`, 'u:1')).toBe('2');
    const ttl = async (key: string): Promise<number> => admin.pttl(`${p}${key}`);
    expect(await ttl('gift:seen:m1')).toBeGreaterThan(90_000);
    expect(await ttl('gift:seen:m1')).toBeLessThanOrEqual(100_000);
    expect(await ttl('gift:board:r:1')).toBeGreaterThan(190_000);
    expect(await ttl('gift:combo:r:1|rose|u:1')).toBeLessThanOrEqual(63_000);
    expect(await ttl('gift:combo:r:1|rose|u:1')).toBeGreaterThan(50_000);
    await redisAdmin.deletePrefix(keyPrefix);
  });
});
