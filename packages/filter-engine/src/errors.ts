/**
 * Codes of the errors this package throws. Stable: branch on `code`, never on the message.
 *
 * - `TEXT_TOO_LONG`: `check()` was given more UTF-16 code units than `maxTextLength`; nothing was matched.
 * - `BAD_DICTIONARY`: an entry or allow word is unusable (empty after normalisation, unknown policy, ...),
 *   or `parseDictionary` met a malformed line / JSON value. Every problem is listed in `details.problems`;
 *   from `createWordFilter` also `details.badEntries` and `details.badAllow`, the indices of the
 *   unusable items in `entries` and `allow` (to drop them and compile the rest).
 * - `BAD_OPTIONS`: an option of `createWordFilter` is out of range.
 *
 * The service maps `TEXT_TOO_LONG` to the `FRAME_TOO_LARGE` AppError at its trust boundary.
 */
export type FilterErrorCode = 'TEXT_TOO_LONG' | 'BAD_DICTIONARY' | 'BAD_OPTIONS';

/** The one error class of `@roomcast/filter-engine`; never retriable (the same input fails again). */
export class FilterError extends Error {
  readonly code: FilterErrorCode;
  readonly retriable = false;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: FilterErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'FilterError';
    this.code = code;
    this.details = details;
  }
}

/** Whether `err` is a FilterError (with the given code, if any). */
export function isFilterError(err: unknown, code?: FilterErrorCode): err is FilterError {
  return err instanceof FilterError && (code === undefined || err.code === code);
}
