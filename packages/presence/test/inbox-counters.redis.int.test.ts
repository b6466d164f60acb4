import { infraEnv, uniqueId, useRedisAdmin } from '@roomcast/testing';
import Redis from 'ioredis';
import { describeInboxCountersContract } from '../src/inbox-counters.contract';
import { INBOX_COUNTER_TTL_MS, RedisInboxCounters } from '../src/inbox-counters.redis';

const { redisUrl } = infraEnv();
const redisAdmin = useRedisAdmin(() => new Redis(redisUrl));

describeInboxCountersContract('RedisInboxCounters', async () => {
  const keyPrefix = `${uniqueId('inboxc')}:`;
  const counters = new RedisInboxCounters({ redis: redisUrl, keyPrefix });
  return {
    counters,
    cleanup: async () => {
      await counters.close();
      await redisAdmin.deletePrefix(keyPrefix);
    },
  };
});

describe('RedisInboxCounters on real Redis', () => {
  it('writes `<prefix>inbox-unread:<userId>` with the TTL refreshed on every write, and DELs on 0', async () => {
    const admin = redisAdmin.client();
    const keyPrefix = `${uniqueId('inboxc')}:`;
    const counters = new RedisInboxCounters({ redis: admin, keyPrefix });
    await counters.add(new Map([['bob', 2]]));
    const key = `${keyPrefix}inbox-unread:bob`;
    await admin.pexpire(key, 5000);
    await counters.add(new Map([['bob', 1]]));
    expect(await admin.keys(`${keyPrefix}*`)).toEqual([key]);
    expect(await admin.get(key)).toBe('3');
    expect(await admin.pttl(key)).toBeGreaterThan(INBOX_COUNTER_TTL_MS - 60_000);
    await admin.pexpire(key, 5000);
    await counters.set('bob', 7);
    expect(await admin.get(key)).toBe('7');
    expect(await admin.pttl(key)).toBeGreaterThan(INBOX_COUNTER_TTL_MS - 60_000);
    await counters.set('bob', 0);
    expect(await admin.exists(key)).toBe(0);
    // an injected client is shared, not closed by the counters
    await counters.close();
    expect(await admin.ping()).toBe('PONG');
    await redisAdmin.deletePrefix(keyPrefix);
  });

  it('fails with PRESENCE_UNAVAILABLE when Redis cannot be reached', async () => {
    const counters = new RedisInboxCounters({
      redis: 'redis://127.0.0.1:1',
      keyPrefix: 'x:',
      commandTimeoutMs: 300,
    });
    await expect(counters.get(['bob'])).rejects.toMatchObject({ code: 'PRESENCE_UNAVAILABLE' });
    await counters.close();
  });
});
