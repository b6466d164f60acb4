import { randomFillSync } from 'node:crypto';

/**
 * Random bytes are drawn from the OS in blocks: `randomBytes(4)` per id was 5% of chat-ingest's
 * CPU at 1 000 msgs/s (one synchronous crypto call per message; bench/kafka-path.ts, --cpu-prof).
 */
const RANDOM_POOL_BYTES = 4096;
const RANDOM_BYTES_PER_ID = 4;
const pool = Buffer.alloc(RANDOM_POOL_BYTES);
let poolOffset = RANDOM_POOL_BYTES;

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
  if (poolOffset + RANDOM_BYTES_PER_ID > RANDOM_POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const random = pool.toString('hex', poolOffset, poolOffset + RANDOM_BYTES_PER_ID);
  poolOffset += RANDOM_BYTES_PER_ID;
  return now.toString(36).padStart(9, '0') + counter.toString(36).padStart(4, '0') + random;
}
