import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * A server message id: 9 base-36 chars of ms time, 4 of a per-ms counter, 8 hex random —
 * sortable by creation time, unique across instances without coordination.
 */
export function newMessageId(now = Date.now()): string {
  if (now === lastMs) counter += 1;
  else {
    lastMs = now;
    counter = 0;
  }
  return now.toString(36).padStart(9, '0') + counter.toString(36).padStart(4, '0') + randomBytes(4).toString('hex');
}
