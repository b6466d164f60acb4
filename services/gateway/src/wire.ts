import type { BatchedMessage, ChatAcceptedV1 } from '@roomcast/contracts';

/**
 * One accepted message as the JSON object both protocols carry: a `messages` batch item (v2),
 * or, with `type` and `roomId` in front, a `message` frame (v1). Keys in this order, `seq` first:
 * the load tool reads seq and sentAt from the bytes (packages/load/src/frame-scan.ts), and a test
 * pins that it can (fanout.test.ts).
 */
export function encodeItem(m: ChatAcceptedV1): string {
  const item: BatchedMessage = {
    seq: m.seq,
    id: m.id,
    userId: m.userId,
    clientMsgId: m.clientMsgId,
    text: m.text,
    masked: m.masked,
    sentAt: m.sentAt,
    acceptedAt: m.acceptedAt,
  };
  // Only on high-priority messages, and last: ordinary ones carry no priority key at all.
  if (m.priority === 'high') item.priority = 'high';
  // A tombstone (a message a moderator deleted), as catch-ups read it from the recent cache.
  if (m.deleted === true) item.deleted = true;
  // Room events beyond chat (gift, question, poll, ...) and chat's reply/mentions: only when present.
  if (m.kind !== undefined && m.kind !== 'chat') item.kind = m.kind;
  if (m.data !== undefined) item.data = m.data;
  if (m.replyTo !== undefined) item.replyTo = m.replyTo;
  if (m.mentions !== undefined) item.mentions = m.mentions;
  return JSON.stringify(item);
}

/** The v1 `message` frame text of an item: `{"type":"message","roomId":..,` + the item's keys. */
export function messageFrameText(roomIdJson: string, item: string): string {
  return `{"type":"message","roomId":${roomIdJson},${item.slice(1)}`;
}

/** The v2 `messages` frame text covering fromSeq..toSeq, `items` already encoded and in seq order. */
export function messagesFrameText(
  roomIdJson: string,
  fromSeq: number,
  toSeq: number,
  thinned: number,
  items: readonly string[],
): string {
  return `{"type":"messages","roomId":${roomIdJson},"fromSeq":${fromSeq},"toSeq":${toSeq},"thinned":${thinned},"messages":[${items.join(',')}]}`;
}

/** JSON from our own stores (Redis), or undefined when it is not JSON: the caller's schema check refuses it. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
