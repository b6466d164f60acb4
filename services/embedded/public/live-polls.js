// roomcast room page: the polls feature (issue #14). Plugs into window.roomcastPage (app.js).
//
// The room's poll from the room state `poll`: options as vote buttons (`vote {target: poll}`,
// once per user), live tallies as bars, and once closed the result (a quiz's correct answer
// marked). Hosts get a small form to open a poll or a quiz (`host poll-open`) and a close button
// (`host poll-close`). The open/closed announcements are messages of kind `poll` in the chat.
'use strict';
(function () {
  const page = window.roomcastPage;
  if (!page) return;

  const style = document.createElement('style');
  style.textContent = `
    #poll-panel { border: 1px solid var(--line, #333); border-radius: 8px; padding: 8px; margin: 8px 0; background: var(--panel, #181b22); }
    #poll-panel h3 { margin: 0 0 6px; font-size: 14px; }
    #poll-question { font-weight: 600; margin-bottom: 4px; overflow-wrap: anywhere; }
    #poll-options { list-style: none; margin: 0; padding: 0; }
    #poll-options li { position: relative; margin: 3px 0; }
    #poll-options button { position: relative; width: 100%; text-align: left; background: transparent; border: 1px solid var(--line, #333); color: inherit; padding: 4px 6px; border-radius: 4px; overflow: hidden; }
    #poll-options .bar { position: absolute; inset: 0 auto 0 0; background: rgba(255, 77, 109, 0.25); z-index: 0; transition: width 0.3s; }
    #poll-options .label { position: relative; z-index: 1; overflow-wrap: anywhere; }
    #poll-options .count { position: relative; z-index: 1; float: right; color: var(--muted, #8a90a0); }
    #poll-options li.correct button { border-color: var(--ok, #39c07f); }
    #poll-options li.mine button { font-weight: 600; }
    #poll-status { color: var(--muted, #8a90a0); font-size: 12px; margin-top: 4px; }
    #poll-host { display: grid; gap: 4px; margin-top: 6px; border-top: 1px dashed var(--line, #333); padding-top: 6px; }
    #poll-host textarea { min-height: 48px; }
    #poll-host .row { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
  `;
  document.head.append(style);

  const el = (tag, props) => Object.assign(document.createElement(tag), props || {});
  const panel = el('section', { id: 'poll-panel' });
  const title = el('h3', { textContent: '📊 poll' });
  const question = el('div', { id: 'poll-question' });
  const options = el('ol', { id: 'poll-options' });
  const status = el('div', { id: 'poll-status', textContent: 'no poll running' });

  // The host's form.
  const hostForm = el('form', { id: 'poll-host', hidden: true });
  const qInput = el('input', { id: 'poll-new-question', type: 'text', maxLength: 200, placeholder: 'question' });
  const oInput = el('textarea', { id: 'poll-new-options', placeholder: 'options, one per line (2–10)' });
  const quizCheck = el('input', { id: 'poll-new-quiz', type: 'checkbox' });
  const correctInput = el('input', { id: 'poll-new-correct', type: 'number', min: '1', max: '10', value: '1', title: 'the correct option (1 = first)' });
  const secondsInput = el('input', { id: 'poll-new-seconds', type: 'number', min: '1', max: '3600', value: '20', title: 'seconds to answer' });
  const openBtn = el('button', { id: 'poll-open', type: 'submit', textContent: 'open poll' });
  const closeBtn = el('button', { id: 'poll-close', type: 'button', textContent: 'close poll', disabled: true });
  const quizLabel = el('label', { className: 'check' });
  quizLabel.append(quizCheck, document.createTextNode(' quiz: correct #'), correctInput, document.createTextNode(' within s '), secondsInput);
  const row = el('div', { className: 'row' });
  row.append(quizLabel, openBtn, closeBtn);
  hostForm.append(qInput, oInput, row);
  panel.append(title, question, options, status, hostForm);
  (document.getElementById('live-panels') || document.body).append(panel);

  /** The poll shown (room state `poll`), and this page's vote in it. */
  let poll = null;
  let myVote = null;

  async function request(frame, what) {
    const r = await page.request(frame);
    if (r.type === 'error') page.notice(`${what}: ${r.message}`, 'error', r.code);
    return r;
  }

  hostForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const s = page.session();
    if (!s) return;
    const opts = oInput.value.split('\n').map((o) => o.trim()).filter(Boolean);
    const action = { kind: 'poll-open', question: qInput.value.trim(), options: opts };
    if (quizCheck.checked) action.quiz = { correct: Number(correctInput.value) - 1, durationMs: Math.round(Number(secondsInput.value) * 1000) };
    const r = await request({ type: 'host', roomId: s.roomId, action }, 'open poll');
    if (r.type === 'done') {
      qInput.value = '';
      oInput.value = '';
    }
  });
  closeBtn.addEventListener('click', () => {
    const s = page.session();
    if (s && poll) void request({ type: 'host', roomId: s.roomId, action: { kind: 'poll-close', pollId: poll.pollId } }, 'close poll');
  });

  function render() {
    const s = page.session();
    const isHost = !!(s && s.mode && s.mode.role === 'host');
    hostForm.hidden = !isHost;
    closeBtn.disabled = !(poll && poll.open);
    options.replaceChildren();
    if (!poll) {
      question.textContent = '';
      status.textContent = 'no poll running';
      return;
    }
    question.textContent = poll.question;
    const total = poll.tallies.reduce((a, b) => a + b, 0);
    poll.options.forEach((label, i) => {
      const li = el('li');
      li.dataset.option = String(i);
      if (myVote === i) li.classList.add('mine');
      if (!poll.open && poll.correct === i) li.classList.add('correct');
      const b = el('button', { type: 'button', disabled: !poll.open || myVote !== null });
      const count = poll.tallies[i] || 0;
      const bar = el('span', { className: 'bar' });
      bar.style.width = total > 0 ? `${Math.round((count / total) * 100)}%` : '0%';
      b.append(bar, el('span', { className: 'label', textContent: `${!poll.open && poll.correct === i ? '✓ ' : ''}${label}` }), el('span', { className: 'count', textContent: String(count) }));
      b.addEventListener('click', async () => {
        if (!s || !poll) return;
        const r = await request({ type: 'vote', roomId: s.roomId, target: { kind: 'poll', pollId: poll.pollId, option: i } }, 'vote');
        if (r.type === 'done') {
          if (myVote === null) myVote = i;
          if (r.result && r.result.counted === false) page.notice('you voted in this poll already');
          render();
        }
      });
      li.append(b);
      options.append(li);
    });
    if (poll.open) {
      const left = poll.deadline ? Math.max(0, Math.ceil((poll.deadline - Date.now()) / 1000)) : null;
      status.textContent = `${total} vote${total === 1 ? '' : 's'} · open${left !== null ? ` · quiz, ${left}s left` : ''}`;
    } else {
      const best = Math.max(...poll.tallies);
      const winners = poll.options.filter((_, i) => poll.tallies[i] === best && best > 0);
      status.textContent =
        `closed · ${total} vote${total === 1 ? '' : 's'}` +
        (poll.correct !== undefined ? ` · correct answer: ${poll.options[poll.correct]}` : winners.length > 0 ? ` · most votes: ${winners.join(', ')}` : '');
    }
  }

  page.on('room-state', (frame, session) => {
    if (frame.key !== 'poll' || frame.roomId !== session.roomId) return;
    if (!frame.value || !poll || frame.value.pollId !== poll.pollId) myVote = null;
    poll = frame.value;
    render();
  });
  page.on('joined', (frame, session) => {
    if (frame.roomId !== session.roomId) return;
    if (session.pollRoom !== frame.roomId) {
      session.pollRoom = frame.roomId;
      poll = null;
      myVote = null;
    }
    setTimeout(render, 0);
  });
  page.on('room-mode', () => setTimeout(render, 0));
  page.decorate('poll', (li, m) => {
    const tag = el('span', { className: 'kind-tag', textContent: m.data && m.data.phase === 'closed' ? '📊' : '📊 poll:' });
    li.querySelector('.body')?.prepend(tag, document.createTextNode(' '));
  });
  // The quiz countdown.
  setInterval(() => {
    if (poll && poll.open && poll.deadline) render();
  }, 1000);
  render();
})();
