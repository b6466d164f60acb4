/** Why a user is told about a message: they were mentioned, or it replies to their message. */
export type NoticeReason = 'mention' | 'reply';

/**
 * Who an accepted message notifies, and why (docs/live-room.md): the author of the message it
 * replies to (`reply`) and each mentioned user (`mention`) — never the sender, each user once (an
 * author who is also mentioned gets the `reply`, the closer link). Notification (live `mention`
 * frames) and persistence (the inbox) both use it, so the two always agree.
 *
 * @param replyAuthor the author of `message.replyTo`, when the caller could resolve it.
 */
export function noticeTargets(
  message: { userId: string; mentions?: readonly string[] | undefined },
  replyAuthor: string | undefined,
): { userId: string; reason: NoticeReason }[] {
  const out: { userId: string; reason: NoticeReason }[] = [];
  const seen = new Set<string>([message.userId]);
  if (replyAuthor !== undefined && !seen.has(replyAuthor)) {
    seen.add(replyAuthor);
    out.push({ userId: replyAuthor, reason: 'reply' });
  }
  for (const userId of message.mentions ?? []) {
    if (seen.has(userId)) continue;
    seen.add(userId);
    out.push({ userId, reason: 'mention' });
  }
  return out;
}
