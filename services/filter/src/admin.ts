import express, { Router, type Request } from 'express';
import { RoomId } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { createWordFilter, isFilterError, type FilterEntry } from '@roomcast/filter-engine';
import type { DictionaryChange, DictionaryStore } from '@roomcast/store';
import { z } from 'zod';
import type { BaseDictionary, FilterDictionary } from './dictionary';

/** Longest word or phrase the admin API takes, UTF-16 units. */
export const MAX_WORD_CHARS = 100;
/**
 * Most entries one room may have. A room's overlay is compiled when its first message arrives,
 * on the message path, so it must stay small (global lists belong in the global scope).
 */
export const MAX_ROOM_ENTRIES = 2000;

/** A dictionary word or phrase, trimmed: 1..MAX_WORD_CHARS UTF-16 units. */
export const Word = z.string().trim().min(1).max(MAX_WORD_CHARS);
/** What a rejected sender is told, so: a short code, never free text (and never the word). */
export const Category = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'category: 1-32 of [a-z0-9_-], starting with a letter or digit');
const EntryBody = z.strictObject({ word: Word, policy: z.enum(['mask', 'review', 'reject']), category: Category.optional(), roomId: RoomId.optional() });
const WordBody = z.strictObject({ word: Word, roomId: RoomId.optional() });
const ScopeQuery = z.object({ roomId: RoomId.optional() });

export type DictionaryOp = 'entry.put' | 'entry.remove' | 'allow.add' | 'allow.remove';

export interface AdminDeps {
  store: DictionaryStore;
  dictionary: FilterDictionary;
  base: BaseDictionary;
  /** Announces a change to every instance (this one included); throws AppError PUBLISH_FAILED. */
  announce(roomId: string | null, version: number, op: DictionaryOp): Promise<void>;
}

/**
 * The dictionary admin API (mounted behind requireAdminToken):
 * `GET /dictionary[?roomId=]`, `POST|DELETE /dictionary/entries`, `POST|DELETE /dictionary/allow`.
 * It manages the store's words only; base words (env, file) change with a restart.
 */
export function dictionaryRouter(deps: AdminDeps): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });

  router.get('/dictionary', async (req, res) => {
    const { roomId } = parse(ScopeQuery, req.query);
    const snapshot = await deps.store.load({ roomId });
    res.json({
      roomId: roomId ?? null,
      version: snapshot.version,
      entries: snapshot.entries,
      allow: snapshot.allow,
      base: roomId === undefined ? { entries: deps.base.entries.length, allow: deps.base.allow.length } : undefined,
      inUse: deps.dictionary.info(),
    });
  });

  router.post('/dictionary/entries', json, async (req, res) => {
    const body = parse(EntryBody, req.body);
    res.json(await putEntry(deps, body, body.roomId));
  });

  router.delete('/dictionary/entries', json, async (req, res) => {
    const body = parse(WordBody, bodyOrQuery(req));
    res.json(await removeEntry(deps, body.word, body.roomId));
  });

  router.post('/dictionary/allow', json, async (req, res) => {
    const body = parse(WordBody, req.body);
    usable([], [body.word]);
    const change = await deps.store.addAllow(body);
    res.json(await commit(deps, body.roomId, change, 'allow.add'));
  });

  router.delete('/dictionary/allow', json, async (req, res) => {
    const body = parse(WordBody, bodyOrQuery(req));
    const change = await deps.store.removeAllow(body);
    if (!change.changed) throw notManaged('allow word', body.word);
    res.json(await commit(deps, body.roomId, change, 'allow.remove'));
  });

  return router;
}

/** What a dictionary write answers: the scope (null = global), its version after it, whether it changed. */
export interface DictionaryWriteResult {
  roomId: string | null;
  version: number;
  changed: boolean;
}

/**
 * Stores `entry` in the room's scope (global when `roomId` is undefined), replacing any entry for
 * the same word, and announces it. Throws DICTIONARY_INVALID for a word the engine cannot use, or
 * when the room already has MAX_ROOM_ENTRIES other entries.
 */
export async function putEntry(deps: AdminDeps, entry: FilterEntry, roomId: string | undefined): Promise<DictionaryWriteResult> {
  const clean: FilterEntry = entry.category === undefined ? { word: entry.word, policy: entry.policy } : { word: entry.word, policy: entry.policy, category: entry.category };
  usable([clean], []);
  if (roomId !== undefined) {
    const room = await deps.store.load({ roomId });
    if (room.entries.length >= MAX_ROOM_ENTRIES && !room.entries.some((e) => e.word === clean.word)) {
      throw new AppError('DICTIONARY_INVALID', `room ${roomId} already has ${MAX_ROOM_ENTRIES} entries; put widely used words in the global scope`);
    }
  }
  const change = await deps.store.putEntry({ ...clean, roomId });
  return commit(deps, roomId, change, 'entry.put');
}

/** Removes the entry for `word` from the scope and announces it; NOT_FOUND when there is none. */
export async function removeEntry(deps: AdminDeps, word: string, roomId: string | undefined): Promise<DictionaryWriteResult> {
  const change = await deps.store.removeEntry({ word, roomId });
  if (!change.changed) throw notManaged('entry', word);
  return commit(deps, roomId, change, 'entry.remove');
}

/**
 * After a store write: announce (even a no-op write, so a retry after a failed announcement
 * re-sends it) and schedule this instance's own reload without waiting for the round trip.
 */
async function commit(deps: AdminDeps, roomId: string | undefined, change: DictionaryChange, op: DictionaryOp): Promise<DictionaryWriteResult> {
  const scope = roomId ?? null;
  deps.dictionary.changed(scope, change.version);
  try {
    await deps.announce(scope, change.version, op);
  } catch (err) {
    throw new AppError('PUBLISH_FAILED', `saved as version ${change.version}, but announcing it failed; other instances pick it up at their next version poll`, { cause: err });
  }
  return { roomId: scope, version: change.version, changed: change.changed };
}

/** Refuses words the engine cannot use (e.g. nothing left after normalisation) before they are stored. */
function usable(entries: FilterEntry[], allow: string[]): void {
  try {
    createWordFilter({ entries, allow });
  } catch (err) {
    if (isFilterError(err, 'BAD_DICTIONARY')) throw new AppError('DICTIONARY_INVALID', err.message, { cause: err });
    throw err;
  }
}

function notManaged(what: string, word: string): AppError {
  return new AppError('NOT_FOUND', `no such ${what} "${word}" in the managed dictionary (words from FILTER_DICTIONARY_FILE and FILTER_*_WORDS change only with a restart)`);
}

/** A DELETE's parameters: its JSON body, or the query string when the body is empty. */
export function bodyOrQuery(req: Request): unknown {
  const body: unknown = req.body;
  return body !== undefined && body !== null && typeof body === 'object' && Object.keys(body).length > 0 ? body : req.query;
}

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new AppError('BAD_REQUEST', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}
