import { AppError } from '@roomcast/errors';

/**
 * The filter's managed word dictionary: entries and allow-list words, global or per room, each
 * scope with a version that every change bumps. `MongoDictionaryStore` in production,
 * `InMemoryDictionaryStore` as the twin; both pass `describeDictionaryStoreContract`.
 *
 * The store only keeps words; matching is @roomcast/filter-engine's job.
 */

/** What a message containing the word gets. Stronger to the right: mask < review < reject. */
export type DictionaryPolicy = 'mask' | 'review' | 'reject';

export const DICTIONARY_POLICIES: readonly DictionaryPolicy[] = ['mask', 'review', 'reject'];

/** One word of a scope. `category` is what a rejected sender is told (never the word). */
export interface DictionaryEntry {
  word: string;
  policy: DictionaryPolicy;
  category?: string;
}

/** Where a word applies: `roomId` undefined = every room (global). */
export interface DictionaryScopeRef {
  roomId?: string | undefined;
}

export type DictionaryEntryInput = DictionaryEntry & DictionaryScopeRef;
export type DictionaryWordInput = { word: string } & DictionaryScopeRef;

/** The result of a write: whether anything changed, and the scope's version afterwards. */
export interface DictionaryChange {
  /** False when the write was a no-op (same entry again, removing an absent word); the version did not move. */
  changed: boolean;
  /** The scope's version after the write (0 = the scope was never changed). */
  version: number;
}

/** Everything one scope holds, labelled with a version the content is at least as new as. */
export interface DictionarySnapshot {
  roomId: string | undefined;
  version: number;
  /** In word order. */
  entries: DictionaryEntry[];
  /** In word order. */
  allow: string[];
}

/** Every scope's version: the global one and each room that was ever changed. */
export interface DictionaryVersions {
  global: number;
  rooms: Map<string, number>;
}

export interface DictionaryStore {
  /** Creates indexes (idempotent). */
  init(): Promise<void>;
  /** Adds or replaces the entry for `word` in its scope; bumps the scope's version when anything changed. */
  putEntry(entry: DictionaryEntryInput): Promise<DictionaryChange>;
  /** Removes the entry for `word` in its scope; `changed: false` when there was none. */
  removeEntry(word: DictionaryWordInput): Promise<DictionaryChange>;
  /** Puts `word` on the scope's allow-list. */
  addAllow(word: DictionaryWordInput): Promise<DictionaryChange>;
  /** Takes `word` off the scope's allow-list; `changed: false` when it was not on it. */
  removeAllow(word: DictionaryWordInput): Promise<DictionaryChange>;
  /**
   * One scope's entries and allow words. The version is read BEFORE the words and every write
   * stores the word before it bumps the version, so the content includes every change up to
   * `version` (it may include newer ones too; their announcement triggers another load).
   */
  load(scope?: DictionaryScopeRef): Promise<DictionarySnapshot>;
  /** The version of every scope that has one. */
  versions(): Promise<DictionaryVersions>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** Words are stored trimmed; an entry's identity is (scope, kind, trimmed word), case included. */
export function normaliseWord(word: string): string {
  return word.trim();
}

/** The stable order snapshots list words in (code unit order, as Mongo sorts strings). */
export function compareWords(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Trims `word`; throws AppError BAD_REQUEST when nothing is left. Both twins call it first. */
export function requireWord(word: string): string {
  const w = normaliseWord(word);
  if (w.length === 0) throw new AppError('BAD_REQUEST', 'dictionary word is empty');
  return w;
}

/**
 * The storage key of a scope: '' for global, else the room id. A room id must be non-empty and
 * free of '/' (the Mongo adapter uses '/' inside document ids); RoomId's alphabet already is.
 */
export function scopeKey(ref: DictionaryScopeRef): string {
  if (ref.roomId === undefined) return '';
  if (ref.roomId.length === 0 || ref.roomId.includes('/')) {
    throw new AppError('BAD_REQUEST', 'dictionary roomId must be non-empty and contain no "/"');
  }
  return ref.roomId;
}
