import { DEFAULT_RECENT_MESSAGES, RECENT_HEAD_TTL_MS, USER_NOTICES_MAX, tombstone, type RecentEntry, type RecentMessages, type RecentMessagesOptions, type RecentRange } from './recent-messages';
import { InMemorySequencerState } from './sequencer.memory';

interface RoomCache {
  entries: { seq: number; data: string }[];
  expiresAt: number;
}

interface RoomHead {
  seq: number;
  expiresAt: number;
}

/**
 * The in-process twin of RedisRecentMessages. Pass the InMemorySequencerState of the embedded
 * sequencer so `headSeq` falls back to the sequencer's counter, as on Redis.
 */
export class InMemoryRecentMessages implements RecentMessages {
  private readonly rooms = new Map<string, RoomCache>();
  private readonly heads = new Map<string, RoomHead>();
  private readonly notices = new Map<string, { data: string[]; expiresAt: number }>();
  private readonly options: RecentMessagesOptions;

  constructor(
    private readonly seqState: InMemorySequencerState = new InMemorySequencerState(),
    options: Partial<RecentMessagesOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_RECENT_MESSAGES, ...options };
  }

  async append(entries: RecentEntry[]): Promise<void> {
    const now = this.now();
    for (const { roomId, seq, data } of entries) {
      let room = this.live(roomId, now);
      if (room === undefined) this.rooms.set(roomId, (room = { entries: [], expiresAt: 0 }));
      const last = room.entries[room.entries.length - 1];
      if (last === undefined || seq > last.seq) {
        room.entries.push({ seq, data });
        if (room.entries.length > this.options.maxPerRoom) room.entries.splice(0, room.entries.length - this.options.maxPerRoom);
      } else if (!room.entries.some((e) => e.seq === seq)) {
        // Out of order (not expected: one room's messages arrive in seq order): keep sorted.
        room.entries.push({ seq, data });
        room.entries.sort((a, b) => a.seq - b.seq);
        if (room.entries.length > this.options.maxPerRoom) room.entries.splice(0, room.entries.length - this.options.maxPerRoom);
      }
      room.expiresAt = now + this.options.ttlMs;
      const head = this.heads.get(roomId);
      const headTtl = Math.max(this.options.ttlMs, RECENT_HEAD_TTL_MS);
      this.heads.set(roomId, { seq: Math.max(seq, head !== undefined && head.expiresAt > now ? head.seq : 0), expiresAt: now + headTtl });
    }
    if (this.rooms.size > 1024) for (const [id, r] of this.rooms) if (r.expiresAt <= now) this.rooms.delete(id);
    if (this.heads.size > 1024) for (const [id, h] of this.heads) if (h.expiresAt <= now) this.heads.delete(id);
  }

  async after(roomId: string, afterSeq: number, limit: number): Promise<RecentRange> {
    const now = this.now();
    const room = this.live(roomId, now);
    const newer = room === undefined ? [] : room.entries.filter((e) => e.seq > afterSeq);
    const head = this.heads.get(roomId);
    return {
      entries: newer.slice(Math.max(0, newer.length - limit)).map((e) => ({ ...e })),
      headSeq: head !== undefined && head.expiresAt > now ? head.seq : (this.seqState.seqs.get(roomId) ?? 0),
    };
  }

  async markDeleted(roomId: string, seq: number): Promise<boolean> {
    const entry = this.live(roomId, this.now())?.entries.find((e) => e.seq === seq);
    if (entry === undefined) return false;
    entry.data = tombstone(entry.data);
    return true;
  }

  async appendUserNotices(entries: { userId: string; data: string }[]): Promise<void> {
    const now = this.now();
    for (const { userId, data } of entries) {
      const kept = this.notices.get(userId);
      const list = kept !== undefined && kept.expiresAt > now ? kept.data : [];
      list.push(data);
      if (list.length > USER_NOTICES_MAX) list.splice(0, list.length - USER_NOTICES_MAX);
      this.notices.set(userId, { data: list, expiresAt: now + this.options.ttlMs });
    }
    if (this.notices.size > 1024) for (const [id, n] of this.notices) if (n.expiresAt <= now) this.notices.delete(id);
  }

  async userNotices(userId: string): Promise<string[]> {
    const kept = this.notices.get(userId);
    return kept !== undefined && kept.expiresAt > this.now() ? [...kept.data] : [];
  }

  async get(refs: { roomId: string; seq: number }[]): Promise<(string | undefined)[]> {
    const now = this.now();
    return refs.map(({ roomId, seq }) => this.live(roomId, now)?.entries.find((e) => e.seq === seq)?.data);
  }

  private live(roomId: string, now: number): RoomCache | undefined {
    const room = this.rooms.get(roomId);
    if (room !== undefined && room.expiresAt <= now) {
      this.rooms.delete(roomId);
      return undefined;
    }
    return room;
  }
}
