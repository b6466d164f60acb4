import { createHash } from 'node:crypto';
import { AppError, type ErrorCode } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import Redis, { ReplyError, type RedisOptions } from 'ioredis';
import type { ClaimResult, RoomSequencer, SequencerBackend, SubmissionDeduper } from './sequencer';

/** Key prefix used when none is given. */
export const DEFAULT_SEQUENCER_KEY_PREFIX = 'rc:';
/** How long messageId -> seq is remembered for replays: 24 h. */
export const DEFAULT_ASSIGNMENT_TTL_MS = 24 * 60 * 60 * 1000;
/** Connect timeout of clients this backend creates from a URL. */
export const SEQUENCER_CONNECT_TIMEOUT_MS = 2000;
/** Default per-command timeout of clients this backend creates from a URL. */
export const SEQUENCER_COMMAND_TIMEOUT_MS = 2000;

export interface RedisSequencerBackendOptions {
  /**
   * An ioredis client (left open by `close()`, its owner closes it) or a `redis://` URL
   * (the backend creates, and on `close()` quits, its own client).
   */
  redis: Redis | string;
  /** Prepended to every key, so several backends (or tests) share one Redis. Default `rc:`. */
  keyPrefix?: string;
  /**
   * How long a messageId keeps its seq (ms). A record replayed after this gets a NEW seq, so it
   * must exceed the longest time a record can wait in Kafka before it is processed. Default 24 h.
   */
  assignmentTtlMs?: number;
  /** Per-command timeout when the backend creates the client from a URL. Default SEQUENCER_COMMAND_TIMEOUT_MS. */
  commandTimeoutMs?: number;
  /** Where connection errors are reported (warn, once per outage). */
  logger?: Logger;
}

// KEYS = seqKey1, msgKey1, seqKey2, msgKey2, ... ; ARGV[1] = assignment ttl ms.
// Items are handled in order inside one script, so a batch is atomic and ordered, and a replayed
// messageId (already in msgseq) gets its old number back without touching the room counter.
const ASSIGN = `local out = {}
for i = 1, #KEYS, 2 do
  local seq = redis.call('GET', KEYS[i + 1])
  if seq then
    seq = tonumber(seq)
  else
    seq = redis.call('INCR', KEYS[i])
    redis.call('SET', KEYS[i + 1], seq, 'PX', ARGV[1])
  end
  out[#out + 1] = seq
end
return out`;

// KEYS = dedup keys; ARGV[1] = ttl ms, ARGV[2i], ARGV[2i+1] = candidateId, source of KEYS[i].
// Value = candidateId .. "\n" .. source. Returns status1, id1, status2, id2, ...
const CLAIM = `local out = {}
for i = 1, #KEYS do
  local id = ARGV[2 * i]
  local source = ARGV[2 * i + 1]
  if redis.call('SET', KEYS[i], id .. '\\n' .. source, 'NX', 'PX', ARGV[1]) then
    out[#out + 1] = 'new'
    out[#out + 1] = id
  else
    local stored = redis.call('GET', KEYS[i])
    local sep = string.find(stored, '\\n', 1, true)
    local storedId = sep and string.sub(stored, 1, sep - 1) or stored
    local storedSource = sep and string.sub(stored, sep + 1) or ''
    if storedSource == source then out[#out + 1] = 'replay' else out[#out + 1] = 'duplicate' end
    out[#out + 1] = storedId
  end
end
return out`;

class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

const SCRIPTS = { assign: new LuaScript(ASSIGN), claim: new LuaScript(CLAIM) };

// Reply errors that mean "this server cannot serve right now" rather than "the command is wrong".
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b/;

// The sequencer is part of storing a message, and the error table has no sequencer-specific code.
const UNAVAILABLE_CODE: ErrorCode = 'STORE_UNAVAILABLE';

function isNoScript(err: unknown): boolean {
  return err instanceof ReplyError && (err as Error).message.startsWith('NOSCRIPT');
}

function isClaimStatus(s: unknown): s is ClaimResult['status'] {
  return s === 'new' || s === 'replay' || s === 'duplicate';
}

/**
 * Sequencer and deduper on Redis. Key layout (P = keyPrefix):
 * - `P` `sequencer:seq:` roomId                                   STRING last seq of the room, no TTL
 * - `P` `sequencer:msgseq:` messageId                             STRING seq of that message, PX assignmentTtlMs
 * - `P` `sequencer:dedup:` len(userId) `:` userId `:` clientMsgId  STRING candidateId "\n" source, PX claim ttl
 * userId is length-prefixed so ids containing ':' cannot make two (userId, clientMsgId) pairs share a key.
 */
export class RedisSequencerBackend implements SequencerBackend, RoomSequencer, SubmissionDeduper {
  readonly sequencer: RoomSequencer = this;
  readonly deduper: SubmissionDeduper = this;
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly assignmentTtlMs: number;
  private lastConnectionError: Error | undefined;

