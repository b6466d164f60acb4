import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '@roomcast/errors';
import { isFilterError, parseDictionary, type FilterEntry } from '@roomcast/filter-engine';
import type { BaseDictionary } from './dictionary';

/** The small demo list shipped with the service (`services/filter/dictionaries/default.txt`). */
export const DEFAULT_DICTIONARY_FILE = join(__dirname, '..', 'dictionaries', 'default.txt');

/** The category env-blocked words reject with (what the sender is told). */
export const BLOCKED_CATEGORY = 'blocked';

export interface BaseDictionarySources {
  /** FILTER_BLOCKED_WORDS: policy reject, category `blocked`. */
  blockedWords?: readonly string[] | undefined;
  /** FILTER_MASKED_WORDS: policy mask. */
  maskedWords?: readonly string[] | undefined;
  /** FILTER_DICTIONARY_FILE: `.json` is read as JSON, anything else as text (see docs/filter.md). */
  file?: string | undefined;
}

/**
 * The words of an instance that are not in the store: env lists first, then the file. Throws
 * AppError CONFIG_INVALID, naming the file and every bad line, when the file is unreadable or
 * malformed: a broken dictionary must stop the start, not silently filter nothing.
 */
export function loadBaseDictionary(sources: BaseDictionarySources): BaseDictionary {
  const entries: FilterEntry[] = [
    ...(sources.blockedWords ?? []).map((word): FilterEntry => ({ word, policy: 'reject', category: BLOCKED_CATEGORY })),
    ...(sources.maskedWords ?? []).map((word): FilterEntry => ({ word, policy: 'mask' })),
  ];
  const allow: string[] = [];
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new AppError('CONFIG_INVALID', `FILTER_DICTIONARY_FILE: cannot read ${sources.file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const parsed = parseDictionary(text, sources.file.toLowerCase().endsWith('.json') ? 'json' : 'text');
      entries.push(...parsed.entries);
      allow.push(...parsed.allow);
    } catch (err) {
      if (!isFilterError(err)) throw err;
      const problems = Array.isArray(err.details?.problems) ? (err.details.problems as string[]) : [err.message];
      throw new AppError('CONFIG_INVALID', `FILTER_DICTIONARY_FILE ${sources.file}:\n  ${problems.join('\n  ')}`, { cause: err });
    }
  }
  return { entries, allow };
}
