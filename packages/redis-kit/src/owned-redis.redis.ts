import { AppError, type ErrorCode } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import Redis, { ReplyError, type RedisOptions } from 'ioredis';
import { evalScript, type LuaScript } from './lua-script.redis';

/** The options every Redis adapter takes (an adapter may add its own). */
export interface RedisAdapterOptions {
  /**
   * An ioredis client (left open by `close()`, its owner closes it) or a `redis://` URL
   * (the adapter creates, and on `close()` quits, its own client).
   */
  redis: Redis | string;
  /** Prepended to every key, so several adapters (or tests) share one Redis. Default `rc:`. */
  keyPrefix?: string;
  /** Per-command timeout when the adapter creates the client from a URL, in ms. Default: the adapter's. */
  commandTimeoutMs?: number;
  /** Where connection errors are reported (warn, once per outage). */
  logger?: Logger;
}

export interface OwnedRedisOptions {
  /** Names the adapter in log lines and error messages, e.g. `presence`. */
  name: string;
  /** Connect timeout of a client created from a URL, in ms. */
  connectTimeoutMs: number;
  /** Per-command timeout of a client created from a URL, in ms. */
  commandTimeoutMs: number;
  /** The code of errors that mean "Redis cannot serve right now" (retriable in the error table). */
  unavailableCode: ErrorCode;
  /** Where connection errors are reported (warn, once per outage). */
  logger?: Logger;
}

/** An ioredis client plus what the adapters keep about it; see `createOwnedRedis`. */
export interface OwnedRedis {
  readonly redis: Redis;
  /** True when the client was created from a URL here, so `close()` quits it. */
  readonly owned: boolean;
  /** The last connection error since the client was last ready, if any. */
  lastError(): Error | undefined;
  /** Keeps `err` as the connection error reported with the next failure. */
  recordError(err: unknown): void;
  /** Runs `fn`, turning what it throws into an AppError (see `toAppError`). */
  call<T>(op: string, fn: () => Promise<T>): Promise<T>;
  /** `evalScript` on this client: EVALSHA, and EVAL when the server lacks the script. */
  eval(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown>;
  /**
   * AppErrors pass through; anything but a Redis reply error, and the replies that mean the server
   * is busy (LOADING, BUSY, MASTERDOWN, READONLY, TRYAGAIN, CLUSTERDOWN), become `unavailableCode`;
   * other replies (a wrong command) INTERNAL. Message `<name> <op> failed: ...`, with `cause` and the
   * last connection error in `details.connectionError`.
   */
  toAppError(err: unknown, op: string): AppError;
  /** PING answered PONG; a failure is kept as the connection error (recordError) and answers false. */
  healthy(): Promise<boolean>;
  /** Quits an owned client (disconnects it when not connected); leaves an injected one open. */
  close(): Promise<void>;
}

// Reply errors that mean "this server cannot serve right now" rather than "the command is wrong".
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * Wraps `redis`: an ioredis client (left open by `close()`, its owner closes it) or a `redis://`
 * URL (a client is created with fail-fast options, and quit by `close()`).
 */
export function createOwnedRedis(redis: Redis | string, options: OwnedRedisOptions): OwnedRedis {
  return new OwnedRedisClient(redis, options);
}

class OwnedRedisClient implements OwnedRedis {
  readonly redis: Redis;
  readonly owned: boolean;
  private lastConnectionError: Error | undefined;

  constructor(
    redis: Redis | string,
    private readonly options: OwnedRedisOptions,
  ) {
    if (typeof redis === 'string') {
      const clientOptions: RedisOptions = {
        connectTimeout: options.connectTimeoutMs,
        commandTimeout: options.commandTimeoutMs,
        // Fail a command after one reconnect attempt instead of queueing it for ~20; the callers
        // (a hot path, or a Kafka consumer that retries with backoff) do better failing fast.
        maxRetriesPerRequest: 1,
        // CLIENT SETINFO is rejected by Redis < 7.2 (the test infra runs 7.0), and ioredis keeps a
        // rejected command's commandTimeout timer alive, holding the process open for that long.
        disableClientInfo: true,
        // close() on a client that never connected (or lost its server) ends a socket that is already
        // closed; ioredis then waits this long for a 'close' that never comes (default 2 s).
        disconnectTimeout: 200,
      };
      this.redis = new Redis(redis, clientOptions);
      this.owned = true;
    } else {
      this.redis = redis;
      this.owned = false;
    }
    const { logger, name } = options;
    // Kept as context for the next failure; logged once per outage, not per retry.
    this.redis.on('error', (err: Error) => {
      if (this.lastConnectionError === undefined) logger?.warn({ err }, `${name} redis connection error`);
      this.lastConnectionError = err;
    });
    this.redis.on('ready', () => {
      this.lastConnectionError = undefined;
    });
  }

  lastError(): Error | undefined {
    return this.lastConnectionError;
  }

  recordError(err: unknown): void {
    this.lastConnectionError = err instanceof Error ? err : new Error(String(err));
  }

  async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.toAppError(err, op);
    }
  }

  eval(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return evalScript(this.redis, script, keys, args);
  }

  toAppError(err: unknown, op: string): AppError {
    if (err instanceof AppError) return err;
    const message = err instanceof Error ? err.message : String(err);
    const code: ErrorCode =
      !(err instanceof ReplyError) || UNAVAILABLE_REPLY.test(message)
        ? this.options.unavailableCode
        : 'INTERNAL';
    return new AppError(code, `${this.options.name} ${op} failed: ${message}`, {
      cause: err,
      details: this.lastConnectionError ? { connectionError: this.lastConnectionError.message } : undefined,
    });
  }

  async healthy(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch (err) {
      this.recordError(err);
      return false;
    }
  }

  async close(): Promise<void> {
    if (!this.owned || this.redis.status === 'end') return;
    if (this.redis.status !== 'ready') {
      // Not connected (yet, or any more): QUIT would wait for a reconnect that may never come.
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch (err) {
      // quit() fails when the connection dropped meanwhile; nothing is left to release.
      this.redis.disconnect();
      this.recordError(err);
    }
  }
}
