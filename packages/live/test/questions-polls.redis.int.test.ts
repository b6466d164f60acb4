import { ROOM_STATE_SCHEMAS } from '@roomcast/contracts';
import { RedisRoomStateReader } from '@roomcast/room-state';
import { infraEnv, uniqueId, useRedisAdmin } from '@roomcast/testing';
import Redis from 'ioredis';
import { describePollBoxContract } from '../src/polls.contract';
import { RedisPollBox } from '../src/polls.redis';
import { describeQuestionBoardContract } from '../src/questions.contract';
import { RedisQuestionBoard } from '../src/questions.redis';

const { redisUrl } = infraEnv();
const redisAdmin = useRedisAdmin(() => new Redis(redisUrl));

/** Reads the room state as the gateways do, checked against the contract's schema. */
function stateOf(keyPrefix: string) {
  const reader = new RedisRoomStateReader({ redis: redisAdmin.client(), keyPrefix });
  return {
    reader,
    async questions(roomId: string) {
      const text = (await reader.snapshot(roomId)).questions;
      return text === undefined ? undefined : ROOM_STATE_SCHEMAS.questions.parse(JSON.parse(text));
    },
    async poll(roomId: string) {
      const text = (await reader.snapshot(roomId)).poll;
      return text === undefined ? undefined : ROOM_STATE_SCHEMAS.poll.parse(JSON.parse(text));
    },
  };
}

describeQuestionBoardContract('RedisQuestionBoard', async () => {
  const keyPrefix = `${uniqueId('qa')}:`;
  const board = new RedisQuestionBoard({ redis: redisUrl, keyPrefix });
  const state = stateOf(keyPrefix);
  return {
    board,
    rendered: (roomId) => state.questions(roomId),
    version: async (roomId) => (await state.reader.versions([roomId]))[0] ?? 0,
    cleanup: async () => {
      await board.close();
      await redisAdmin.deletePrefix(keyPrefix);
    },
  };
});

describePollBoxContract('RedisPollBox', async () => {
  const keyPrefix = `${uniqueId('poll')}:`;
  const box = new RedisPollBox({ redis: redisUrl, keyPrefix });
  const state = stateOf(keyPrefix);
  return {
    box,
    rendered: (roomId) => state.poll(roomId),
    cleanup: async () => {
      await box.close();
      await redisAdmin.deletePrefix(keyPrefix);
    },
  };
});

describe('Q&A and polls on real Redis', () => {
  it('keeps their keys under the prefix with a TTL', async () => {
    const admin = redisAdmin.client();
    const keyPrefix = `${uniqueId('qp')}:`;
    const board = new RedisQuestionBoard({ redis: admin, keyPrefix, ttlMs: 60_000 });
    const box = new RedisPollBox({ redis: admin, keyPrefix, ttlMs: 60_000 });
    await board.add('r', [{ seq: 1, userId: 'u', text: 'hi?', at: 1 }]);
    await board.upvote('r', 1, 'v');
    await box.open('r', { pollId: 'p', question: 'q', options: ['a', 'b'], by: 'h' }, Date.now());
    await box.vote('r', 'p', 'v', 0, Date.now());
    for (const key of ['qa:r', 'qa-rank:r', 'qa-voters:r', 'poll:r', 'poll-voters:r']) {
      const ttl = await admin.pttl(`${keyPrefix}${key}`);
      expect([key, ttl > 50_000 && ttl <= 60_000]).toEqual([key, true]);
    }
    expect((await admin.keys(`${keyPrefix}*`)).sort()).toEqual(
      ['poll-voters:r', 'poll:r', 'qa-rank:r', 'qa-voters:r', 'qa:r', 'room-state-v:r', 'room-state:r'].map((k) => keyPrefix + k),
    );
    await redisAdmin.deletePrefix(keyPrefix);
  });
});
