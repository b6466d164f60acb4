import { AppError } from '@roomcast/errors';
import {
  resolveHistoryQuery,
  type HistoryQuery,
  type MessageRef,
  type MessageStore,
  type StoredMessage,
} from './message-store';

/**
 * The in-process twin of `MongoMessageStore`, for `pnpm start` and unit tests. Same rules as
 * the Mongo collection: a message is a duplicate when its id is already stored (the `_id`
 * index) or its room already has a message with that seq (the unique `{roomId, seq}` index).
 *
 * Each room keeps one array sorted by seq, so the usual in-order insert is an append and
 * `listByRoom` is a binary search plus a slice.
 */
export class InMemoryMessageStore implements MessageStore {
  /** id -> the stored copy (the same object as in its room's array). */
  private readonly ids = new Map<string, StoredMessage>();
  private readonly rooms = new Map<string, StoredMessage[]>();
  private closed = false;

  async init(): Promise<void> {
    this.assertOpen();
  }

  async insertMany(messages: StoredMessage[]): Promise<{ inserted: number; duplicates: number }> {
    this.assertOpen();
    let inserted = 0;
    let duplicates = 0;
    for (const message of messages) {
      if (this.ids.has(message.id)) {
        duplicates++;
        continue;
      }
      let room = this.rooms.get(message.roomId);
      if (!room) {
        room = [];
        this.rooms.set(message.roomId, room);
      }
      const at = lowerBound(room, message.seq, false);
      if (room[at]?.seq === message.seq) {
        duplicates++;
        continue;
      }
      // Copy: the caller may reuse its objects, and Mongo would not see later mutations either.
      const copy = { ...message };
      room.splice(at, 0, copy);
      this.ids.set(message.id, copy);
      inserted++;
    }
    return { inserted, duplicates };
  }

  async listByRoom(roomId: string, query?: HistoryQuery): Promise<StoredMessage[]> {
    this.assertOpen();
    const room = this.rooms.get(roomId);
    if (!room) return [];
    const { afterSeq, limit } = resolveHistoryQuery(query);
    const from = lowerBound(room, afterSeq, true);
    return room.slice(from, from + limit).map((m) => ({ ...m }));
  }

  async findMessage(ref: MessageRef): Promise<StoredMessage | undefined> {
    this.assertOpen();
    let found: StoredMessage | undefined;
    if ('id' in ref) {
      found = this.ids.get(ref.id);
    } else if ('seq' in ref) {
      const room = this.rooms.get(ref.roomId) ?? [];
      const candidate = room[lowerBound(room, ref.seq, false)];
      found = candidate?.seq === ref.seq ? candidate : undefined;
    } else {
      // A scan: the twin serves `pnpm start` and tests, not a production history.
      for (const m of this.ids.values()) {
        if (
          m.userId === ref.userId &&
          m.clientMsgId === ref.clientMsgId &&
          (!found || m.acceptedAt >= found.acceptedAt)
        )
          found = m;
      }
    }
    return found && { ...found };
  }

  async markDeleted(roomId: string, seq: number): Promise<boolean> {
    this.assertOpen();
    const room = this.rooms.get(roomId) ?? [];
    const message = room[lowerBound(room, seq, false)];
    if (message?.seq !== seq || message.deleted === true) return false;
    // In place: `ids` holds the same object.
    message.deleted = true;
    message.text = '';
    message.masked = false;
    return true;
  }

  async healthy(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('SHUTTING_DOWN', 'message store is closed');
  }
}

/**
 * Index of the first message whose seq is >= `seq` (or > `seq` when `strict`) in a seq-sorted
 * array; the array's length if there is none.
 */
function lowerBound(room: readonly StoredMessage[], seq: number, strict: boolean): number {
  let lo = 0;
  let hi = room.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // mid < hi <= length, so the element exists.
    const midSeq = room[mid]!.seq;
    if (midSeq < seq || (strict && midSeq === seq)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
