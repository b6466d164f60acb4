import { Schema, type Model } from 'mongoose';
import { MongoConnection, type MongoStoreOptions } from './connection.mongo';
import {
  compareWords,
  requireWord,
  scopeKey,
  type DictionaryChange,
  type DictionaryEntry,
  type DictionaryEntryInput,
  type DictionaryPolicy,
  type DictionaryScopeRef,
  type DictionarySnapshot,
  type DictionaryStore,
  type DictionaryVersions,
  type DictionaryWordInput,
} from './dictionary-store';

/** One document per word: `{ _id: "<kind>/<scope>/<word>", scope, kind, word, policy?, category? }`. */
export const DICTIONARY_COLLECTION = 'filter_dictionary';
/**
 * One document per version of a scope: `{ _id: "<scope>@<version>", scope, version }` ('' = global).
 * Append-only (the newest few are kept): see `bump`.
 */
export const DICTIONARY_VERSIONS_COLLECTION = 'filter_dictionary_versions';

type WordKind = 'entry' | 'allow';

type WordDoc = {
  /** `<kind>/<scope>/<word>`: kind and scope hold no '/', so the id is unambiguous and one per word. */
  _id: string;
  /** '' = global, else the room id. */
  scope: string;
  kind: WordKind;
  word: string;
  policy?: DictionaryPolicy;
  category?: string;
  /** Epoch ms of the last write. */
  updatedAt: number;
};

type VersionDoc = { _id: string; scope: string; version: number; updatedAt: number };

const wordSchema = new Schema<WordDoc>(
  {
    _id: { type: String, required: true },
    scope: { type: String, default: '' },
    kind: { type: String, required: true, enum: ['entry', 'allow'] },
    word: { type: String, required: true },
    policy: { type: String, enum: ['mask', 'review', 'reject'] },
    category: { type: String },
    updatedAt: { type: Number, required: true },
  },
  { collection: DICTIONARY_COLLECTION, versionKey: false, autoIndex: false, autoCreate: false, bufferCommands: false },
);
// Serves load(scope): find({ scope }). Per-word writes go by _id and need no index of their own.
wordSchema.index({ scope: 1 }, { name: 'scope_1' });

