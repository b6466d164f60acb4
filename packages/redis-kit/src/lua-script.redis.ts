import { createHash } from 'node:crypto';
import { ReplyError, type Redis } from 'ioredis';

/** A Lua script and its SHA1, computed once, for EVALSHA. */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

/** True for the reply Redis gives to EVALSHA of a script it does not have cached. */
export function isNoScript(err: unknown): boolean {
  return err instanceof ReplyError && (err as Error).message.startsWith('NOSCRIPT');
}

/** EVALSHA, falling back to EVAL (which also caches the script) when the server lacks it. */
export async function evalScript(
  redis: Redis,
  script: LuaScript,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!isNoScript(err)) throw err;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}
