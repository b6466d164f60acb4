import { AppError } from '@roomcast/errors';
import { LuaScript, createOwnedRedis, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import type Redis from 'ioredis';
import type { ClaimResult, RoomSequencer, SequencerBackend, SubmissionDeduper } from './sequencer';

/** Key prefix used when none is given. */
export const DEFAULT_SEQUENCER_KEY_PREFIX = 'rc:';
/** How long messageId -> seq is remembered for replays: 24 h. */
export const DEFAULT_ASSIGNMENT_TTL_MS = 24 * 60 * 60 * 1000;
/** Connect timeout of clients this backend creates from a URL. */
export const SEQUENCER_CONNECT_TIMEOUT_MS = 2000;
/** Default per-command timeout of clients this backend creates from a URL. */
export const SEQUENCER_COMMAND_TIMEOUT_MS = 2000;

/**
 * `redis` (client or URL), `keyPrefix?` (default `rc:`), `commandTimeoutMs?` (default
 * SEQUENCER_COMMAND_TIMEOUT_MS), `logger?` (see RedisAdapterOptions), and `assignmentTtlMs?`.
 */
export interface RedisSequencerBackendOptions extends RedisAdapterOptions {
  /**
   * How long a messageId keeps its seq (ms). A record replayed after this gets a NEW seq, so it
   * must exceed the longest time a record can wait in Kafka before it is processed. Default 24 h.
   */
  assignmentTtlMs?: number;
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

const SCRIPTS = { assign: new LuaScript(ASSIGN), claim: new LuaScript(CLAIM) };

/** The sequencer's Redis keys under `keyPrefix` (layout in RedisSequencerBackend's doc comment). */
export function sequencerKeys(keyPrefix: string) {
  const p = `${keyPrefix}sequencer:`;
  return {
    seq: (roomId: string) => `${p}seq:${roomId}`,
    msgSeq: (messageId: string) => `${p}msgseq:${messageId}`,
    dedup: (userId: string, clientMsgId: string) => `${p}dedup:${userId.length}:${userId}:${clientMsgId}`,
    /** RedisRecentMessages (recent-messages.redis.ts). */
    recent: (roomId: string) => `${p}recent:${roomId}`,
    recentHead: (roomId: string) => `${p}recent-head:${roomId}`,
    userNotices: (userId: string) => `${p}user-notices:${userId.length}:${userId}`,
  };
}

function isClaimStatus(s: unknown): s is ClaimResult['status'] {
  return s === 'new' || s === 'replay' || s === 'duplicate';
}

/**
 * Sequencer and deduper on Redis. Key layout (P = keyPrefix):
 * - `P` `sequencer:seq:` roomId                                   STRING last seq of the room, no TTL
 * - `P` `sequencer:msgseq:` messageId                             STRING seq of that message, PX assignmentTtlMs
 * - `P` `sequencer:dedup:` len(userId) `:` userId `:` clientMsgId  STRING candidateId "\n" source, PX claim ttl
 * - `P` `sequencer:recent:` roomId, `sequencer:recent-head:` roomId  RedisRecentMessages (recent-messages.redis.ts)
 * userId is length-prefixed so ids containing ':' cannot make two (userId, clientMsgId) pairs share a key.
 */
export class RedisSequencerBackend implements SequencerBackend, RoomSequencer, SubmissionDeduper {
  readonly sequencer: RoomSequencer = this;
  readonly deduper: SubmissionDeduper = this;
  private readonly client: OwnedRedis;
  private readonly redis: Redis;
  private readonly keys: ReturnType<typeof sequencerKeys>;
  private readonly assignmentTtlMs: number;

  constructor(options: RedisSequencerBackendOptions) {
    this.keys = sequencerKeys(options.keyPrefix ?? DEFAULT_SEQUENCER_KEY_PREFIX);
    this.assignmentTtlMs = options.assignmentTtlMs ?? DEFAULT_ASSIGNMENT_TTL_MS;
    // Fail fast: the Kafka consumer retries with backoff. Connection errors are kept as context for
    // the next STORE_UNAVAILABLE, and logged once per outage, not per retry.
    this.client = createOwnedRedis(options.redis, {
      name: 'sequencer',
      connectTimeoutMs: SEQUENCER_CONNECT_TIMEOUT_MS,
      commandTimeoutMs: options.commandTimeoutMs ?? SEQUENCER_COMMAND_TIMEOUT_MS,
      // The sequencer is part of storing a message, and the error table has no sequencer-specific code.
      unavailableCode: 'STORE_UNAVAILABLE',
      logger: options.logger,
    });
    this.redis = this.client.redis;
  }

  async assign(items: { roomId: string; messageId: string }[]): Promise<number[]> {
    if (items.length === 0) return [];
    const keys: string[] = [];
    for (const { roomId, messageId } of items) keys.push(this.keys.seq(roomId), this.keys.msgSeq(messageId));
    const reply = await this.client.call('assign', () =>
      this.client.eval(SCRIPTS.assign, keys, [this.assignmentTtlMs]),
    );
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
    const value = await this.client.call('current', () => this.redis.get(this.keys.seq(roomId)));
    return value === null ? 0 : Number(value);
  }

  async claim(
    items: { userId: string; clientMsgId: string; candidateId: string; source: string }[],
    ttlMs: number,
  ): Promise<ClaimResult[]> {
    if (items.length === 0) return [];
    const keys = items.map((i) => this.keys.dedup(i.userId, i.clientMsgId));
    const args: (string | number)[] = [ttlMs];
    for (const { candidateId, source } of items) args.push(candidateId, source);
    const reply = (await this.client.call('claim', () =>
      this.client.eval(SCRIPTS.claim, keys, args),
    )) as unknown[];
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

  close(): Promise<void> {
    return this.client.close();
  }
}
