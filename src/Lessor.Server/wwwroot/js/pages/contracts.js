// Contracts: the book a page at a time, optionally one customer's, sorted by any column, and the whole listing as CSV.

import { api } from '../api.js';
import { day, download, esc, int, money, toCsv } from '../format.js';

const PAGE = 25;
const COLUMNS = [
  ['id', 'Contract'], ['customer', 'Customer'], [null, 'Kind'], ['signed', 'Signed'], ['start', 'Term'],
  ['gpus', 'GPUs', 'num'], ['value', 'Value', 'num'],
];

export async function contracts({ main, query, navigate, current }) {
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const customer = query.get('customer') ?? '';
  const sort = query.get('sort') ?? '';
  main.innerHTML = '<h1>Contracts</h1><p class="loading">Loading…</p>';
  const filter = `${customer ? `&customer=${encodeURIComponent(customer)}` : ''}${sort ? `&sort=${encodeURIComponent(sort)}` : ''}`;
  const [page, customers] = await Promise.all([
    api(`/api/v1/contracts?offset=${offset}&limit=${PAGE}${filter}`),
    api('/api/v1/customers?limit=1000').then((p) => p.items),
  ]);
  if (!current()) return null;
  const names = new Map(customers.map((c) => [c.id, c.name]));
  const url = (o, s = sort) => `/contracts?offset=${o}${customer ? `&customer=${encodeURIComponent(customer)}` : ''}${s ? `&sort=${encodeURIComponent(s)}` : ''}`;
  const last = Math.min(page.total, offset + page.items.length);
  const header = ([key, label, cls]) => {
    if (!key) return `<th>${esc(label)}</th>`;
    const next = sort === key ? `-${key}` : key;
    const mark = sort === key ? ' ▲' : sort === `-${key}` ? ' ▼' : '';
    return `<th${cls ? ` class="${cls}"` : ''}><a href="${esc(url(0, next))}" data-sort="${esc(key)}">${esc(label)}${mark}</a></th>`;
  };

  main.innerHTML = `
    <h1>Contracts</h1>
    <p class="sub">${int(page.total)} contracts${customer ? ` of ${esc(names.get(customer) ?? customer)}` : ''}. Values are total contract value over committed lines; click a heading to sort.</p>
    <section class="panel">
      <div class="toolbar">
        <label>Customer
          <select id="customer">
            <option value="">all customers</option>
            ${customers.map((c) => `<option value="${esc(c.id)}"${c.id === customer ? ' selected' : ''}>${esc(c.name)}</option>`).join('')}
          </select>
        </label>
        <button type="button" id="csv" data-testid="csv">Download CSV (${int(page.total)})</button>
      </div>
      <table data-testid="contracts">
        <thead><tr>${COLUMNS.map(header).join('')}<th></th></tr></thead>
        <tbody>${page.items.map((c) => `
          <tr class="clickable" data-contract="${esc(c.id)}">
            <td><a href="/contracts/${encodeURIComponent(c.id)}">${esc(c.id)}</a>${c.title ? `<div class="muted">${esc(c.title)}</div>` : ''}</td>
            <td>${esc(names.get(c.customer) ?? c.customer)}</td><td>${esc(c.kind.replaceAll('_', '-'))}</td>
            <td>${esc(day(c.signed_on))}</td><td class="nowrap">${esc(day(c.start))} → ${esc(day(c.end))}</td>
            <td class="num">${int(c.committed_gpus)}</td><td class="num">${money(c.value)}</td>
            <td>${c.cancelled ? '<span class="chip bad">cancelled</span>' : ''}</td>
          </tr>`).join('')}
        </tbody>
      </table>
      <div class="pager" data-testid="pager">
        ${offset > 0 ? `<a href="${url(Math.max(0, offset - PAGE))}" data-testid="prev">← previous</a>` : '<span class="muted">← previous</span>'}
        <span>${page.total === 0 ? 'none' : `${int(offset + 1)}–${int(last)} of ${int(page.total)}`}</span>
        ${last < page.total ? `<a href="${url(offset + PAGE)}" data-testid="next">next →</a>` : '<span class="muted">next →</span>'}
      </div>
    </section>`;

  main.querySelector('#customer').addEventListener('change', (e) => {
    navigate(e.target.value ? `/contracts?customer=${encodeURIComponent(e.target.value)}${sort ? `&sort=${encodeURIComponent(sort)}` : ''}` : `/contracts${sort ? `?sort=${encodeURIComponent(sort)}` : ''}`);
  });
  main.querySelector('[data-testid="contracts"] tbody').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-contract]');
    if (tr && !e.target.closest('a')) navigate(`/contracts/${encodeURIComponent(tr.dataset.contract)}`);
  });
  main.querySelector('#csv').addEventListener('click', async () => {
    // The whole listing in this order, fetched a thousand at a time (the API's largest page).
    const rows = [];
    for (let o = 0; o === 0 || o < page.total; o += 1000) {
      const p = await api(`/api/v1/contracts?offset=${o}&limit=1000${filter}`);
      rows.push(...p.items);
      if (p.items.length === 0) break;
    }
    download(`contracts${customer ? `-${customer}` : ''}.csv`, toCsv([
      ['id', 'customer', 'title', 'kind', 'signed_on', 'start', 'end', 'lines', 'committed_gpus', 'value', 'currency', 'cancelled'],
      ...rows.map((c) => [c.id, c.customer, c.title ?? '', c.kind, day(c.signed_on), day(c.start), day(c.end), c.lines, c.committed_gpus, c.value.amount, c.value.currency, c.cancelled]),
    ]));
  });
  return null;
}
