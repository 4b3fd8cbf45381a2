// Contracts: the book, a page at a time, optionally one customer's.

import { api } from '../api.js';
import { day, esc, int, money } from '../format.js';

const PAGE = 25;

export async function contracts({ main, query, navigate, current }) {
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const customer = query.get('customer') ?? '';
  main.innerHTML = '<h1>Contracts</h1><p class="loading">Loading…</p>';
  const filter = customer ? `&customer=${encodeURIComponent(customer)}` : '';
  const [page, customers] = await Promise.all([
    api(`/api/v1/contracts?offset=${offset}&limit=${PAGE}${filter}`),
    api('/api/v1/customers?limit=1000').then((p) => p.items),
  ]);
  if (!current()) return null;
  const names = new Map(customers.map((c) => [c.id, c.name]));
  const url = (o) => `/contracts?offset=${o}${customer ? `&customer=${encodeURIComponent(customer)}` : ''}`;
  const last = Math.min(page.total, offset + page.items.length);

  main.innerHTML = `
    <h1>Contracts</h1>
    <p class="sub">${int(page.total)} contracts${customer ? ` of ${esc(names.get(customer) ?? customer)}` : ''}. Values are total contract value over committed lines.</p>
    <section class="panel">
      <div class="toolbar">
        <label>Customer
          <select id="customer">
            <option value="">all customers</option>
            ${customers.map((c) => `<option value="${esc(c.id)}"${c.id === customer ? ' selected' : ''}>${esc(c.name)}</option>`).join('')}
          </select>
        </label>
      </div>
      <table data-testid="contracts">
        <thead><tr><th>Contract</th><th>Customer</th><th>Title</th><th>Kind</th><th>Signed</th><th>Term</th><th class="num">GPUs</th><th class="num">Value</th><th></th></tr></thead>
        <tbody>${page.items.map((c) => `
          <tr class="clickable" data-contract="${esc(c.id)}">
            <td><a href="/contracts/${encodeURIComponent(c.id)}">${esc(c.id)}</a></td>
            <td>${esc(names.get(c.customer) ?? c.customer)}</td><td>${esc(c.title ?? '')}</td><td>${esc(c.kind.replaceAll('_', '-'))}</td>
            <td>${esc(day(c.signed_on))}</td><td>${esc(day(c.start))} → ${esc(day(c.end))}</td>
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
    navigate(e.target.value ? `/contracts?customer=${encodeURIComponent(e.target.value)}` : '/contracts');
  });
  main.querySelector('[data-testid="contracts"] tbody').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-contract]');
    if (tr && !e.target.closest('a')) navigate(`/contracts/${encodeURIComponent(tr.dataset.contract)}`);
  });
  return null;
}
