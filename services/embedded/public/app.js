// roomcast room page: a small self-contained client for the ws protocol (packages/contracts/src/ws.ts).
// Plain ES2020, no build step, no network beyond this host. All user text goes through textContent.
'use strict';

(() => {
  const ROOM_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
  const USER_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
  const MAX_CHAT_TEXT_CHARS = 500;
  const MAX_LIKES_PER_FRAME = 100;
  /** Likes clicked within this window go out as one frame. */
  const LIKE_FLUSH_MS = 150;
  const MAX_LIST_ITEMS = 300;
  const MAX_FLYING = 40;
  const FLY_LANES = 6;
  const HISTORY_ON_JOIN = 50;
  const RECONNECT_BASE_MS = 500;
  const RECONNECT_MAX_MS = 15000;
  const NOTICE_TTL_MS = 8000;
  const MAX_NOTICES = 5;
  /** The host view's mute button mutes for this long. */
  const MUTE_MS = 60_000;
  /** Roles that see the host view (packages/contracts/src/moderation.ts ROOM_ROLES). */
  const MODERATING_ROLES = new Set(['moderator', 'host']);

  const $ = (id) => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`missing #${id}`);
    return el;
  };
  const els = {
    form: $('join-form'),
    name: $('name'),
    room: $('room'),
    asHost: $('as-host'),
    join: $('join'),
    text: $('text'),
    send: $('send'),
    like: $('like'),
    messages: $('messages'),
    online: $('online'),
    likes: $('likes'),
    thinned: $('thinned'),
    thinnedWrap: $('thinned-wrap'),
    status: $('status'),
    notices: $('notices'),
    stage: $('stage'),
    roomLabel: $('room-label'),
    roleState: $('role-state'),
    slowModeState: $('slow-mode-state'),
    mutedState: $('muted-state'),
    hostPanel: $('host-panel'),
    slowMode: $('slow-mode'),
    slowModeApply: $('slow-mode-apply'),
  };

  /** Everything about the current connection; replaced wholesale on every Join click. */
  let s = null;
  let generation = 0;
  let idCounter = 0;
  let flyCounter = 0;
  const idPrefix = Math.random().toString(36).slice(2, 10);
  const nextId = () => `${idPrefix}-${(++idCounter).toString(36)}`;
  const decoder = new TextDecoder();

  // ---------------------------------------------------------------- ui helpers

  function setStatus(state, text) {
    els.status.dataset.state = state;
    els.status.textContent = text;
  }

  function setComposer(enabled) {
    els.text.disabled = !enabled;
    els.send.disabled = !enabled;
    els.like.disabled = !enabled;
  }

  /** A transient line under the composer; `code` (an error code) goes to data-code. */
  function notice(text, kind, code) {
    const li = document.createElement('li');
    if (kind === 'info') li.className = 'info';
    if (code) li.dataset.code = code;
    li.textContent = text;
    els.notices.prepend(li);
    while (els.notices.children.length > MAX_NOTICES) els.notices.lastElementChild.remove();
    setTimeout(() => li.remove(), NOTICE_TTL_MS);
  }

  /** Counts messages the gateway thinned for this viewer (shown next to the likes). */
  function thinnedNote(session, n) {
    session.thinned += n;
    els.thinned.textContent = String(session.thinned);
    els.thinnedWrap.hidden = false;
  }

  function formatTime(ms, withSeconds) {
    const d = new Date(ms);
    const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    return withSeconds ? `${hm}:${String(d.getSeconds()).padStart(2, '0')}` : hm;
  }

  // ---------------------------------------------------------------- room mode and host view

  /** The room's rules for this user (joined, then room-mode frames) on the page. */
  function renderMode() {
    const mode = s ? s.mode : null;
    const moderating = !!mode && MODERATING_ROLES.has(mode.role);
    document.body.classList.toggle('host-view', moderating);
    els.hostPanel.hidden = !moderating;
    els.roleState.hidden = !moderating;
    if (moderating) els.roleState.textContent = `🛡️ ${mode.role}`;
    const slow = mode ? mode.slowModeMs : 0;
    els.slowModeState.hidden = !(slow > 0);
    if (slow > 0) els.slowModeState.textContent = `🐢 slow mode: one message per ${slow / 1000} s`;
    if (moderating && document.activeElement !== els.slowMode) els.slowMode.value = String(slow);
    const muted = mode ? mode.mutedUntil > Date.now() : false;
    els.mutedState.hidden = !muted;
    clearTimeout(s && s.muteTimer);
    if (muted) {
      els.mutedState.textContent = `🔇 you are muted until ${formatTime(mode.mutedUntil, true)}`;
      // Hide the badge when the mute runs out (the gateway sends no frame for that).
      s.muteTimer = setTimeout(renderMode, mode.mutedUntil - Date.now() + 50);
    }
  }

  /** Per-message host buttons: delete it; mute or ban its author (not on one's own messages). */
  function modButtons(m) {
    const span = document.createElement('span');
    span.className = 'mod';
    const button = (cls, label, title, action, what) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = cls;
      b.textContent = label;
      b.title = title;
      b.addEventListener('click', () => moderate(action, what));
      span.append(b);
    };
    button('delete', '🗑️', 'delete this message', { kind: 'delete', seq: m.seq }, `delete message #${m.seq}`);
    if (m.userId !== s.userId && m.priority !== 'high') {
      button(
        'mute',
        '🔇',
        `mute ${m.userId} for ${MUTE_MS / 1000} s`,
        { kind: 'mute', userId: m.userId, durationMs: MUTE_MS },
        `mute ${m.userId} for ${MUTE_MS / 1000} s`,
      );
      button('ban', '⛔', `ban ${m.userId} from this room`, { kind: 'ban', userId: m.userId }, `ban ${m.userId}`);
    }
    return span;
  }

  /** A deleted message leaves the page: its line and its flying copy (the seq stays "shown"). */
  function removeMessage(seq) {
    const li = els.messages.querySelector(`li[data-seq="${seq}"]`);
    if (li) li.remove();
    const flying = els.stage.querySelector(`.fly[data-seq="${seq}"]`);
    if (flying) flying.remove();
    if (!els.messages.querySelector('li[data-seq]')) showEmpty();
  }

  function showEmpty() {
    els.messages.replaceChildren();
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No messages yet — say hi.';
    els.messages.append(li);
  }

  function nearBottom() {
    const m = els.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 40;
  }

  /** Inserts a message in seq order; false if that seq is already shown. */
  function insertMessage(m, live) {
    if (!s || s.shown.has(m.seq)) return false;
    s.shown.add(m.seq);
    // A tombstone (catch-up or history of a message a moderator deleted): never shown.
    if (m.deleted) return false;
    const empty = els.messages.querySelector('.empty');
    if (empty) empty.remove();

    const li = document.createElement('li');
    li.dataset.seq = String(m.seq);
    li.dataset.user = m.userId;
    if (m.userId === s.userId) li.classList.add('mine');
    // High priority: system notices (never thinned, sent without waiting for the delivery window).
    if (m.priority === 'high') li.classList.add('notice');
    if (m.masked) {
      li.classList.add('masked');
      li.title = 'some words were masked';
    }
    const time = document.createElement('span');
    time.className = 'time';
    time.textContent = formatTime(m.acceptedAt);
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = m.userId;
    const body = document.createElement('span');
    body.className = 'body';
    body.textContent = m.text;
    li.append(time, who, body, modButtons(m));
    // Room events beyond chat (gift, question, poll, ...): the feature scripts decorate their kind.
    if (m.kind) li.dataset.kind = m.kind;
    for (const fn of decorators.get(m.kind || 'chat') || []) safely(() => fn(li, m, s));

    const stick = nearBottom();
    let ref = null;
    let node = els.messages.lastElementChild;
    while (node && Number(node.dataset.seq) > m.seq) {
      ref = node;
      node = node.previousElementSibling;
    }
    els.messages.insertBefore(li, ref);
    while (els.messages.children.length > MAX_LIST_ITEMS) {
      const first = els.messages.firstElementChild;
      s.shown.delete(Number(first.dataset.seq));
      first.remove();
    }
    if (stick || m.userId === s.userId) els.messages.scrollTop = els.messages.scrollHeight;
    if (live) fly(m);
    return true;
  }

  function fly(m) {
    if (els.stage.querySelectorAll('.fly').length >= MAX_FLYING) return;
    const span = document.createElement('span');
    span.className = m.userId === s.userId ? 'fly mine' : 'fly';
    span.dataset.seq = String(m.seq);
    span.textContent = m.text;
    span.style.top = `${12 + (flyCounter++ % FLY_LANES) * 30}px`;
    span.style.setProperty('--dist', `${els.stage.clientWidth}px`);
    span.style.animationDuration = `${7 + Math.random() * 3}s`;
    span.addEventListener('animationend', () => span.remove(), { once: true });
    els.stage.append(span);
  }

  // ---------------------------------------------------------------- connection

  /** Sends a moderate frame; the reply (moderated, or an error with its reqId) becomes a notice. */
  function moderate(action, what) {
    if (!s || !s.joined) return;
    const reqId = nextId();
    if (!send({ type: 'moderate', roomId: s.roomId, reqId, action })) return notice('not connected');
    s.moderations.set(reqId, what);
  }

  function send(frame) {
    if (!s || !s.ws || s.ws.readyState !== WebSocket.OPEN) return false;
    s.ws.send(JSON.stringify(frame));
    return true;
  }

  /** `hostOf`: a room id to get the host role in (embedded mode mints whatever is asked). */
  async function fetchToken(userId, hostOf) {
    const res = await fetch('/dev/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hostOf ? { userId, roles: { [hostOf]: 'host' } } : { userId }),
    });
    if (!res.ok) throw new Error(`POST /dev/token: HTTP ${res.status}`);
    const body = await res.json();
    if (!body || typeof body.token !== 'string') throw new Error('POST /dev/token: no token in reply');
    return body.token;
  }

  function stop() {
    if (!s) return;
    s.stopped = true;
    clearTimeout(s.reconnectTimer);
    clearTimeout(s.likeTimer);
    clearTimeout(s.muteTimer);
    if (s.ws) s.ws.close(1000, 'leaving');
    s.ws = null;
    s = null;
  }

  async function start() {
    let userId = els.name.value.trim();
    if (!userId) userId = `guest-${Math.random().toString(36).slice(2, 7)}`;
    userId = userId.replace(/[^A-Za-z0-9_.:@-]/g, '_').slice(0, 128);
    const roomId = els.room.value.trim() || 'lobby';
    if (!USER_ID_PATTERN.test(userId)) return notice('name: use letters, digits and _ . : @ -');
    if (!ROOM_ID_PATTERN.test(roomId)) return notice('room id: 1–64 of letters, digits and _ . : -');
    els.name.value = userId;
    els.room.value = roomId;

    stop();
    const gen = ++generation;
    s = {
      gen,
      userId,
      roomId,
      token: '',
      ws: null,
      joined: false,
      lastSeq: 0,
      thinned: 0,
      hadJoined: false,
      attempt: 0,
      reconnectTimer: 0,
      likeTimer: 0,
      likeBuffer: 0,
      pending: new Map(),
      /** reqId -> what a moderate frame asked, for its reply's notice. */
      moderations: new Map(),
      shown: new Set(),
      stopped: false,
      mode: { role: 'viewer', slowModeMs: 0, mutedUntil: 0 },
      muteTimer: 0,
    };
    const hostOf = els.asHost.checked ? roomId : undefined;
    els.roomLabel.textContent = `#${roomId}`;
    els.online.textContent = '0';
    els.likes.textContent = '0';
    els.thinned.textContent = '0';
    els.thinnedWrap.hidden = true;
    showEmpty();
    renderMode();
    setComposer(false);
    setStatus('connecting', 'getting a token…');
    try {
      s.token = await fetchToken(userId, hostOf);
    } catch (err) {
      if (gen !== generation) return;
      setStatus('closed', 'could not get a token');
      notice(String(err && err.message ? err.message : err));
      return;
    }
    if (gen !== generation) return;
    open();
  }

  function open() {
    const session = s;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // protocol=2: the room's messages come as `messages` batch frames (docs/protocol.md).
    const ws = new WebSocket(
      `${scheme}//${location.host}/ws?token=${encodeURIComponent(session.token)}&protocol=2`,
    );
    ws.binaryType = 'arraybuffer';
    session.ws = ws;
    setStatus('connecting', 'connecting…');
    ws.onmessage = (ev) => {
      if (session.ws === ws) onData(session, ev.data);
    };
    ws.onerror = () => {
      // Browsers always follow an error with a close event, which decides what happens next.
      if (session.ws === ws) setStatus('connecting', 'connection error');
    };
    ws.onclose = (ev) => {
      if (session.ws === ws) onClose(session, ev.code, ev.reason);
    };
  }

  function onClose(session, code, reason) {
    session.ws = null;
    session.joined = false;
    setComposer(false);
    for (const text of session.pending.values()) notice(`not sent (connection lost): ${text}`);
    session.pending.clear();
    for (const what of session.moderations.values()) notice(`not done (connection lost): ${what}`);
    session.moderations.clear();
    if (session.stopped) return;
    if (code >= 4500 && code <= 4999) {
      const why =
        code === 4501
          ? 'unauthorized'
          : code === 4502
            ? 'token expired — press Join again'
            : code === 4503
              ? 'banned'
              : 'refused';
      setStatus('closed', `disconnected: ${why}${reason ? ` (${reason})` : ''}`);
      return;
    }
    // 4000–4499 and abnormal closes: back off (exponential, half of it random) and come back.
    const exp = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(session.attempt, 20));
    const delay = Math.round(exp / 2 + (Math.random() * exp) / 2);
    session.attempt++;
    setStatus('reconnecting', `reconnecting in ${(delay / 1000).toFixed(1)} s (code ${code})`);
    session.reconnectTimer = setTimeout(() => {
      if (s === session && !session.stopped) open();
    }, delay);
  }

  // ---------------------------------------------------------------- feature scripts

  /**
   * The hooks the live-room feature scripts (live-*.js: gifts, mentions and inbox, Q&A, polls,
   * pinned message and products) plug into, so that each lives in its own file:
   * - `on(type, fn)`: fn(frame, session) for every server frame of that type (room-state, mention,
   *   inbox, joined, messages, ...), before the page's own handling;
   * - `decorate(kind, fn)`: fn(li, message, session) for each message of that kind shown;
   * - `request(frame)`: sends a frame with a fresh reqId; resolves with the `done` or `error` reply;
   * - `send`, `session()`, `notice`, `nextId`, `sendSubmission(frame, label)` (chat-like frames
   *   acked by clientMsgId: gift, ask).
   */
  const hooks = new Map();
  const decorators = new Map();
  const requests = new Map();
  const chatFieldHooks = [];
  function safely(fn) {
    try {
      fn();
    } catch (err) {
      console.warn('roomcast: feature script failed', err);
    }
  }
  const addTo = (map, key, fn) => {
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(fn);
  };
  window.roomcastPage = {
    on: (type, fn) => addTo(hooks, type, fn),
    decorate: (kind, fn) => addTo(decorators, kind, fn),
    /** `fn(text, session)` returns fields to add to each chat the composer sends (e.g. mentions). */
    chatFields: (fn) => chatFieldHooks.push(fn),
    send: (frame) => send(frame),
    session: () => s,
    notice: (text, kind, code) => notice(text, kind, code),
    nextId,
    request(frame) {
      const reqId = nextId();
      return new Promise((resolve) => {
        if (!send({ ...frame, reqId })) return resolve({ type: 'error', code: 'NOT_CONNECTED', message: 'not connected' });
        requests.set(reqId, resolve);
      });
    },
    /** Sends a frame acked by clientMsgId (gift, ask); a refusal becomes a notice naming `label`. */
    sendSubmission(frame, label) {
      if (!s || !s.joined) return false;
      const clientMsgId = nextId();
      if (!send({ ...frame, clientMsgId, sentAt: Date.now() })) return false;
      s.pending.set(clientMsgId, label);
      return true;
    },
  };

  /** clientMsgIds whose rejection was shown (this page's life). */
  const seenRejections = new Set();

  function onData(session, data) {
    let frame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
    } catch (err) {
      console.warn('roomcast: bad frame from server', err);
      return;
    }
    if (!frame || typeof frame.type !== 'string') return;
    // Replies to the feature scripts' requests (done, or an error with their reqId).
    if ((frame.type === 'done' || frame.type === 'error') && frame.reqId && requests.has(frame.reqId)) {
      const settle = requests.get(frame.reqId);
      requests.delete(frame.reqId);
      settle(frame);
      return;
    }
    for (const fn of hooks.get(frame.type) || []) safely(() => fn(frame, session));
    switch (frame.type) {
      case 'welcome':
        session.attempt = 0;
        setStatus('open', `connected as ${frame.userId}, joining #${session.roomId}…`);
        // After a reconnect: resume from the newest seq shown; the gateway sends what was missed first.
        send(
          session.hadJoined
            ? { type: 'join', roomId: session.roomId, reqId: nextId(), afterSeq: session.lastSeq }
            : { type: 'join', roomId: session.roomId, reqId: nextId() },
        );
        return;
      case 'joined':
        if (frame.roomId !== session.roomId) return;
        onJoined(session, frame);
        return;
      case 'message':
        if (frame.roomId !== session.roomId) return;
        if (frame.seq > session.lastSeq) session.lastSeq = frame.seq;
        insertMessage(frame, true);
        return;
      case 'messages':
        // A batch: several of the room's messages in seq order; seqs of fromSeq..toSeq that are not
        // here were thinned (a very hot room), not lost — history has them.
        if (frame.roomId !== session.roomId || !Array.isArray(frame.messages)) return;
        for (const m of frame.messages) insertMessage({ ...m, roomId: frame.roomId }, true);
        if (frame.toSeq > session.lastSeq) session.lastSeq = frame.toSeq;
        if (frame.thinned > 0) thinnedNote(session, frame.thinned);
        return;
      case 'ack':
        session.pending.delete(frame.clientMsgId);
        return;
      case 'rejected':
        session.pending.delete(frame.clientMsgId);
        // The gateway repeats recent rejections at every connect: tell each once.
        if (seenRejections.has(frame.clientMsgId)) return;
        seenRejections.add(frame.clientMsgId);
        notice(`your message was blocked: ${frame.reason}`);
        return;
      case 'likes':
        if (frame.roomId === session.roomId) els.likes.textContent = String(frame.total + session.likeBuffer);
        return;
      case 'online':
        if (frame.roomId === session.roomId) els.online.textContent = String(frame.count);
        return;
      case 'error': {
        const text = frame.clientMsgId ? session.pending.get(frame.clientMsgId) : undefined;
        const what = frame.reqId ? session.moderations.get(frame.reqId) : undefined;
        if (text !== undefined) {
          session.pending.delete(frame.clientMsgId);
          const why =
            frame.code === 'MUTED'
              ? session.mode.mutedUntil > Date.now()
                ? `you are muted until ${formatTime(session.mode.mutedUntil, true)}`
                : 'you are muted in this room'
              : frame.code === 'SLOW_MODE'
                ? `slow mode: one message per ${session.mode.slowModeMs / 1000} s, wait a little`
                : `${frame.message}${frame.temporary ? ' (try again)' : ''}`;
          notice(`not sent: ${why} — “${text}”`, undefined, frame.code);
        } else if (what !== undefined) {
          session.moderations.delete(frame.reqId);
          notice(`could not ${what}: ${frame.message} (${frame.code})`, undefined, frame.code);
        } else {
          notice(`server: ${frame.message} (${frame.code})`, undefined, frame.code);
        }
        return;
      }
      case 'moderated': {
        const what = frame.reqId ? session.moderations.get(frame.reqId) : undefined;
        if (what === undefined) return;
        session.moderations.delete(frame.reqId);
        notice(`done: ${what}`, 'info');
        return;
      }
      case 'deleted':
        if (frame.roomId !== session.roomId) return;
        // Also for a seq not shown yet (a history page on its way): it must not appear later.
        session.shown.add(frame.seq);
        removeMessage(frame.seq);
        return;
      case 'room-mode':
        if (frame.roomId !== session.roomId) return;
        if (frame.role !== undefined) session.mode.role = frame.role;
        if (frame.slowModeMs !== undefined) session.mode.slowModeMs = frame.slowModeMs;
        if (frame.mutedUntil !== undefined) session.mode.mutedUntil = frame.mutedUntil;
        renderMode();
        return;
      default:
        return; // pong and future frame types
    }
  }

  function onJoined(session, frame) {
    const rejoin = session.hadJoined;
    session.joined = true;
    session.hadJoined = true;
    // joined states the whole mode: a field left out is off (viewer, no slow mode, not muted).
    session.mode = {
      role: frame.role || 'viewer',
      slowModeMs: frame.slowModeMs || 0,
      mutedUntil: frame.mutedUntil || 0,
    };
    renderMode();
    setComposer(true);
    setStatus('joined', `in #${session.roomId} as ${session.userId}`);
    if (!rejoin) els.text.focus();
    // Backfill from the history API: recent messages on first join; after a reconnect only what the
    // gateway's catch-up could not send (joined.missing, older than its recent-message cache).
    if (!rejoin) {
      const from = Math.max(0, frame.lastSeq - HISTORY_ON_JOIN);
      if (frame.lastSeq > from) void loadHistory(session, from);
    } else if (frame.missing) {
      void loadHistory(session, Math.max(frame.missing.fromSeq - 1, frame.missing.toSeq - HISTORY_ON_JOIN));
    }
    if (frame.lastSeq > session.lastSeq) session.lastSeq = frame.lastSeq;
  }

  async function loadHistory(session, afterSeq) {
    const url = `/rooms/${encodeURIComponent(session.roomId)}/messages?afterSeq=${afterSeq}&limit=${HISTORY_ON_JOIN}`;
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${session.token}` } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      if (s !== session || !body || !Array.isArray(body.messages)) return;
      for (const m of body.messages) {
        if (m && typeof m.seq === 'number' && typeof m.text === 'string') insertMessage(m, false);
      }
    } catch (err) {
      console.warn('roomcast: history unavailable', err);
    }
  }

  // ---------------------------------------------------------------- actions

  function sendChat() {
    if (!s || !s.joined) return;
    const text = els.text.value.trim();
    if (!text) return;
    if (text.length > MAX_CHAT_TEXT_CHARS)
      return notice(`messages are at most ${MAX_CHAT_TEXT_CHARS} characters`);
    const clientMsgId = nextId();
    const frame = { type: 'chat', roomId: s.roomId, clientMsgId, text, sentAt: Date.now() };
    // Fields the feature scripts add to a chat (live-mentions.js: mentions, replyTo).
    for (const fn of chatFieldHooks) safely(() => Object.assign(frame, fn(text, s)));
    if (!send(frame)) return notice('not connected');
    s.pending.set(clientMsgId, text);
    els.text.value = '';
    els.text.focus();
  }

  function like() {
    if (!s || !s.joined) return;
    s.likeBuffer++;
    els.likes.textContent = String(Number(els.likes.textContent || '0') + 1);
    if (s.likeTimer) return;
    const session = s;
    session.likeTimer = setTimeout(() => {
      session.likeTimer = 0;
      while (session.likeBuffer > 0) {
        const count = Math.min(session.likeBuffer, MAX_LIKES_PER_FRAME);
        session.likeBuffer -= count;
        if (!send({ type: 'like', roomId: session.roomId, count })) break;
      }
      session.likeBuffer = 0;
    }, LIKE_FLUSH_MS);
  }

  els.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void start();
  });
  els.send.addEventListener('click', sendChat);
  els.text.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.isComposing) {
      ev.preventDefault();
      sendChat();
    }
  });
  els.like.addEventListener('click', like);
  els.slowModeApply.addEventListener('click', () => {
    const intervalMs = Number(els.slowMode.value);
    moderate(
      { kind: 'slow-mode', intervalMs },
      intervalMs > 0 ? `set slow mode to one message per ${intervalMs / 1000} s` : 'turn slow mode off',
    );
  });

  // Convenience for manual testing: ?room=...&name=... prefill the form.
  const params = new URLSearchParams(location.search);
  if (params.get('room')) els.room.value = params.get('room');
  if (params.get('name')) els.name.value = params.get('name');
  if (params.get('host') === '1') els.asHost.checked = true;
  showEmpty();
})();