const versionSchema = new Schema<VersionDoc>(
  {
    _id: { type: String, required: true },
    scope: { type: String, default: '' },
    version: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { collection: DICTIONARY_VERSIONS_COLLECTION, versionKey: false, autoIndex: false, autoCreate: false, bufferCommands: false },
);
// Serves currentVersion(scope): find({ scope }).sort({ version: -1 }).limit(1), and the pruning
// deleteMany({ scope, version: { $lt } }). versions() reads the whole (pruned, small) collection.
versionSchema.index({ scope: 1, version: -1 }, { name: 'scope_1_version_-1' });

/** Versions kept per scope; older version documents are deleted after a bump. */
const KEPT_VERSIONS = 5;
/** Attempts of one bump racing other writers for the next version number. */
const BUMP_ATTEMPTS = 50;

/**
 * The production DictionaryStore on MongoDB through mongoose (tested against FerretDB). No
 * transactions, TTL indexes or change streams. A write stores the word first, then bumps the
 * scope's version; `load` reads the version first, then the words, so a snapshot labelled v
 * contains every change up to v. Two admins writing at once each get a distinct version.
 *
 * Versions are NOT a `$inc` on one document: FerretDB 1.24 (SQLite) loses concurrent `$inc`s and
 * lets concurrent conditional `findOneAndUpdate`s all succeed (found by the contract suite). A
 * bump therefore inserts the document `<scope>@<current+1>`; the unique `_id` lets exactly one
 * writer have each number, and a loser (duplicate key) reads again and tries the next.
 */
export class MongoDictionaryStore implements DictionaryStore {
  private readonly db: MongoConnection;
  private readonly words: Model<WordDoc>;
  private readonly versionsModel: Model<VersionDoc>;

  constructor(options: MongoStoreOptions) {
    this.db = new MongoConnection(options, 'dictionary store');
    this.words = this.db.conn.model<WordDoc>('FilterDictionaryWord', wordSchema);
    this.versionsModel = this.db.conn.model<VersionDoc>('FilterDictionaryVersion', versionSchema);
  }

  async init(): Promise<void> {
    await this.db.run('create indexes', async () => {
      // createIndexes, not syncIndexes: never drop an index an operator added.
      await this.words.createIndexes();
      await this.versionsModel.createIndexes();
    });
  }

  async putEntry(input: DictionaryEntryInput): Promise<DictionaryChange> {
    const word = requireWord(input.word);
    const scope = scopeKey(input);
    return this.db.run('put entry', async () => {
      const _id = docId('entry', scope, word);
      const before = await this.words.findById(_id).lean<WordDoc>().exec();
      if (before && before.policy === input.policy && before.category === input.category) {
        return { changed: false, version: await this.currentVersion(scope) };
      }
      const doc: WordDoc = { _id, scope, kind: 'entry', word, policy: input.policy, updatedAt: Date.now() };
      if (input.category !== undefined) doc.category = input.category;
      // replaceOne, not $set: a category dropped by the new entry must go.
      await this.words.replaceOne({ _id }, doc, { upsert: true }).exec();
      return { changed: true, version: await this.bump(scope) };
    });
  }

  removeEntry(input: DictionaryWordInput): Promise<DictionaryChange> {
    return this.remove('entry', input);
  }

  async addAllow(input: DictionaryWordInput): Promise<DictionaryChange> {
    const word = requireWord(input.word);
    const scope = scopeKey(input);
    return this.db.run('add allow word', async () => {
      const _id = docId('allow', scope, word);
      if (await this.words.exists({ _id }).exec()) return { changed: false, version: await this.currentVersion(scope) };
      await this.words.replaceOne({ _id }, { _id, scope, kind: 'allow', word, updatedAt: Date.now() }, { upsert: true }).exec();
      return { changed: true, version: await this.bump(scope) };
    });
  }

  removeAllow(input: DictionaryWordInput): Promise<DictionaryChange> {
    return this.remove('allow', input);
  }

  async load(ref: DictionaryScopeRef = {}): Promise<DictionarySnapshot> {
    const scope = scopeKey(ref);
    return this.db.run('load scope', async () => {
      // Version first: see the class comment.
      const version = await this.currentVersion(scope);
      const docs = await this.words.find({ scope }).lean<WordDoc[]>().exec();
      const entries: DictionaryEntry[] = [];
      const allow: string[] = [];
      for (const d of docs) {
        if (d.kind === 'allow') allow.push(d.word);
        else if (d.policy !== undefined) {
          entries.push(d.category === undefined || d.category === null ? { word: d.word, policy: d.policy } : { word: d.word, policy: d.policy, category: d.category });
        }
      }
      // Sorted here, not by the server: FerretDB on SQLite does not push sorts down anyway.
      entries.sort((a, b) => compareWords(a.word, b.word));
      allow.sort(compareWords);
      return { roomId: ref.roomId, version, entries, allow };
    });
  }

  async versions(): Promise<DictionaryVersions> {
    return this.db.run('read versions', async () => {
      const docs = await this.versionsModel.find({}).lean<VersionDoc[]>().exec();
      const out: DictionaryVersions = { global: 0, rooms: new Map() };
      for (const d of docs) {
        if (d.scope === '') out.global = Math.max(out.global, d.version);
        else out.rooms.set(d.scope, Math.max(out.rooms.get(d.scope) ?? 0, d.version));
      }
      return out;
    });
  }

  healthy(): Promise<boolean> {
    return this.db.healthy();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async remove(kind: WordKind, input: DictionaryWordInput): Promise<DictionaryChange> {
    const word = requireWord(input.word);
    const scope = scopeKey(input);
    return this.db.run(`remove ${kind}`, async () => {
      const r = await this.words.deleteOne({ _id: docId(kind, scope, word) }).exec();
      if (r.deletedCount === 0) return { changed: false, version: await this.currentVersion(scope) };
      return { changed: true, version: await this.bump(scope) };
    });
  }

  private async currentVersion(scope: string): Promise<number> {
    const doc = await this.versionsModel.findOne({ scope }).sort({ version: -1 }).lean<VersionDoc>().exec();
    return doc?.version ?? 0;
  }

  /** Takes the next version number of `scope` (see the class comment). */
  private async bump(scope: string): Promise<number> {
    const collection = this.db.conn.collection<VersionDoc>(DICTIONARY_VERSIONS_COLLECTION);
    for (let attempt = 0; attempt < BUMP_ATTEMPTS; attempt++) {
      const next = (await this.currentVersion(scope)) + 1;
      try {
        // The driver collection: mongoose would lose the duplicate-key error's code.
        await collection.insertOne({ _id: `${scope}@${next}`, scope, version: next, updatedAt: Date.now() });
      } catch (err) {
        if (isDuplicateKey(err)) continue;
        throw err;
      }
      if (next > KEPT_VERSIONS) await this.versionsModel.deleteMany({ scope, version: { $lte: next - KEPT_VERSIONS } }).exec();
      return next;
    }
    throw new Error(`could not take a new version of scope "${scope}" in ${BUMP_ATTEMPTS} attempts`);
  }
}

/** MongoDB's duplicate-key error code; FerretDB answers the same. */
const DUPLICATE_KEY = 11000;

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === DUPLICATE_KEY;
}

function docId(kind: WordKind, scope: string, word: string): string {
  return `${kind}/${scope}/${word}`;
}
