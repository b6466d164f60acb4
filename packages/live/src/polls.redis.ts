import { PollState } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { LuaScript, type OwnedRedis, type RedisAdapterOptions } from '@roomcast/redis-kit';
import { DEFAULT_ROOM_STATE_KEY_PREFIX, roomStateKeys, roomStateRedis, stateWriteLua } from '@roomcast/room-state';
import { DEFAULT_ANNOUNCE_LEASE_MS, DEFAULT_POLL_TTL_MS, type ClosedPoll, type NewPoll, type PollBox, type PollValue } from './polls';

// The room's poll hash (`P poll:<roomId>`) holds: `id` (pollId), `head` (the poll's JSON up to its
// tallies: `{"pollId":..,"question":..,"options":[..]` plus `,"deadline":..` for a quiz — encoded
// in TypeScript, lua-cjson would round long numbers), `n` (options), `by` (who opened it), `open`
// ('1' / '0'), `deadline` and `correct` (a quiz), `t<i>` (votes for option i), `ann` (closed and
// its closing announcement still owed: the publisher's lease ends at this ms). `P poll-voters:
// <roomId>` is the set of users who voted in the current poll (emptied when one opens).
//
// render(k): the room state `poll` of the poll hash k. shut(k, s, v, u): closes poll hash k with its
// announcement owed until u (ms), writes its rendering into room-state hash s and bumps version v
// (stateWriteLua), returns the rendering.
const FUNCTIONS = `local function render(k)
  local n = tonumber(redis.call('HGET', k, 'n'))
  local t = {}
  for i = 0, n - 1 do t[#t + 1] = redis.call('HGET', k, 't' .. i) or '0' end
  local open = redis.call('HGET', k, 'open') == '1'
  local json = redis.call('HGET', k, 'head') .. ',"tallies":[' .. table.concat(t, ',') .. '],"open":' .. (open and 'true' or 'false')
  local correct = redis.call('HGET', k, 'correct')
  if not open and correct then json = json .. ',"correct":' .. correct end
  return json .. '}'
end
local function shut(k, s, v, u)
  redis.call('HSET', k, 'open', '0', 'ann', u)
  local json = render(k)
  ${stateWriteLua('s', 'v', "'poll'", 'json')}
  return json
end`;

// OPEN, VOTE, CLOSE: KEYS[1] = poll hash, KEYS[2] = voters set, KEYS[3] = room-state hash,
// KEYS[4] = room-state version; ARGV[1] = TTL of the first two, ms.
//
// OPEN: ARGV[2] = pollId, ARGV[3] = head, ARGV[4] = options, ARGV[5] = by, ARGV[6] = deadline
// and ARGV[7] = correct ('' = not a quiz), ARGV[8] = announcement lease end (ms). Closes an open
// previous poll first; returns {by, rendering} of that one — or of a closed one whose announcement
// is still owed (the new poll replaces the hash) — or nil.
const OPEN = `${FUNCTIONS}
local prev = false
local h = redis.call('HMGET', KEYS[1], 'open', 'ann', 'by')
if h[1] == '1' then
  prev = { h[3], shut(KEYS[1], KEYS[3], KEYS[4], ARGV[8]) }
elseif h[1] == '0' and h[2] then
  prev = { h[3], render(KEYS[1]) }
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'head', ARGV[3], 'n', ARGV[4], 'by', ARGV[5], 'open', '1')
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'deadline', ARGV[6], 'correct', ARGV[7]) end
for i = 0, tonumber(ARGV[4]) - 1 do redis.call('HSET', KEYS[1], 't' .. i, 0) end
local json = render(KEYS[1])
${stateWriteLua('KEYS[3]', 'KEYS[4]', "'poll'", 'json')}
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return prev`;

// VOTE: ARGV[2] = pollId, ARGV[3] = userId, ARGV[4] = option, ARGV[5] = now (ms). Returns -1
// (closed, past the deadline, not the current poll, or no such option), 0 (voted already), 1.
const VOTE = `${FUNCTIONS}
local h = redis.call('HMGET', KEYS[1], 'id', 'open', 'n', 'deadline')
if h[1] ~= ARGV[2] or h[2] ~= '1' or tonumber(ARGV[4]) >= tonumber(h[3]) then return -1 end
if h[4] and tonumber(ARGV[5]) >= tonumber(h[4]) then return -1 end
if redis.call('SADD', KEYS[2], ARGV[3]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 't' .. ARGV[4], 1)
local json = render(KEYS[1])
${stateWriteLua('KEYS[3]', 'KEYS[4]', "'poll'", 'json')}
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`;

// CLOSE: ARGV[2] = pollId, ARGV[3] = announcement lease end (ms). Closes it if it is the open
// current poll: {by, rendering}; else nil.
const CLOSE = `${FUNCTIONS}
local h = redis.call('HMGET', KEYS[1], 'id', 'open', 'by')
if h[1] ~= ARGV[2] or h[2] ~= '1' then return false end
return { h[3], shut(KEYS[1], KEYS[3], KEYS[4], ARGV[3]) }`;

// CLOSE_DUE: KEYS = poll hash, room-state hash, room-state version of each room (triples);
// ARGV[1] = now (ms), ARGV[2] = announcement lease end (ms). Closes every open quiz whose deadline
// is at or before now, and takes over every owed announcement whose lease ended at or before now
// (renewing it); returns room index (1-based), by, rendering for each — so of several gateways
// ticking the same room, exactly one gets it.
const CLOSE_DUE = `${FUNCTIONS}
local out = {}
local now = tonumber(ARGV[1])
for i = 1, #KEYS, 3 do
  local h = redis.call('HMGET', KEYS[i], 'open', 'deadline', 'by', 'ann')
  local json = false
  if h[1] == '1' and h[2] and tonumber(h[2]) <= now then
    json = shut(KEYS[i], KEYS[i + 1], KEYS[i + 2], ARGV[2])
  elseif h[1] == '0' and h[4] and tonumber(h[4]) <= now then
    redis.call('HSET', KEYS[i], 'ann', ARGV[2])
    json = render(KEYS[i])
  end
  if json then
    out[#out + 1] = (i + 2) / 3
    out[#out + 1] = h[3]
    out[#out + 1] = json
  end
end
return out`;