  constructor(options: RedisSequencerBackendOptions) {
    this.prefix = `${options.keyPrefix ?? DEFAULT_SEQUENCER_KEY_PREFIX}sequencer:`;
    this.assignmentTtlMs = options.assignmentTtlMs ?? DEFAULT_ASSIGNMENT_TTL_MS;
    if (typeof options.redis === 'string') {
      const clientOptions: RedisOptions = {
        connectTimeout: SEQUENCER_CONNECT_TIMEOUT_MS,
        commandTimeout: options.commandTimeoutMs ?? SEQUENCER_COMMAND_TIMEOUT_MS,
        // Fail a command after one reconnect attempt; the Kafka consumer retries with backoff.
        maxRetriesPerRequest: 1,
        // CLIENT SETINFO is rejected by Redis < 7.2 (the test infra runs 7.0), and ioredis keeps a
        // rejected command's commandTimeout timer alive, holding the process open for that long.
        disableClientInfo: true,
        // close() on a client that never connected (or lost its server) ends a socket that is already
        // closed; ioredis then waits this long for a 'close' that never comes (default 2 s).
        disconnectTimeout: 200,
      };
      this.redis = new Redis(options.redis, clientOptions);
      this.ownsClient = true;
    } else {
      this.redis = options.redis;
      this.ownsClient = false;
    }
    const logger = options.logger;
    // Kept as context for the next STORE_UNAVAILABLE; logged once per outage, not per retry.
    this.redis.on('error', (err: Error) => {
      if (this.lastConnectionError === undefined) logger?.warn({ err }, 'sequencer redis connection error');
      this.lastConnectionError = err;
    });
    this.redis.on('ready', () => {
      this.lastConnectionError = undefined;
    });
  }

  async assign(items: { roomId: string; messageId: string }[]): Promise<number[]> {
    if (items.length === 0) return [];
    const keys: string[] = [];
    for (const { roomId, messageId } of items) keys.push(this.seqKey(roomId), this.msgSeqKey(messageId));
    const reply = await this.call('assign', () => this.eval(SCRIPTS.assign, keys, [this.assignmentTtlMs]));
    const seqs = (reply as unknown[]).map(Number);
    if (seqs.length !== items.length || seqs.some((s) => !Number.isSafeInteger(s) || s < 1)) {
      throw new AppError(
        'INTERNAL',
        `sequencer assign returned an unexpected reply for ${items.length} items`,
      );
    }
    return seqs;
  }

  async current(roomId: string): Promise<number> {
    const value = await this.call('current', () => this.redis.get(this.seqKey(roomId)));
    return value === null ? 0 : Number(value);
  }

  async claim(
    items: { userId: string; clientMsgId: string; candidateId: string; source: string }[],
    ttlMs: number,
  ): Promise<ClaimResult[]> {
    if (items.length === 0) return [];
    const keys = items.map((i) => this.dedupKey(i.userId, i.clientMsgId));
    const args: (string | number)[] = [ttlMs];
    for (const { candidateId, source } of items) args.push(candidateId, source);
    const reply = (await this.call('claim', () => this.eval(SCRIPTS.claim, keys, args))) as unknown[];
    const results: ClaimResult[] = [];
    for (let i = 0; i < items.length; i++) {
      const status = reply[2 * i];
      const id = reply[2 * i + 1];
      if (!isClaimStatus(status) || typeof id !== 'string') {
        throw new AppError('INTERNAL', `sequencer claim returned an unexpected reply for item ${i}`);
      }
      results.push({ status, id });
    }
    return results;
  }

  async close(): Promise<void> {
    if (!this.ownsClient || this.redis.status === 'end') return;
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
      this.lastConnectionError = err instanceof Error ? err : new Error(String(err));
    }
  }

  private seqKey(roomId: string): string {
    return `${this.prefix}seq:${roomId}`;
  }

  private msgSeqKey(messageId: string): string {
    return `${this.prefix}msgseq:${messageId}`;
  }

  private dedupKey(userId: string, clientMsgId: string): string {
    return `${this.prefix}dedup:${userId.length}:${userId}:${clientMsgId}`;
  }

  /** EVALSHA, falling back to EVAL (which also caches the script) when the server lacks it. */
  private async eval(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return this.redis.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      const code: ErrorCode =
        !(err instanceof ReplyError) || UNAVAILABLE_REPLY.test(message) ? UNAVAILABLE_CODE : 'INTERNAL';
      throw new AppError(code, `sequencer ${op} failed: ${message}`, {
        cause: err,
        details: this.lastConnectionError ? { connectionError: this.lastConnectionError.message } : undefined,
      });
    }
  }
}
