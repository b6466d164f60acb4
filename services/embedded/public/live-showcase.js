// roomcast room page: the showcase feature (issue #14). Plugs into window.roomcastPage (app.js).
//
// - the pinned bar at the top of the live panels, from room state `pinned` (hosts: pin/unpin);
// - the product card with its live stock and a Buy button, from room state `product`
//   (hosts: push a product, set its stock);
// - `pin`, `product` and `sold-out` messages decorated in the chat list.
// All user text goes through textContent.
'use strict';

(() => {
  const page = window.roomcastPage;
  if (!page) return;

  const css = `
#showcase-pinned { display: flex; align-items: center; gap: 10px; padding: 8px 12px; border-radius: 10px;
  background: #2a2210; border: 1px solid #6b5618; color: #ffe3a3; }
#showcase-pinned .pin-text { flex: 1; font-weight: 600; overflow-wrap: anywhere; }
#showcase-pinned .pin-by { font-size: 12px; color: #c9b27a; }
#showcase-product { display: flex; gap: 12px; align-items: center;
  padding: 10px 12px; border-radius: 10px; background: var(--panel, #181b22); border: 1px solid var(--line, #272b35); }
#showcase-product .info { flex: 1; min-width: 0; }
#showcase-product button { flex: 0 0 auto; min-width: 7em; }
#showcase-product img { flex: 0 0 auto; width: 64px; height: 64px; object-fit: cover; border-radius: 8px; background: #222; }
#showcase-product .title { font-weight: 600; overflow-wrap: anywhere; }
#showcase-product .price { color: var(--accent, #ff4d6d); font-weight: 700; }
#showcase-product .stock { font-size: 13px; color: var(--muted, #8a90a0); }
#showcase-product.sold-out .stock { color: var(--bad, #ef5350); font-weight: 700; }
#showcase-product.sold-out img { filter: grayscale(1); opacity: 0.6; }
#showcase-host { padding: 8px 12px; border-radius: 10px; border: 1px dashed var(--line, #272b35); font-size: 13px; }
#showcase-host summary { cursor: pointer; color: var(--muted, #8a90a0); }
#showcase-host .row { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; align-items: center; }
#showcase-host input { flex: 1 1 10em; width: auto; min-width: 0; padding: 4px 6px; }
#showcase-host input.short { flex: 0 1 6em; }
.chat li[data-kind='pin'] .body::before { content: '📌 '; }
.chat li[data-kind='product'] .body::before { content: '🛍️ '; }
.chat li[data-kind='sold-out'] .body { color: var(--bad, #ef5350); font-weight: 700; }
.chat li[data-kind='sold-out'] .body::before { content: '⛔ '; }
`;
  const style = document.createElement('style');
  style.textContent = css;
  document.head.append(style);

  const panels = document.getElementById('live-panels');
  if (!panels) return;
  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    Object.assign(e, props);
    e.append(...children);
    return e;
  };

  // ------------------------------------------------------------ pinned bar
  const pinText = el('span', { className: 'pin-text', id: 'showcase-pinned-text' });
  const pinBy = el('span', { className: 'pin-by' });
  const unpinBtn = el('button', { type: 'button', id: 'showcase-unpin', textContent: 'Unpin', hidden: true });
  const pinned = el('div', { id: 'showcase-pinned', hidden: true }, el('span', { textContent: '📌' }), pinText, pinBy, unpinBtn);

  // ------------------------------------------------------------ product card
  const img = el('img', { alt: '', hidden: true });
  const title = el('div', { className: 'title' });
  const price = el('div', { className: 'price' });
  const stock = el('div', { className: 'stock', id: 'showcase-stock' });
  const buyBtn = el('button', { type: 'button', id: 'showcase-buy', className: 'primary', textContent: 'Buy' });
  const product = el('div', { id: 'showcase-product', hidden: true }, img, el('div', { className: 'info' }, title, price, stock), buyBtn);

  // ------------------------------------------------------------ host controls
  const input = (id, placeholder, extra = {}) => el('input', { id, placeholder, ...extra });
  const pinInput = input('showcase-pin-text', 'pinned message', { maxLength: 200 });
  const pinBtn = el('button', { type: 'button', id: 'showcase-pin', textContent: 'Pin' });
  const pId = input('showcase-p-id', 'product id', { className: 'short', maxLength: 64 });
  const pTitle = input('showcase-p-title', 'title', { maxLength: 200 });
  const pPrice = input('showcase-p-price', 'price', { className: 'short', inputMode: 'decimal' });
  const pCurrency = input('showcase-p-currency', 'EUR', { className: 'short', maxLength: 3, value: 'EUR' });
  const pImage = input('showcase-p-image', 'image URL (optional)');
  const pStock = input('showcase-p-stock', 'stock', { className: 'short', inputMode: 'numeric' });
  const pushBtn = el('button', { type: 'button', id: 'showcase-push', textContent: 'Push product' });
  const setStockInput = input('showcase-set-stock', 'new stock', { className: 'short', inputMode: 'numeric' });
  const setStockBtn = el('button', { type: 'button', id: 'showcase-set-stock-btn', textContent: 'Set stock' });
  const host = el(
    'details',
    { id: 'showcase-host', hidden: true },
    el('summary', { textContent: 'Host: pinned message and products' }),
    el('div', { className: 'row' }, pinInput, pinBtn),
    el('div', { className: 'row' }, pId, pTitle, pPrice, pCurrency, pImage, pStock, pushBtn),
    el('div', { className: 'row' }, setStockInput, setStockBtn),
  );

  panels.prepend(pinned);
  panels.append(product, host);

  /** The product on show (room state), for Buy and Set stock. */
  let current = null;

  function renderPinned(value) {
    pinned.hidden = !value;
    if (!value) return;
    pinText.textContent = value.text;
    pinBy.textContent = `— ${value.by}`;
  }

  function renderProduct(value) {
    current = value || null;
    product.hidden = !value;
    if (!value) return;
    title.textContent = value.title;
    price.textContent = formatPrice(value.priceCents, value.currency);
    const safeImage = typeof value.imageUrl === 'string' && /^https?:\/\//i.test(value.imageUrl);
    img.hidden = !safeImage;
    if (safeImage) img.src = value.imageUrl;
    else img.removeAttribute('src');
    product.classList.toggle('sold-out', value.soldOut);
    stock.textContent = value.soldOut ? 'Sold out' : `${value.stock} left`;
    buyBtn.disabled = value.soldOut;
  }

  function renderRole(role) {
    const isHost = role === 'host';
    host.hidden = !isHost;
    unpinBtn.hidden = !isHost;
  }

  function formatPrice(cents, currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
    } catch (err) {
      console.warn('roomcast: unknown currency', currency, err);
      return `${(cents / 100).toFixed(2)} ${currency}`;
    }
  }

  /** Sends a host action or a buy; the reply becomes a notice. Resolves with the reply. */
  async function act(frame, what) {
    const session = page.session();
    if (!session || !session.joined) {
      page.notice('join a room first');
      return null;
    }
    const reply = await page.request({ ...frame, roomId: session.roomId });
    if (reply.type === 'error') page.notice(`could not ${what}: ${reply.message} (${reply.code})`, undefined, reply.code);
    return reply;
  }

  // A new connection (a reconnect, another room): the state comes again with the join.
  page.on('welcome', () => {
    renderPinned(null);
    renderProduct(null);
  });
  page.on('joined', (frame, session) => {
    if (frame.roomId === session.roomId) renderRole(frame.role || 'viewer');
  });
  page.on('room-mode', (frame, session) => {
    if (frame.roomId === session.roomId && frame.role !== undefined) renderRole(frame.role);
  });
  page.on('room-state', (frame, session) => {
    if (frame.roomId !== session.roomId) return;
    if (frame.key === 'pinned') renderPinned(frame.value);
    else if (frame.key === 'product') renderProduct(frame.value);
  });

  buyBtn.addEventListener('click', async () => {
    if (!current) return;
    const bought = current;
    buyBtn.disabled = true;
    const reply = await act({ type: 'buy', productId: bought.productId, quantity: 1 }, `buy ${bought.title}`);
    if (reply && reply.type === 'done') page.notice(`bought 1 × ${bought.title} (${reply.result.remaining} left)`, 'info');
    if (current) buyBtn.disabled = current.soldOut;
  });

  pinBtn.addEventListener('click', async () => {
    const text = pinInput.value.trim();
    if (!text) return page.notice('type the message to pin');
    const reply = await act({ type: 'host', action: { kind: 'pin', text } }, 'pin');
    if (reply && reply.type === 'done') pinInput.value = '';
  });
  unpinBtn.addEventListener('click', () => act({ type: 'host', action: { kind: 'unpin' } }, 'unpin'));

  pushBtn.addEventListener('click', async () => {
    const priceCents = Math.round(Number(pPrice.value) * 100);
    const stockN = Number(pStock.value);
    if (!pId.value.trim() || !pTitle.value.trim()) return page.notice('a product needs an id and a title');
    if (!Number.isFinite(priceCents) || priceCents < 0) return page.notice('price: a number, e.g. 12.99');
    if (!Number.isInteger(stockN) || stockN < 0) return page.notice('stock: a whole number');
    const action = {
      kind: 'product',
      productId: pId.value.trim(),
      title: pTitle.value.trim(),
      priceCents,
      currency: pCurrency.value.trim().toUpperCase(),
      stock: stockN,
    };
    if (pImage.value.trim()) action.imageUrl = pImage.value.trim();
    await act({ type: 'host', action }, 'push the product');
  });

  setStockBtn.addEventListener('click', async () => {
    if (!current) return page.notice('push a product first');
    const n = Number(setStockInput.value);
    if (!Number.isInteger(n) || n < 0) return page.notice('stock: a whole number');
    await act({ type: 'host', action: { kind: 'stock', productId: current.productId, stock: n } }, 'set the stock');
  });

  // ------------------------------------------------------------ chat list
  page.decorate('pin', (li, m) => {
    if (m.data && m.data.cleared) li.querySelector('.body').textContent = 'unpinned the message';
  });
  page.decorate('product', (li, m) => {
    if (!m.data) return;
    li.querySelector('.body').textContent = `${m.data.title} — ${formatPrice(m.data.priceCents, m.data.currency)} (${m.data.stock} in stock)`;
  });
  // Its text already reads "Sold out: <title>"; the product card turns grey by its room state.
  page.decorate('sold-out', (li, m) => {
    if (m.data) li.dataset.product = m.data.productId;
  });
})();
