// roomcast room page: the qa feature (issue #14). Plugs into window.roomcastPage (app.js).
//
// A Q&A panel: an ask box (an `ask` frame: a message of kind `question`, filtered and numbered
// like chat), and the room's board from the room state `questions` (top 20 by votes) with an
// upvote button each (`vote {target: question}`, once per user); moderators and hosts also get
// "answered" and "highlight" toggles (`host {action: question}`). All user text via textContent.
'use strict';
(function () {
  const page = window.roomcastPage;
  if (!page) return;
  const MODERATING = new Set(['moderator', 'host']);

  const style = document.createElement('style');
  style.textContent = `
    #qa-panel { border: 1px solid var(--line, #333); border-radius: 8px; padding: 8px; margin: 8px 0; background: var(--panel, #181b22); }
    #qa-panel h3 { margin: 0 0 6px; font-size: 14px; }
    #qa-panel form { display: flex; gap: 6px; margin-bottom: 6px; }
    #qa-panel input[type=text] { flex: 1; min-width: 0; }
    #qa-list { list-style: none; margin: 0; padding: 0; max-height: 220px; overflow-y: auto; }
    #qa-list li { display: flex; align-items: center; gap: 6px; padding: 3px 0; border-top: 1px solid var(--line, #333); }
    #qa-list li .qa-text { flex: 1; overflow-wrap: anywhere; }
    #qa-list li .qa-who { color: var(--muted, #8a90a0); font-size: 12px; }
    #qa-list li.answered .qa-text { text-decoration: line-through; color: var(--muted, #8a90a0); }
    #qa-list li.highlighted { background: rgba(240, 180, 41, 0.15); }
    #qa-list li .qa-vote.voted { color: var(--accent, #ff4d6d); }
    #qa-list .qa-empty { color: var(--muted, #8a90a0); font-style: italic; }
  `;
  document.head.append(style);

  const panel = document.createElement('section');
  panel.id = 'qa-panel';
  const title = document.createElement('h3');
  title.textContent = '❓ Q&A';
  const form = document.createElement('form');
  const input = document.createElement('input');
  input.type = 'text';
  input.id = 'qa-input';
  input.maxLength = 500;
  input.placeholder = 'ask the host a question…';
  const ask = document.createElement('button');
  ask.type = 'submit';
  ask.id = 'qa-ask';
  ask.textContent = 'ask';
  form.append(input, ask);
  const list = document.createElement('ol');
  list.id = 'qa-list';
  panel.append(title, form, list);
  (document.getElementById('live-panels') || document.body).append(panel);

  /** The last board shown, and the questions this page upvoted (a repeat is not counted anyway). */
  let board = { items: [] };
  const voted = new Set();

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const s = page.session();
    const text = input.value.trim();
    if (!s || !text) return;
    if (page.sendSubmission({ type: 'ask', roomId: s.roomId, text }, `question “${text.slice(0, 40)}”`)) input.value = '';
    else page.notice('not connected');
  });

  const role = () => {
    const s = page.session();
    return s && s.mode ? s.mode.role : 'viewer';
  };

  function button(cls, text, titleText, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = cls;
    b.textContent = text;
    b.title = titleText;
    b.addEventListener('click', onClick);
    return b;
  }

  async function reply(frame, what) {
    const r = await page.request(frame);
    if (r.type === 'error') page.notice(`${what}: ${r.message}`, 'error', r.code);
    return r;
  }

  function render() {
    list.replaceChildren();
    if (board.items.length === 0) {
      const li = document.createElement('li');
      li.className = 'qa-empty';
      li.textContent = 'no questions yet';
      list.append(li);
      return;
    }
    const moderating = MODERATING.has(role());
    for (const q of board.items) {
      const li = document.createElement('li');
      li.dataset.seq = String(q.seq);
      li.classList.toggle('answered', q.answered);
      li.classList.toggle('highlighted', q.highlighted);
      const s = page.session();
      const up = button('qa-vote', `▲ ${q.votes}`, 'upvote (once)', async () => {
        if (!s) return;
        const r = await reply({ type: 'vote', roomId: s.roomId, target: { kind: 'question', seq: q.seq } }, 'upvote');
        if (r.type === 'done') {
          voted.add(q.seq);
          up.classList.add('voted');
          if (r.result && r.result.counted === false) page.notice('you upvoted this question already');
        }
      });
      if (voted.has(q.seq)) up.classList.add('voted');
      const text = document.createElement('span');
      text.className = 'qa-text';
      text.textContent = q.text;
      const who = document.createElement('span');
      who.className = 'qa-who';
      who.textContent = q.userId;
      li.append(up, text, who);
      if (moderating) {
        const mark = (flags, what) => () =>
          s && reply({ type: 'host', roomId: s.roomId, action: { kind: 'question', seq: q.seq, ...flags } }, what);
        li.append(
          button('qa-answered', q.answered ? '↺ unanswer' : '✓ answered', 'mark answered', mark({ answered: !q.answered }, 'mark answered')),
          button('qa-highlight', q.highlighted ? '☆ unhighlight' : '★ highlight', 'highlight', mark({ highlighted: !q.highlighted }, 'highlight')),
        );
      }
      list.append(li);
    }
  }

  page.on('room-state', (frame, session) => {
    if (frame.key !== 'questions' || frame.roomId !== session.roomId || !frame.value) return;
    board = frame.value;
    render();
  });
  // A new room: an empty board until its state arrives. The role is known once the page handled
  // `joined` / `room-mode` (hooks run before it): render after.
  page.on('joined', (frame, session) => {
    if (frame.roomId !== session.roomId) return;
    if (!session.qaRoom || session.qaRoom !== frame.roomId) {
      session.qaRoom = frame.roomId;
      board = { items: [] };
      voted.clear();
    }
    setTimeout(render, 0);
  });
  page.on('room-mode', () => setTimeout(render, 0));
  page.decorate('question', (li) => {
    const tag = document.createElement('span');
    tag.className = 'kind-tag';
    tag.textContent = '❓';
    li.prepend(tag);
  });
  render();
})();
