// roomcast room page: the gifts feature (issue #14). Plugs into window.roomcastPage (app.js).
// Gift buttons send `gift` frames; each gift message pops a big emoji on the stage with its combo
// counter (×N, growing while the combo lasts); the `leaderboard` room state fills the top-gifters
// panel; gift messages in the chat list get their emoji and combo. docs/live-room.md "Gifts".
'use strict';

(function () {
  const page = window.roomcastPage;
  if (!page) return;

  /** The gifts on the page; the server values them by GIFT_VALUES (unknown ones are worth 1). */
  const GIFTS = [
    { id: 'rose', emoji: '🌹', label: 'rose' },
    { id: 'heart', emoji: '💖', label: 'heart' },
    { id: 'rocket', emoji: '🚀', label: 'rocket' },
  ];
  const emojiOf = (giftId) => (GIFTS.find((g) => g.id === giftId) || { emoji: '🎁' }).emoji;
  /** A combo's pop stays this long after its last gift (the server's default combo window), ms. */
  const POP_MS = 3000;
  /** Gifts older than this when they arrive (a catch-up after join) are listed, not animated, ms. */
  const LIVE_MS = 10000;
  const MAX_POPS = 4;

  const style = document.createElement('style');
  style.textContent = `
    #gift-bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
    #gift-bar .gift-btn { font-size: 20px; padding: 4px 12px; border-radius: 999px; }
    #gift-bar .gift-btn span { font-size: 13px; margin-left: 4px; color: var(--muted); }
    #gift-leaderboard { border: 1px solid var(--line); border-radius: 12px; background: var(--panel); padding: 8px 12px; margin: 8px 0; }
    #gift-leaderboard h3 { margin: 0 0 6px; font-size: 14px; }
    #gift-leaderboard ol { margin: 0; padding-left: 22px; font-size: 14px; }
    #gift-leaderboard li .total { color: #ffd166; margin-left: 8px; font-variant-numeric: tabular-nums; }
    #gift-leaderboard .empty { color: var(--muted); font-size: 13px; }
    .gift-pop { position: absolute; left: 50%; top: 44%; transform: translate(-50%, -50%); display: flex;
      align-items: center; gap: 10px; pointer-events: none; animation: gift-in 0.5s ease-out; }
    .gift-pop .emoji { font-size: 72px; line-height: 1; filter: drop-shadow(0 4px 10px rgba(0,0,0,.6)); }
    .gift-pop .combo { font-size: 34px; font-weight: 800; color: #ffd166; text-shadow: 0 2px 4px #000; }
    .gift-pop .from { position: absolute; top: 100%; left: 50%; transform: translateX(-50%); white-space: nowrap;
      font-size: 13px; font-weight: 600; text-shadow: 0 1px 2px #000; }
    .gift-pop.bump .combo { animation: gift-bump 0.35s ease-out; }
    .gift-pop.leaving { transition: opacity 0.4s, transform 0.4s; opacity: 0; transform: translate(-50%, -120%); }
    @keyframes gift-in { from { transform: translate(-50%, 30%) scale(0.3); opacity: 0; } }
    @keyframes gift-bump { 50% { transform: scale(1.5); } }
    .chat li.gift .body { color: #ffd166; font-weight: 600; }
    .chat li.gift .gift-combo { margin-left: 6px; font-size: 12px; color: var(--accent); font-weight: 700; }
  `;
  document.head.append(style);

  // ---------------------------------------------------------------- gift buttons and leaderboard

  const panels = document.getElementById('live-panels');
  const bar = document.createElement('div');
  bar.id = 'gift-bar';
  for (const g of GIFTS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'gift-btn';
    b.dataset.gift = g.id;
    b.title = `send a ${g.label}`;
    b.setAttribute('aria-label', `send a ${g.label}`);
    const name = document.createElement('span');
    name.textContent = g.label;
    b.append(g.emoji, name);
    b.addEventListener('click', () => {
      const s = page.session();
      if (!s || !s.joined) return page.notice('join a room to send gifts', 'warn');
      page.sendSubmission({ type: 'gift', roomId: s.roomId, giftId: g.id, count: 1 }, `${g.emoji} ${g.label}`);
    });
    bar.append(b);
  }

  const board = document.createElement('section');
  board.id = 'gift-leaderboard';
  board.setAttribute('aria-label', 'top gifters');
  const title = document.createElement('h3');
  title.textContent = '🏆 Top gifters';
  const list = document.createElement('ol');
  const none = document.createElement('div');
  none.className = 'empty';
  none.textContent = 'no gifts yet';
  board.append(title, none, list);
  if (panels) panels.append(bar, board);

  function renderBoard(value) {
    const top = value && Array.isArray(value.top) ? value.top : [];
    list.replaceChildren(
      ...top.map((row) => {
        const li = document.createElement('li');
        li.dataset.user = String(row.userId);
        const who = document.createElement('span');
        who.className = 'who';
        who.textContent = String(row.userId);
        const total = document.createElement('span');
        total.className = 'total';
        total.textContent = `${Number(row.total)} 💎`;
        li.append(who, total);
        return li;
      }),
    );
    none.hidden = top.length > 0;
  }

  page.on('room-state', (frame, s) => {
    if (frame.key === 'leaderboard' && s && frame.roomId === s.roomId) renderBoard(frame.value);
  });
  // A new room starts empty until its state arrives at join.
  page.on('joined', () => renderBoard(null));

  // ---------------------------------------------------------------- the animation

  const stage = document.getElementById('stage');
  /** combo id -> {el, timer} */
  const pops = new Map();

  function pop(m) {
    if (!stage || !m.data || !m.data.giftId) return;
    const combo = m.data.combo || { id: m.id, count: m.data.count };
    let p = pops.get(combo.id);
    if (!p) {
      if (pops.size >= MAX_POPS) return;
      const el = document.createElement('div');
      el.className = 'gift-pop';
      el.dataset.combo = combo.id;
      el.dataset.gift = m.data.giftId;
      const emoji = document.createElement('span');
      emoji.className = 'emoji';
      emoji.textContent = emojiOf(m.data.giftId);
      const count = document.createElement('span');
      count.className = 'combo';
      const from = document.createElement('span');
      from.className = 'from';
      from.textContent = `${m.userId} sent ${m.data.giftId}`;
      el.append(emoji, count, from);
      // Several combos at once stand side by side.
      el.style.left = `${30 + (pops.size % 3) * 20}%`;
      stage.append(el);
      p = { el, timer: 0, count: 0 };
      pops.set(combo.id, p);
    }
    // Messages may arrive out of order within a batch: the counter never goes down.
    if (combo.count > p.count) {
      p.count = combo.count;
      p.el.querySelector('.combo').textContent = `×${combo.count}`;
      p.el.dataset.count = String(combo.count);
      p.el.classList.remove('bump');
      void p.el.offsetWidth; // restart the bump animation
      p.el.classList.add('bump');
    }
    clearTimeout(p.timer);
    const el = p.el;
    p.timer = setTimeout(() => {
      pops.delete(combo.id);
      el.classList.add('leaving');
      setTimeout(() => el.remove(), 450);
    }, POP_MS);
  }

  function onMessages(messages, s) {
    const now = Date.now();
    for (const m of messages)
      if (m.kind === 'gift' && !m.deleted && now - m.acceptedAt < LIVE_MS) pop(m);
  }
  page.on('messages', (frame, s) => s && frame.roomId === s.roomId && onMessages(frame.messages, s));
  page.on('message', (frame, s) => s && frame.roomId === s.roomId && onMessages([frame], s));

  // ---------------------------------------------------------------- gift messages in the chat list

  page.decorate('gift', (li, m) => {
    li.classList.add('gift');
    const body = li.querySelector('.body');
    if (!body || !m.data) return;
    body.textContent = `${emojiOf(m.data.giftId)} sent ${m.data.count} × ${m.data.giftId}`;
    if (m.data.combo && m.data.combo.count > m.data.count) {
      const combo = document.createElement('span');
      combo.className = 'gift-combo';
      combo.textContent = `combo ×${m.data.combo.count}`;
      body.after(combo);
    }
  });
})();
