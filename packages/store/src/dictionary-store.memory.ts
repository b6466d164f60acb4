import { AppError } from '@roomcast/errors';
import {
  compareWords,
  requireWord,
  scopeKey,
  type DictionaryChange,
  type DictionaryEntry,
  type DictionaryEntryInput,
  type DictionaryScopeRef,
  type DictionarySnapshot,
  type DictionaryStore,
  type DictionaryVersions,
  type DictionaryWordInput,
} from './dictionary-store';

interface Scope {
  version: number;
  entries: Map<string, DictionaryEntry>;
  allow: Set<string>;
}

const GLOBAL = '';

/**
 * The in-process twin of `MongoDictionaryStore`, for `pnpm start` and unit tests. Several filter
 * app instances may share one, as they share one Mongo database in production.
 */
export class InMemoryDictionaryStore implements DictionaryStore {
  private readonly scopes = new Map<string, Scope>();
  private closed = false;

  async init(): Promise<void> {
    this.assertOpen();
  }

  async putEntry(input: DictionaryEntryInput): Promise<DictionaryChange> {
    this.assertOpen();
    const word = requireWord(input.word);
    const scope = this.scope(input);
    const entry: DictionaryEntry =
      input.category === undefined ? { word, policy: input.policy } : { word, policy: input.policy, category: input.category };
    const before = scope.entries.get(word);
    if (before && before.policy === entry.policy && before.category === entry.category) {
      return { changed: false, version: scope.version };
    }
    scope.entries.set(word, entry);
    return { changed: true, version: ++scope.version };
  }

  async removeEntry(input: DictionaryWordInput): Promise<DictionaryChange> {
    this.assertOpen();
    const word = requireWord(input.word);
    const scope = this.scope(input);
    if (!scope.entries.delete(word)) return { changed: false, version: scope.version };
    return { changed: true, version: ++scope.version };
  }

  async addAllow(input: DictionaryWordInput): Promise<DictionaryChange> {
    this.assertOpen();
    const word = requireWord(input.word);
    const scope = this.scope(input);
    if (scope.allow.has(word)) return { changed: false, version: scope.version };
    scope.allow.add(word);
    return { changed: true, version: ++scope.version };
  }

  async removeAllow(input: DictionaryWordInput): Promise<DictionaryChange> {
    this.assertOpen();
    const word = requireWord(input.word);
    const scope = this.scope(input);
    if (!scope.allow.delete(word)) return { changed: false, version: scope.version };
    return { changed: true, version: ++scope.version };
  }

  async load(ref: DictionaryScopeRef = {}): Promise<DictionarySnapshot> {
    this.assertOpen();
    const scope = this.scopes.get(scopeKey(ref));
    return {
      roomId: ref.roomId,
      version: scope?.version ?? 0,
      // Copies: the caller may keep or change what it got.
      entries: [...(scope?.entries.values() ?? [])].map((e) => ({ ...e })).sort((a, b) => compareWords(a.word, b.word)),
      allow: [...(scope?.allow ?? [])].sort(compareWords),
    };
  }

  async versions(): Promise<DictionaryVersions> {
    this.assertOpen();
    const rooms = new Map<string, number>();
    for (const [key, scope] of this.scopes) if (key !== GLOBAL && scope.version > 0) rooms.set(key, scope.version);
    return { global: this.scopes.get(GLOBAL)?.version ?? 0, rooms };
  }

  async healthy(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private scope(ref: DictionaryScopeRef): Scope {
    const key = scopeKey(ref);
    let scope = this.scopes.get(key);
    if (!scope) {
      scope = { version: 0, entries: new Map(), allow: new Set() };
      this.scopes.set(key, scope);
    }
    return scope;
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('SHUTTING_DOWN', 'dictionary store is closed');
  }
}
