// roomcast room page: the mentions feature (issue #14). Plugs into window.roomcastPage (app.js).
// - the composer: `@name` words become the chat's `mentions`; a message's ↩ button makes the next
//   chat a reply (`replyTo`);
// - messages that mention you, or reply to yours, are highlighted;
// - a `mention` frame shows a notice and lands in the inbox panel; the `inbox` frame at connect
//   fills the panel; "mark all read" is POST /inbox/read with the session's token.
// User text only ever goes through textContent.
'use strict';

(function mentions() {
  const page = window.roomcastPage;
  if (!page) return;
  /** As the server's user ids (USER_ID_PATTERN), after an `@`; a trailing dot or colon is punctuation. */
  const MENTION = /(?:^|[^A-Za-z0-9_.:@-])@([A-Za-z0-9_.:@-]{1,128})/g;
  const MAX_MENTIONS = 10;
  const MAX_ITEMS = 50;

  const style = document.createElement('style');
  style.textContent = `
    #messages li.mentions-me { background: rgba(255, 196, 0, 0.16); box-shadow: inset 3px 0 0 #f5b400; }
    #messages li .reply-to { opacity: 0.7; font-size: 0.85em; margin-right: 0.4em; }
    #messages li .reply-btn { border: none; background: none; cursor: pointer; opacity: 0.55; padding: 0 0.3em; }
    #messages li .reply-btn:hover { opacity: 1; }
    #mentions-panel { border: 1px solid rgba(127, 127, 127, 0.3); border-radius: 8px; padding: 0.4em 0.6em; margin: 0.4em 0; }
    #mentions-panel header { display: flex; gap: 0.5em; align-items: center; }
    #mentions-panel .badge { background: #d33; color: #fff; border-radius: 999px; padding: 0 0.5em; font-size: 0.8em; min-width: 1.2em; text-align: center; }
    #mentions-panel .badge[data-count="0"] { background: rgba(127, 127, 127, 0.5); }
    #mentions-panel ul { list-style: none; margin: 0.3em 0 0; padding: 0; max-height: 9em; overflow-y: auto; }
    #mentions-panel li { font-size: 0.9em; padding: 0.15em 0; }
    #mentions-panel li.unread { font-weight: 600; }
    #mentions-panel .reply-chip { font-size: 0.85em; margin-top: 0.3em; }
    #mentions-panel .reply-chip button { margin-left: 0.4em; }
  `;
  document.head.append(style);

  const panel = document.createElement('section');
  panel.id = 'mentions-panel';
  panel.setAttribute('aria-label', 'mentions and replies');
  const header = document.createElement('header');
  const title = document.createElement('strong');
  title.textContent = '@ Inbox';
  const badge = document.createElement('span');
  badge.id = 'inbox-unread';
  badge.className = 'badge';
  badge.title = 'unread mentions and replies';
  const readAll = document.createElement('button');
  readAll.id = 'inbox-read-all';
  readAll.type = 'button';
  readAll.textContent = 'mark all read';
  header.append(title, badge, readAll);
  const list = document.createElement('ul');
  list.id = 'inbox-list';
  const chip = document.createElement('div');
  chip.id = 'reply-chip';
  chip.className = 'reply-chip';
  chip.hidden = true;
  const chipText = document.createElement('span');
  const chipCancel = document.createElement('button');
  chipCancel.type = 'button';
  chipCancel.textContent = '✕';
  chipCancel.setAttribute('aria-label', 'cancel reply');
  chip.append(chipText, chipCancel);
  panel.append(header, list, chip);
  (document.getElementById('live-panels') || document.body).append(panel);

  /** Items shown (newest first), keyed by room/seq/reason: a live notice and its inbox entry are one. */
  let items = [];
  let unread = 0;
  /** The seq the next chat replies to (0: none). */
  let replyTo = 0;

  const keyOf = (i) => `${i.roomId}/${i.seq}/${i.reason}`;

  function render() {
    badge.textContent = String(unread);
    badge.dataset.count = String(unread);
    list.replaceChildren(
      ...items.map((i) => {
        const li = document.createElement('li');
        li.dataset.seq = String(i.seq);
        if (!i.read) li.className = 'unread';
        li.textContent = `${i.reason === 'reply' ? '↩' : '@'} ${i.fromUserId} in #${i.roomId}: ${i.deleted ? '(deleted by a moderator)' : i.text}`;
        return li;
      }),
    );
  }

  function setReply(seq, userId) {
    replyTo = seq;
    chip.hidden = !seq;
    chipText.textContent = seq ? `replying to ${userId} (#${seq})` : '';
    if (seq) {
      const text = document.getElementById('text');
      if (text) text.focus();
    }
  }
  chipCancel.addEventListener('click', () => setReply(0, ''));

  // The composer: `@name` words become mentions; the pending reply goes with the next chat.
  page.chatFields((text, session) => {
    const mentions = [];
    for (const match of text.matchAll(MENTION)) {
      const name = match[1].replace(/[.:]+$/, '');
      if (name && name !== session.userId && !mentions.includes(name)) mentions.push(name);
    }
    const fields = {};
    if (mentions.length > 0) fields.mentions = mentions.slice(0, MAX_MENTIONS);
    if (replyTo) fields.replyTo = replyTo;
    setReply(0, '');
    return fields;
  });

  // Each chat message: a reply button, the seq it replies to, the highlight when it concerns you.
  page.decorate('chat', (li, m, session) => {
    const mine = session && m.userId === session.userId;
    const repliesToMine =
      session && m.replyTo && !mine && document.querySelector(`#messages li[data-seq="${m.replyTo}"][data-user="${CSS.escape(session.userId)}"]`);
    if (session && !mine && ((m.mentions || []).includes(session.userId) || repliesToMine)) li.classList.add('mentions-me');
    if (m.replyTo) {
      const ref = document.createElement('span');
      ref.className = 'reply-to';
      ref.textContent = `↩ #${m.replyTo}`;
      const body = li.querySelector('.body');
      if (body) body.before(ref);
      else li.append(ref);
    }
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'reply-btn';
    btn.textContent = '↩';
    btn.title = `reply to ${m.userId}`;
    btn.setAttribute('aria-label', `reply to ${m.userId}`);
    btn.addEventListener('click', () => setReply(m.seq, m.userId));
    li.append(btn);
  });

  // At connect: the newest unread entries (the gateway reads the inbox).
  page.on('inbox', (frame) => {
    items = frame.items.slice(0, MAX_ITEMS);
    unread = frame.unread;
    render();
  });

  // Live: someone mentioned you, or replied to you. A repeat (a replayed record) is dropped.
  page.on('mention', (frame) => {
    const key = keyOf(frame);
    if (items.some((i) => keyOf(i) === key)) return;
    items.unshift({ ...frame, read: false });
    if (items.length > MAX_ITEMS) items.length = MAX_ITEMS;
    unread += 1;
    render();
    page.notice(
      frame.reason === 'reply' ? `↩ ${frame.fromUserId} replied: ${frame.text}` : `@ ${frame.fromUserId} mentioned you: ${frame.text}`,
      'info',
    );
  });

  readAll.addEventListener('click', async () => {
    const session = page.session();
    if (!session || !session.token) return page.notice('not connected');
    try {
      const res = await fetch('/inbox/read', {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ all: true }),
      });
      const body = await res.json();
      if (!res.ok) return page.notice(`mark read: ${body.message || res.status}`, undefined, body.code);
      for (const i of items) i.read = true;
      unread = body.unread;
      render();
    } catch (err) {
      console.warn('roomcast: mark read failed', err);
      page.notice('mark read failed');
    }
  });

  render();
})();
