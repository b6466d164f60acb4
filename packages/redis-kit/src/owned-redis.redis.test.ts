import { createHash } from 'node:crypto';
import { AppError } from '@roomcast/errors';
import { silentLogger } from '@roomcast/logger';
import Redis, { ReplyError } from 'ioredis';
import { LuaScript, isNoScript } from './lua-script.redis';
import { createOwnedRedis, type OwnedRedisOptions } from './owned-redis.redis';

const options: OwnedRedisOptions = {
  name: 'thing',
  connectTimeoutMs: 200,
  // ioredis leaves a failed command's timeout timer running; keep it short so jest exits promptly
  commandTimeoutMs: 200,
  unavailableCode: 'PRESENCE_UNAVAILABLE',
};

describe('createOwnedRedis', () => {
  it('maps reply errors: busy-server replies and non-reply errors are unavailable, others INTERNAL', () => {
    const injected = new Redis({ lazyConnect: true });
    const owned = createOwnedRedis(injected, options);
    try {
      const busy = owned.toAppError(new ReplyError('LOADING Redis is loading the dataset'), 'get');
      expect(busy).toBeInstanceOf(AppError);
      expect(busy.code).toBe('PRESENCE_UNAVAILABLE');
      expect(busy.retriable).toBe(true);
      expect(busy.message).toBe('thing get failed: LOADING Redis is loading the dataset');

      const wrong = owned.toAppError(new ReplyError('ERR wrong number of arguments'), 'set');
      expect(wrong.code).toBe('INTERNAL');
      expect(wrong.cause).toBeInstanceOf(ReplyError);

      const socket = owned.toAppError(new Error('Connection is closed.'), 'get');
      expect(socket.code).toBe('PRESENCE_UNAVAILABLE');
      expect(socket.details).toBeUndefined();

      const original = new AppError('INTERNAL', 'already mapped');
      expect(owned.toAppError(original, 'get')).toBe(original);

      owned.recordError(new Error('ECONNREFUSED'));
      expect(owned.lastError()?.message).toBe('ECONNREFUSED');
      expect(owned.toAppError(new Error('x'), 'get').details).toEqual({ connectionError: 'ECONNREFUSED' });
    } finally {
      injected.disconnect();
    }
  });

  it('leaves an injected client open on close()', async () => {
    const injected = new Redis({ lazyConnect: true });
    const owned = createOwnedRedis(injected, options);
    expect(owned.owned).toBe(false);
    expect(owned.redis).toBe(injected);
    await owned.close();
    expect(injected.status).toBe('wait');
    injected.disconnect();
  });

  it('creates its own client from a URL, maps a refused connection, and warns once per outage', async () => {
    const warnings: unknown[] = [];
    const logger = silentLogger();
    jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args));
    // port 1: nothing listens there, so every connect is refused
    const owned = createOwnedRedis('redis://127.0.0.1:1', {
      ...options,
      unavailableCode: 'STORE_UNAVAILABLE',
      logger,
    });
    expect(owned.owned).toBe(true);
    try {
      for (let i = 0; i < 2; i++) {
        const err: unknown = await owned
          .call('get', () => owned.redis.get('k'))
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('STORE_UNAVAILABLE');
        expect((err as AppError).message).toMatch(/^thing get failed: /);
      }
      // node's socket errors come from another realm than jest's Error: compare messages
      expect(owned.lastError()?.message).toMatch(/ECONNREFUSED/);
      expect(warnings).toHaveLength(1);
      const [fields, message] = warnings[0] as [{ err: Error }, string];
      expect(fields.err.message).toMatch(/ECONNREFUSED/);
      expect(message).toBe('thing redis connection error');
      // healthy(): false, and its failure kept as the connection error of the next report
      await expect(owned.healthy()).resolves.toBe(false);
      expect(owned.lastError()?.message).toMatch(/max retries per request/);
    } finally {
      await owned.close();
    }
  });
});

describe('LuaScript', () => {
  it('carries the SHA1 that EVALSHA expects', () => {
    const script = new LuaScript('return 1');
    expect(script.sha).toBe(createHash('sha1').update('return 1').digest('hex'));
  });

  it('recognises only the NOSCRIPT reply', () => {
    expect(isNoScript(new ReplyError('NOSCRIPT No matching script. Please use EVAL.'))).toBe(true);
    expect(isNoScript(new ReplyError('ERR unknown command'))).toBe(false);
    expect(isNoScript(new Error('NOSCRIPT but not a reply'))).toBe(false);
  });
});
