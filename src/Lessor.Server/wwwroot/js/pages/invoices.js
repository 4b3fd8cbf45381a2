// Invoices: a month's issued invoices by customer (finance), view one, download it as HTML, CSV or JSON, issue a
// closed month, and credits for a month not yet issued. A tenant sees its own invoices of every issued month.

import { api, apiText, ApiError } from '../api.js';
import { download, esc, int, isMonth, lastClosedMonth, money, price } from '../format.js';

const FINANCE_ROLES = ['admin', 'finance'];

export async function invoices({ main, query, navigate, current, me }) {
  const tenant = me?.role === 'tenant';
  const month = isMonth(query.get('month')) ? query.get('month') : tenant ? null : lastClosedMonth();
  const customer = tenant ? me.customer : query.get('customer') ?? '';
  const open = query.get('number');
  main.innerHTML = '<h1>Invoices</h1><p class="loading">Loading…</p>';

  const [list, customers, credits] = await Promise.all([
    tenant
      ? api(`/api/v1/customers/${encodeURIComponent(me.customer)}/invoices${month ? `?month=${month}` : ''}`)
      : api(`/api/v1/invoices?month=${month}`),
    api('/api/v1/customers?limit=1000').then((p) => p.items),
    tenant ? Promise.resolve(null) : api(`/api/v1/credits?month=${month}`),
  ]);
  if (!current()) return null;
  const names = new Map(customers.map((c) => [c.id, c.name]));
  const shown = customer ? list.filter((i) => i.customer === customer) : list;
  const issued = list.length > 0;
  const mayIssue = !tenant && (!me || FINANCE_ROLES.includes(me.role));
  const url = (changes) => {
    const q = new URLSearchParams({ ...(month ? { month } : {}), ...(customer && !tenant ? { customer } : {}), ...changes });
    for (const [k, v] of [...q]) if (!v) q.delete(k);
    return `/invoices${q.size ? `?${q}` : ''}`;
  };
  const total = (key) => shown.reduce((sum, i) => sum + Number(i[key].amount), 0);

  main.innerHTML = `
    <h1>Invoices${tenant ? ` of ${esc(names.get(me.customer) ?? me.customer)}` : ''}</h1>
    <p class="sub">${tenant ? 'Every issued month' : `Month <strong data-testid="month">${esc(month)}</strong>`}: ${int(shown.length)} invoice(s).
      Issued invoices never change; corrections are credits on a later month.</p>
    ${tenant ? '' : `
    <section class="panel">
      <form class="toolbar" id="filter">
        <label>Month <input name="month" type="text" value="${esc(month)}" pattern="\\d{4}-\\d{2}" placeholder="YYYY-MM" size="8"></label>
        <label>Customer
          <select name="customer"><option value="">all customers</option>
            ${customers.map((c) => `<option value="${esc(c.id)}"${c.id === customer ? ' selected' : ''}>${esc(c.name)}</option>`).join('')}
          </select></label>
        <button type="submit">Show</button>
        <span class="field-error" data-for="month"></span>
      </form>
      ${issued ? '' : `<div class="message info" data-testid="not-issued">${esc(month)} has not been issued.
        ${mayIssue ? `<button type="button" class="primary" id="issue" data-testid="issue">Issue ${esc(month)}</button>` : ''}</div>`}
      <div id="issue-result"></div>
    </section>`}
    ${shown.length ? `
    <section class="panel">
      <table data-testid="invoices">
        <thead><tr><th>Number</th><th>Customer</th><th>Month</th><th class="num">Lines</th><th class="num">Charges</th><th class="num">Prepayment</th><th class="num">Credits</th><th class="num">Total due</th><th>Download</th></tr></thead>
        <tbody>${shown.map((i) => `
          <tr data-invoice="${esc(i.number)}">
            <td><a href="${esc(url({ number: i.number }))}" data-testid="view">${esc(i.number)}</a></td>
            <td>${esc(i.customer_name)}</td><td>${esc(i.month)}</td><td class="num">${int(i.lines.length)}</td>
            <td class="num">${money(i.charges)}</td><td class="num">${money({ ...i.prepayment_applied, amount: neg(i.prepayment_applied.amount) })}</td>
            <td class="num">${money({ ...i.credits, amount: neg(i.credits.amount) })}</td><td class="num"><strong>${money(i.total)}</strong></td>
            <td class="nowrap">${['html', 'csv', 'json'].map((f) => `<button type="button" class="link" data-download="${esc(i.number)}" data-format="${f}">${f.toUpperCase()}</button>`).join(' ')}</td>
          </tr>`).join('')}
        </tbody>
        ${shown.length > 1 ? `<tfoot><tr><td colspan="4">Total</td><td class="num">${money({ amount: total('charges').toFixed(2), currency: shown[0].currency })}</td><td></td><td></td>
          <td class="num">${money({ amount: total('total').toFixed(2), currency: shown[0].currency })}</td><td></td></tr></tfoot>` : ''}
      </table>
    </section>` : ''}
    <section id="invoice" data-testid="invoice"></section>
    ${tenant ? '' : `
    <section class="panel" data-testid="credits-panel">
      <h2>Credits on ${esc(month)}</h2>
      ${credits.length ? `<table data-testid="credits"><thead><tr><th>Customer</th><th class="num">Amount</th><th>Reason</th><th>Contract</th></tr></thead>
        <tbody>${credits.map((c) => `<tr><td>${esc(names.get(c.customer) ?? c.customer)}</td><td class="num">${money(c.amount)}</td><td>${esc(c.reason)}</td><td>${esc(c.contract ?? '')}</td></tr>`).join('')}</tbody></table>`
        : '<p class="muted" data-testid="no-credits">No credits on this month.</p>'}
      ${!issued && mayIssue ? `
      <form class="form" id="credit" novalidate>
        <label>Credit id (yours; recording it twice records it once)<input name="id" type="text"><span class="field-error" data-for="id"></span></label>
        <label>Customer<select name="customer">${customers.map((c) => `<option value="${esc(c.id)}"${c.id === customer ? ' selected' : ''}>${esc(c.name)}</option>`).join('')}</select><span class="field-error" data-for="customer"></span></label>
        <label>Amount (${esc(shown[0]?.currency ?? 'USD')})<input name="amount" type="text" inputmode="decimal"><span class="field-error" data-for="amount"></span></label>
        <label>Reason (printed on the invoice)<input name="reason" type="text"><span class="field-error" data-for="reason"></span></label>
        <label>Contract (optional)<input name="contract" type="text"><span class="field-error" data-for="contract"></span></label>
      </form>
      <div class="actions"><button type="button" id="add-credit">Record credit</button></div>
      <div id="credit-result"></div>` : issued ? '<p class="muted">This month is issued: credits go on a later month.</p>' : ''}
    </section>`}`;

  const byNumber = new Map(list.map((i) => [i.number, i]));
  const show = (number) => {
    const i = byNumber.get(number);
    const panel = main.querySelector('#invoice');
    if (!i) {
      panel.innerHTML = number ? `<div class="message error" data-testid="not-found">No invoice ${esc(number)} in this list.</div>` : '';
      return;
    }
    panel.innerHTML = `<div class="panel"><h2 data-testid="invoice-number">Invoice ${esc(i.number)}</h2>
      <p>${esc(i.customer_name)} (${esc(i.customer)}), ${esc(i.month)}, issued ${esc(i.issued_on.slice(0, 10))}, ${esc(i.currency)}</p>
      <table data-testid="invoice-lines"><thead><tr><th>Item</th><th>Contract</th><th>Line</th><th class="num">GPU-hours</th><th class="num">Rate</th><th class="num">Amount</th></tr></thead>
        <tbody>${i.lines.map((l) => `<tr><td>${esc(l.description)}</td><td>${esc(l.contract ?? '')}</td><td>${esc(l.line ?? '')}</td>
          <td class="num">${l.gpu_hours == null ? '' : int(Math.round(l.gpu_hours))}</td><td class="num">${l.rate ? price(l.rate) : ''}</td><td class="num">${money(l.amount)}</td></tr>`).join('')}</tbody>
        <tfoot><tr><td colspan="5">Total due</td><td class="num" data-testid="invoice-total">${money(i.total)}</td></tr></tfoot></table></div>`;
  };
  show(open);

  main.addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-download]');
    if (!button) return;
    const { download: number, format } = button.dataset;
    try {
      const text = await apiText(`/api/v1/invoices/${encodeURIComponent(number)}?format=${format}`);
      download(`${number}.${format}`, text, format === 'html' ? 'text/html' : format === 'csv' ? 'text/csv' : 'application/json');
    } catch (err) {
      main.querySelector('#invoice').innerHTML = `<div class="message error" data-testid="error">${esc(err.message)}</div>`;
    }
  });
  const filter = main.querySelector('#filter');
  filter?.addEventListener('submit', (e) => {
    e.preventDefault();
    const m = filter.month.value.trim();
    if (!isMonth(m)) {
      filter.querySelector('.field-error').textContent = `month: '${m}' is not a month as YYYY-MM.`;
      return;
    }
    navigate(`/invoices?month=${m}${filter.customer.value ? `&customer=${encodeURIComponent(filter.customer.value)}` : ''}`);
  });
  main.querySelector('#issue')?.addEventListener('click', async (e) => {
    e.target.disabled = true;
    try {
      await api(`/api/v1/invoices/run?month=${month}`, { method: 'POST' });
      if (current()) navigate(url({}));
    } catch (err) {
      if (!current()) return;
      e.target.disabled = false;
      const detail = err instanceof ApiError && err.problem?.errors?.month ? err.problem.errors.month.join(' ') : err.message;
      main.querySelector('#issue-result').innerHTML = `<div class="message error" data-testid="issue-refused">${esc(detail)}</div>`;
    }
  });
  const credit = main.querySelector('#credit');
  main.querySelector('#add-credit')?.addEventListener('click', async () => {
    credit.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    const amount = credit.amount.value.trim();
    const body = {
      id: credit.id.value.trim(), customer: credit.customer.value, month,
      amount: /^-?\d+(\.\d+)?$/.test(amount) ? Number(amount) : null, reason: credit.reason.value.trim(),
      ...(credit.contract.value.trim() ? { contract: credit.contract.value.trim() } : {}),
    };
    if (amount && body.amount === null) {
      credit.querySelector('.field-error[data-for="amount"]').textContent = `'${amount}' is not a number (use a dot for decimals).`;
      return;
    }
    try {
      await api('/api/v1/credits', { method: 'POST', body });
      if (current()) navigate(url({}));
    } catch (err) {
      if (!current()) return;
      if (err instanceof ApiError && err.problem?.errors) {
        for (const [field, messages] of Object.entries(err.problem.errors)) {
          const target = credit.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
          if (target) target.textContent = messages.join(' ');
        }
      } else main.querySelector('#credit-result').innerHTML = `<div class="message error">${esc(err.message)}</div>`;
    }
  });
  return null;
}

function neg(amount) {
  if (Number(amount) === 0) return amount.replace('-', '');
  return amount.startsWith('-') ? amount.slice(1) : `-${amount}`;
}
