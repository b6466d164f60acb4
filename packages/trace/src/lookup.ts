import type { MessageRef, MessageStore, StoredMessage } from '@roomcast/store';

/** A W3C trace id, as log lines carry it (`trace_id`). */
const TRACE_ID = /^[0-9a-f]{32}$/;

/** What the command line named: a message (one or more ways to read it), or a trace directly. */
export type Target = { kind: 'message'; refs: MessageRef[] } | { kind: 'trace'; traceId: string };

/**
 * Reads `<messageId | roomId:seq | userId:clientMsgId | traceId>`. Room and user ids may contain
 * `:` themselves, so the split is at the LAST `:`; a numeric tail is tried as `roomId:seq`
 * first, then as `userId:clientMsgId` (a clientMsgId may be a number too). 32 lowercase hex
 * digits are a trace id (a log line's `trace_id`).
 */
export function parseTarget(arg: string): Target {
  if (TRACE_ID.test(arg)) return { kind: 'trace', traceId: arg };
  const at = arg.lastIndexOf(':');
  if (at <= 0 || at === arg.length - 1) return { kind: 'message', refs: [{ id: arg }] };
  const head = arg.slice(0, at);
  const tail = arg.slice(at + 1);
  const refs: MessageRef[] = [];
  if (/^[1-9][0-9]{0,15}$/.test(tail)) refs.push({ roomId: head, seq: Number(tail) });
  refs.push({ userId: head, clientMsgId: tail });
  // A message id has no `:` today, but an id is the cheapest lookup: try it last.
  refs.push({ id: arg });
  return { kind: 'message', refs };
}

/** The first of `refs` the store has, and which one matched. */
export async function findFirst(
  store: Pick<MessageStore, 'findMessage'>,
  refs: readonly MessageRef[],
): Promise<{ message: StoredMessage; matched: MessageRef } | undefined> {
  for (const ref of refs) {
    const message = await store.findMessage(ref);
    if (message) return { message, matched: ref };
  }
  return undefined;
}

/** `id X`, `room R seq N`, `user U clientMsgId C`. */
export function describeRef(ref: MessageRef): string {
  if ('id' in ref) return `id ${ref.id}`;
  if ('seq' in ref) return `room ${ref.roomId} seq ${ref.seq}`;
  return `user ${ref.userId} clientMsgId ${ref.clientMsgId}`;
}
