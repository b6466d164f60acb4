import { FilterError } from './errors';
import type { FilterEntry, Policy } from './types';

export type DictionaryFormat = 'text' | 'json';

/** Entries and allow-list words read from a dictionary file; spread it into `createWordFilter`. */
export interface ParsedDictionary {
  readonly entries: FilterEntry[];
  readonly allow: string[];
}

export interface ParseDictionaryOptions {
  /** Policy of a line or JSON item that names none. Default 'mask'. */
  readonly defaultPolicy?: Policy;
}

const POLICIES: ReadonlySet<string> = new Set(['mask', 'review', 'reject']);
const ALLOW = 'allow';

/**
 * Parses a dictionary file.
 *
 * `text`: one `word[,policy[,category]]` per line; policy is mask | review | reject, or `allow` to put the
 * word on the allow-list. Blank lines and lines whose first non-blank character is `#` are skipped, as
 * is anything after ` #` (a `#` preceded by a space) on a line. Fields are trimmed. A word cannot
 * contain a comma (use JSON for that).
 *
 * `json`: an array whose items are a string (the word, default policy) or
 * `{ "word": string, "policy"?: "mask"|"review"|"reject"|"allow", "category"?: string }`.
 *
 * Every problem is collected and thrown at once as `FilterError` `BAD_DICTIONARY` with
 * `details.problems` (line numbers are 1-based, JSON items 0-based).
 */
export function parseDictionary(
  text: string,
  format: DictionaryFormat,
  options: ParseDictionaryOptions = {},
): ParsedDictionary {
  const defaultPolicy = options.defaultPolicy ?? 'mask';
  if (!POLICIES.has(defaultPolicy)) {
    throw new FilterError(
      'BAD_OPTIONS',
      `defaultPolicy must be mask, review or reject, got ${String(defaultPolicy)}`,
    );
  }
  const problems: string[] = [];
  const out: ParsedDictionary = { entries: [], allow: [] };
  const add = (
    where: string,
    word: string,
    policy: string | undefined,
    category: string | undefined,
  ): void => {
    if (word.length === 0) {
      problems.push(`${where}: empty word`);
      return;
    }
    const p = policy === undefined || policy === '' ? defaultPolicy : policy;
    if (p === ALLOW) {
      out.allow.push(word);
      return;
    }
    if (!POLICIES.has(p)) {
      problems.push(`${where}: unknown policy "${p}" (mask, review, reject or allow)`);
      return;
    }
    const entry: FilterEntry =
      category === undefined || category === ''
        ? { word, policy: p as Policy }
        : { word, policy: p as Policy, category };
    out.entries.push(entry);
  };

  if (format === 'text') {
    const lines = text.split('\n');
    lines.forEach((raw, index) => {
      let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const hash = line.indexOf(' #');
      if (hash >= 0) line = line.slice(0, hash);
      line = line.trim();
      if (line === '' || line.startsWith('#')) return;
      const fields = line.split(',').map((f) => f.trim());
      if (fields.length > 3) {
        problems.push(`line ${index + 1}: expected word[,policy[,category]], got ${fields.length} fields`);
        return;
      }
      add(`line ${index + 1}`, fields[0] ?? '', fields[1], fields[2]);
    });
  } else if (format === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new FilterError('BAD_DICTIONARY', `dictionary is not valid JSON: ${(err as Error).message}`, {
        problems: ['not valid JSON'],
      });
    }
    if (!Array.isArray(data)) {
      throw new FilterError('BAD_DICTIONARY', 'a JSON dictionary must be an array', {
        problems: ['not an array'],
      });
    }
    data.forEach((item: unknown, index: number) => {
      const where = `item ${index}`;
      if (typeof item === 'string') {
        add(where, item, undefined, undefined);
        return;
      }
      if (item === null || typeof item !== 'object') {
        problems.push(`${where}: expected a string or an object`);
        return;
      }
      const { word, policy, category } = item as Record<string, unknown>;
      if (typeof word !== 'string') {
        problems.push(`${where}: "word" must be a string`);
        return;
      }
      if (policy !== undefined && typeof policy !== 'string') {
        problems.push(`${where}: "policy" must be a string`);
        return;
      }
      if (category !== undefined && typeof category !== 'string') {
        problems.push(`${where}: "category" must be a string`);
        return;
      }
      add(where, word, policy, category);
    });
  } else {
    throw new FilterError('BAD_OPTIONS', `unknown dictionary format "${String(format)}" (text or json)`);
  }
  if (problems.length > 0) {
    throw new FilterError(
      'BAD_DICTIONARY',
      `${problems.length} problem(s) in the dictionary: ${problems.slice(0, 5).join('; ')}`,
      { problems },
    );
  }
  return out;
}
