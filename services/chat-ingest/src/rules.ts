import type { ChatSubmittedV1 } from '@roomcast/contracts';

/**
 * Text that shows nothing: only whitespace (JS `\s`: spaces, tabs, line breaks, NBSP, ideographic
 * space, ...) and invisible format characters — zero-width space/joiners, word joiner, BOM, soft
 * hyphen, Mongolian vowel separator, bidi marks — or nothing at all.
 */
const BLANK_TEXT = /^[\s\u00AD\u180E\u200B-\u200F\u2060-\u2064\u202A-\u202E\u2066-\u2069\uFEFF]*$/u;

/**
 * The authoritative checks a gateway cannot be trusted with (a gateway is an edge process; the
 * ingest is the one place every message passes). Returns why the message is refused, or null.
 */
export function checkSubmission(event: ChatSubmittedV1, maxTextChars: number): string | null {
  if (event.text.length > maxTextChars) return 'text-too-long';
  if (BLANK_TEXT.test(event.text)) return 'empty-text';
  return null;
}
