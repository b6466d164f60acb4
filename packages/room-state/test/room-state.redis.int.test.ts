import { evalScript, LuaScript } from '@roomcast/redis-kit';
import { infraEnv, uniqueId, useRedisAdmin } from '@roomcast/testing';
import Redis from 'ioredis';
import { roomStateKeys, stateWriteLua } from '../src/room-state';
import { RedisRoomStateReader } from '../src/room-state.redis';

const { redisUrl } = infraEnv();
const redisAdmin = useRedisAdmin(() => new Redis(redisUrl));

describe('RedisRoomStateReader', () => {
  it('reads what a writer script rendered with stateWriteLua: versions in one MGET, a room in one HGETALL', async () => {
    const admin = redisAdmin.client();
    const keyPrefix = `${uniqueId('rs')}:`;
    const reader = new RedisRoomStateReader({ redis: redisUrl, keyPrefix });
    const { state, version } = roomStateKeys(keyPrefix, 'r1');
    // KEYS[1] state hash, KEYS[2] version; ARGV[1] field, ARGV[2] json
    const script = new LuaScript(stateWriteLua('KEYS[1]', 'KEYS[2]', 'ARGV[1]', 'ARGV[2]'));
    await evalScript(admin, script, [state, version], ['pinned', '{"text":"hi","by":"h","at":1}']);
    await evalScript(admin, script, [state, version], ['poll', 'null']);
    expect(await reader.versions(['r1', 'r2'])).toEqual([2, 0]);
    expect(await reader.snapshot('r1')).toEqual({ pinned: '{"text":"hi","by":"h","at":1}', poll: 'null' });
    expect(await reader.snapshot('r2')).toEqual({});
    expect(await reader.healthy()).toBe(true);
    await reader.close();
    await redisAdmin.deletePrefix(keyPrefix);
  });
});
