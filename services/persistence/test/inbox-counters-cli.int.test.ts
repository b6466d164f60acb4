// `pnpm -s inbox-counters` as an operator runs it, against the real Mongo-wire server and Redis from
// scripts/infra.sh: an inbox written before the counters existed gets its counters.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { RedisInboxCounters } from '@roomcast/presence';
import { MongoInboxStore, type NewInboxEntry } from '@roomcast/store';
import { infraEnv, uniqueId } from '@roomcast/testing';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');
const { mongoUrl, redisUrl } = infraEnv();

const mention = (seq: number, userId: string): NewInboxEntry => ({
  userId,
  messageId: `m${seq}`,
  reason: 'mention',
  roomId: 'room-a',
  seq,
  fromUserId: 'zed',
  text: `hi @${userId}`,
  at: 1_764_000_000_000 + seq,
});

describe('inbox-counters (the CLI) on the real stores', () => {
  it('sets the Redis counters of every user with unread entries in MongoDB and prints what it did', async () => {
    const dbName = uniqueId('inboxcli').replace(/-/g, '_');
    const keyPrefix = `${uniqueId('ic')}:`;
    const inbox = new MongoInboxStore({ uri: mongoUrl, dbName });
    const counters = new RedisInboxCounters({ redis: redisUrl, keyPrefix });
    const admin = await new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 }).connect();
    try {
      await inbox.init();
      await inbox.add([mention(1, 'ann'), mention(2, 'bob'), mention(3, 'bob'), mention(4, 'carl')]);
      await inbox.markRead('carl', { all: true });
      await expect(counters.get(['ann', 'bob', 'carl'])).resolves.toEqual([0, 0, 0]);
      const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'services', 'persistence', 'src', 'inbox-counters-cli.ts')], {
        cwd: ROOT,
        env: { ...process.env, MONGO_URL: mongoUrl, MONGO_DB: dbName, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: keyPrefix },
        timeout: 60_000,
      });
      expect(JSON.parse(stdout)).toEqual({ users: 2, unread: 3 });
      await expect(counters.get(['ann', 'bob', 'carl'])).resolves.toEqual([1, 2, 0]);
    } finally {
      await inbox.close();
      for (const userId of ['ann', 'bob', 'carl']) await counters.set(userId, 0);
      await counters.close();
      await admin.db(dbName).dropDatabase();
      await admin.close();
    }
  }, 90_000);

  it('exits 1 with the problem on a bad configuration', async () => {
    const failed: unknown = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'services', 'persistence', 'src', 'inbox-counters-cli.ts')], {
      cwd: ROOT,
      env: { ...process.env, MONGO_URL: mongoUrl, REDIS_URL: 'not a url' },
      timeout: 60_000,
    }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('REDIS_URL') });
  }, 90_000);
});