// ANNOUNCED: KEYS[1] = poll hash; ARGV[1] = pollId. Clears the owed announcement if the hash is
// still that poll's. Returns 1 if it was cleared, else 0.
const ANNOUNCED = `if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
return redis.call('HDEL', KEYS[1], 'ann')`;

const SCRIPTS = {
  open: new LuaScript(OPEN),
  vote: new LuaScript(VOTE),
  close: new LuaScript(CLOSE),
  closeDue: new LuaScript(CLOSE_DUE),
  announced: new LuaScript(ANNOUNCED),
};

export interface RedisPollBoxOptions extends RedisAdapterOptions {
  /** How long a room's poll and voters are kept after its last poll write, ms. Default DEFAULT_POLL_TTL_MS. */
  ttlMs?: number;
  /** A closer's time to publish the closing announcement before a tick hands it on, ms. Default DEFAULT_ANNOUNCE_LEASE_MS. */
  announceLeaseMs?: number;
}

/** PollBox on Redis (key prefix shared with the room state the gateways read); layout above. */
export class RedisPollBox implements PollBox {
  private readonly client: OwnedRedis;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly announceLeaseMs: number;

  constructor(options: RedisPollBoxOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_ROOM_STATE_KEY_PREFIX;
    this.ttlMs = options.ttlMs ?? DEFAULT_POLL_TTL_MS;
    this.announceLeaseMs = options.announceLeaseMs ?? DEFAULT_ANNOUNCE_LEASE_MS;
    this.client = roomStateRedis(options, 'polls');
  }

  private pollKey(roomId: string): string {
    return `${this.prefix}poll:${roomId}`;
  }

  private keys(roomId: string): string[] {
    const state = roomStateKeys(this.prefix, roomId);
    return [this.pollKey(roomId), `${this.prefix}poll-voters:${roomId}`, state.state, state.version];
  }

  async open(roomId: string, poll: NewPoll, now: number): Promise<ClosedPoll | null> {
    const { pollId, question, options, by, quiz } = poll;
    const head = JSON.stringify({ pollId, question, options, ...(quiz !== undefined ? { deadline: quiz.deadline } : {}) }).slice(0, -1);
    const args = [this.ttlMs, pollId, head, options.length, by, quiz?.deadline ?? '', quiz?.correct ?? '', now + this.announceLeaseMs];
    const r = await this.client.call('polls.open', () => this.client.eval(SCRIPTS.open, this.keys(roomId), args));
    return closedOf(roomId, r);
  }

  async vote(roomId: string, pollId: string, userId: string, option: number, now: number): Promise<{ counted: boolean }> {
    const r = await this.client.call('polls.vote', () =>
      this.client.eval(SCRIPTS.vote, this.keys(roomId), [this.ttlMs, pollId, userId, option, now]),
    );
    if (r === -1) throw new AppError('POLL_CLOSED', `poll ${pollId} in ${roomId} takes no vote for option ${option}`);
    return { counted: r === 1 };
  }

  async closePoll(roomId: string, pollId: string, now: number): Promise<ClosedPoll | null> {
    const r = await this.client.call('polls.close', () =>
      this.client.eval(SCRIPTS.close, this.keys(roomId), [this.ttlMs, pollId, now + this.announceLeaseMs]),
    );
    return closedOf(roomId, r);
  }

  async announced(roomId: string, pollId: string): Promise<void> {
    await this.client.call('polls.announced', () => this.client.eval(SCRIPTS.announced, [this.pollKey(roomId)], [pollId]));
  }

  async closeDue(roomIds: readonly string[], now: number): Promise<ClosedPoll[]> {
    if (roomIds.length === 0) return [];
    const keys = roomIds.flatMap((r) => {
      const state = roomStateKeys(this.prefix, r);
      return [this.pollKey(r), state.state, state.version];
    });
    const r = await this.client.call('polls.closeDue', () => this.client.eval(SCRIPTS.closeDue, keys, [now, now + this.announceLeaseMs]));
    if (!Array.isArray(r) || r.length % 3 !== 0) throw new AppError('INTERNAL', 'polls closeDue returned an unexpected reply');
    const out: ClosedPoll[] = [];
    for (let i = 0; i < r.length; i += 3) {
      const roomId = roomIds[Number(r[i]) - 1];
      if (roomId === undefined) throw new AppError('INTERNAL', 'polls closeDue named a room it was not given');
      out.push({ roomId, by: String(r[i + 1]), poll: parsePoll(r[i + 2]) });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function closedOf(roomId: string, reply: unknown): ClosedPoll | null {
  if (reply === null) return null;
  if (!Array.isArray(reply) || reply.length !== 2) throw new AppError('INTERNAL', 'polls script returned an unexpected reply');
  return { roomId, by: String(reply[0]), poll: parsePoll(reply[1]) };
}

function parsePoll(json: unknown): PollValue {
  const parsed = PollState.safeParse(JSON.parse(String(json)));
  if (!parsed.success) throw new AppError('INTERNAL', `polls rendered an invalid poll: ${parsed.error.message}`);
  return parsed.data;
}
