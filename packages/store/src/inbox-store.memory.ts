import type { InboxItem } from '@roomcast/contracts';
import { inboxAdded, inboxItemId, inboxLimit, MAX_UNREAD_COUNTS_PAGE, type InboxAdded, type InboxPage, type InboxQuery, type InboxStore, type NewInboxEntry } from './inbox-store';

/** The in-memory twin of MongoInboxStore (embedded start, unit tests). */
export class InMemoryInboxStore implements InboxStore {
  /** userId -> item id -> item. */
  private readonly byUser = new Map<string, Map<string, InboxItem>>();

  async init(): Promise<void> {}

  async add(entries: NewInboxEntry[]): Promise<InboxAdded> {
    const added: NewInboxEntry[] = [];
    for (const e of entries) {
      let items = this.byUser.get(e.userId);
      if (items === undefined) this.byUser.set(e.userId, (items = new Map()));
      const id = inboxItemId(e);
      if (items.has(id)) continue;
      const item: InboxItem = { id, read: false, roomId: e.roomId, seq: e.seq, fromUserId: e.fromUserId, text: e.text, reason: e.reason, at: e.at };
      if (e.replyTo !== undefined) item.replyTo = e.replyTo;
      items.set(id, item);
      added.push(e);
    }
    return inboxAdded(added);
  }

  async list(userId: string, query: InboxQuery = {}): Promise<InboxPage> {
    const all = [...(this.byUser.get(userId)?.values() ?? [])];
    const before = query.before;
    const items = all
      .filter((i) => (before === undefined || i.id < before) && (!query.unreadOnly || !i.read))
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, inboxLimit(query.limit))
      .map((i) => ({ ...i }));
    return { items, unread: all.filter((i) => !i.read).length };
  }

  async markRead(userId: string, which: { ids: string[] } | { all: true }): Promise<number> {
    const items = this.byUser.get(userId);
    if (items === undefined) return 0;
    const targets = 'all' in which ? [...items.values()] : which.ids.map((id) => items.get(id));
    let changed = 0;
    for (const item of new Set(targets)) {
      if (item === undefined || item.read) continue;
      item.read = true;
      changed++;
    }
    return changed;
  }

  async markDeleted(roomId: string, seq: number): Promise<number> {
    let changed = 0;
    for (const items of this.byUser.values())
      for (const item of items.values()) {
        if (item.roomId !== roomId || item.seq !== seq || item.deleted) continue;
        item.text = '';
        item.deleted = true;
        changed++;
      }
    return changed;
  }

  async unreadCounts(afterUserId: string | undefined, limit: number): Promise<{ userId: string; unread: number }[]> {
    const out: { userId: string; unread: number }[] = [];
    for (const [userId, items] of this.byUser) {
      if (afterUserId !== undefined && userId <= afterUserId) continue;
      let unread = 0;
      for (const item of items.values()) if (!item.read) unread++;
      if (unread > 0) out.push({ userId, unread });
    }
    out.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    return out.slice(0, Math.min(MAX_UNREAD_COUNTS_PAGE, Math.max(1, Math.trunc(limit))));
  }

  async healthy(): Promise<boolean> {
    return true;
  }
}
