import { AppError } from '@roomcast/errors';
import { LuaScript, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import { DEFAULT_ROOM_STATE_KEY_PREFIX, roomStateKeys, roomStateRedis, stateWriteLua } from '@roomcast/room-state';
import { DEFAULT_QUESTIONS_TTL_MS, QUESTIONS_SHOWN, type NewQuestion, type QuestionBoard, type QuestionMarks } from './questions';

// Every script below gets the same first five KEYS: [1] the room's questions hash, [2] its rank
// zset, [3] its voters set, [4] the room-state hash, [5] the room-state version; ARGV[1] = the
// keys' TTL in ms. A question is named by its seq zero-padded to 16 digits (`id`): the rank zset
// scores each id with MINUS its votes, so ZRANGE (ascending score, ties by member in byte order)
// is "most votes first, then the lowest seq" with no sorting in Lua. The hash holds, per id, the
// question's JSON up to its votes (`{"seq":..,"userId":..,"text":..`, encoded in TypeScript —
// lua-cjson would write a seq of more than 14 digits rounded) and the flags `<id>:a` and `<id>:h`.
// RENDER writes the room state `questions` and bumps its version (stateWriteLua).
const RENDER = `local top = redis.call('ZRANGE', KEYS[2], 0, ${QUESTIONS_SHOWN - 1}, 'WITHSCORES')
local items = {}
for i = 1, #top, 2 do
  local id = top[i]
  local head = redis.call('HGET', KEYS[1], id)
  if head then
    local a = redis.call('HGET', KEYS[1], id .. ':a') == '1' and 'true' or 'false'
    local h = redis.call('HGET', KEYS[1], id .. ':h') == '1' and 'true' or 'false'
    items[#items + 1] = head .. ',"votes":' .. string.format('%d', -tonumber(top[i + 1])) .. ',"answered":' .. a .. ',"highlighted":' .. h .. '}'
  end
end
local json = '{"items":[' .. table.concat(items, ',') .. ']}'
${stateWriteLua('KEYS[4]', 'KEYS[5]', "'questions'", 'json')}
for k = 1, 3 do redis.call('PEXPIRE', KEYS[k], ARGV[1]) end`;

// ARGV[2..] = id, head pairs. A question already on the board is skipped; renders only when one
// was added (a replayed batch writes nothing). Returns how many were added.
const ADD = `local added = 0
for i = 2, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[2], 0, ARGV[i])
    added = added + 1
  end
end
if added > 0 then
${RENDER}
end
return added`;

// A removed question keeps its id in the hash with an empty head (so a replayed ADD's HSETNX
// skips it) and leaves the rank zset; to UPVOTE and MARK it is no question.
const MISSING = `local head = redis.call('HGET', KEYS[1], ARGV[2])
if not head or head == '' then return -1 end`;

// ARGV[2] = id, ARGV[3] = userId. Returns -1 (no such question), 0 (this user voted already), 1.
const UPVOTE = `${MISSING}
if redis.call('SADD', KEYS[3], ARGV[2] .. ':' .. ARGV[3]) == 0 then return 0 end
redis.call('ZINCRBY', KEYS[2], -1, ARGV[2])
${RENDER}
return 1`;

// ARGV[2] = id, ARGV[3] = answered, ARGV[4] = highlighted ('1', '0', or '' = unchanged).
// Returns -1 (no such question) or 1.
const MARK = `${MISSING}
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], ARGV[2] .. ':a', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], ARGV[2] .. ':h', ARGV[4]) end
${RENDER}
return 1`;

// ARGV[2] = id. Returns -1 (not on the board, or removed already) or 1.
const REMOVE = `${MISSING}
redis.call('HSET', KEYS[1], ARGV[2], '')
redis.call('HDEL', KEYS[1], ARGV[2] .. ':a', ARGV[2] .. ':h')
redis.call('ZREM', KEYS[2], ARGV[2])
${RENDER}
return 1`;

const SCRIPTS = { add: new LuaScript(ADD), upvote: new LuaScript(UPVOTE), mark: new LuaScript(MARK), remove: new LuaScript(REMOVE) };

export interface RedisQuestionBoardOptions extends RedisAdapterOptions {
  /** How long a room's questions are kept after its last Q&A write, ms. Default DEFAULT_QUESTIONS_TTL_MS. */
  ttlMs?: number;
}

/** The seq as the board names it: zero-padded so that byte order is number order. */
function idOf(seq: number): string {
  return String(seq).padStart(16, '0');
}

const flag = (v: boolean | undefined): string => (v === undefined ? '' : v ? '1' : '0');

/**
 * QuestionBoard on Redis (key prefix shared with the room state the gateways read). Keys under
 * the prefix P: `P qa:<roomId>` (hash: question JSON heads and flags), `P qa-rank:<roomId>` (zset:
 * -votes per question), `P qa-voters:<roomId>` (set of `<id>:<userId>`); all PX ttlMs from the
 * room's last Q&A write. Each write is one script that also renders the room state `questions`.
 */
export class RedisQuestionBoard implements QuestionBoard {
  private readonly client: OwnedRedis;
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(options: RedisQuestionBoardOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_ROOM_STATE_KEY_PREFIX;
    this.ttlMs = options.ttlMs ?? DEFAULT_QUESTIONS_TTL_MS;
    this.client = roomStateRedis(options, 'questions');
  }

  private keys(roomId: string): string[] {
    const state = roomStateKeys(this.prefix, roomId);
    return [`${this.prefix}qa:${roomId}`, `${this.prefix}qa-rank:${roomId}`, `${this.prefix}qa-voters:${roomId}`, state.state, state.version];
  }

  async add(roomId: string, questions: readonly NewQuestion[]): Promise<void> {
    if (questions.length === 0) return;
    const args: (string | number)[] = [this.ttlMs];
    for (const q of questions) {
      const head = JSON.stringify({ seq: q.seq, userId: q.userId, text: q.text });
      args.push(idOf(q.seq), head.slice(0, -1));
    }
    await this.client.call('questions.add', () => this.client.eval(SCRIPTS.add, this.keys(roomId), args));
  }

  async upvote(roomId: string, seq: number, userId: string): Promise<{ counted: boolean }> {
    const r = await this.client.call('questions.upvote', () => this.client.eval(SCRIPTS.upvote, this.keys(roomId), [this.ttlMs, idOf(seq), userId]));
    if (r === -1) throw new AppError('NOT_FOUND', `no question ${seq} in ${roomId}`);
    return { counted: r === 1 };
  }

  async mark(roomId: string, seq: number, marks: QuestionMarks): Promise<void> {
    const r = await this.client.call('questions.mark', () =>
      this.client.eval(SCRIPTS.mark, this.keys(roomId), [this.ttlMs, idOf(seq), flag(marks.answered), flag(marks.highlighted)]),
    );
    if (r === -1) throw new AppError('NOT_FOUND', `no question ${seq} in ${roomId}`);
  }

  async remove(roomId: string, seq: number): Promise<boolean> {
    const r = await this.client.call('questions.remove', () => this.client.eval(SCRIPTS.remove, this.keys(roomId), [this.ttlMs, idOf(seq)]));
    return r === 1;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
