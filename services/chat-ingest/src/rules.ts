import type { ChatSubmittedV1 } from '@roomcast/contracts';

/**
 * The authoritative checks a gateway cannot be trusted with (a gateway is an edge process; the
 * ingest is the one place every message passes). Returns why the message is refused, or null.
 */
export function checkSubmission(event: ChatSubmittedV1, maxTextChars: number): string | null {
  if (event.text.length > maxTextChars) return 'text-too-long';
  if (event.text.trim().length === 0) return 'empty-text';
  return null;
}
