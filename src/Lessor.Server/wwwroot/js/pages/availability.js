// Availability and SLA credits per contract and month (docs/fleet.md): committed GPU-minutes, minutes down, the credit
// and the evidence behind it (which nodes, which minutes, why). A tenant sees its own contracts; finance writes the
// month's credits onto the next invoices from here (once per contract and month).

import { api, ApiError } from '../api.js';
import { esc, int, isMonth, lastClosedMonth, money } from '../format.js';

const pct = (x) => `${(Number(x) * 100).toFixed(4)}%`;

export async function availability({ main, query, navigate, current, me }) {
  const month = isMonth(query.get('month')) ? query.get('month') : lastClosedMonth();
  main.innerHTML = '<h1>Availability</h1><p class="loading">Loading…</p>';
  const months = await api(`/api/v1/sla?month=${encodeURIComponent(month)}`);
  if (!current()) return null;
  const writes = !me || me.role === 'admin' || me.role === 'finance';
  const credited = months.filter((m) => Number(m.credit.amount) > 0);
  main.innerHTML = `
    <h1>Availability${me?.customer ? ` of ${esc(me.customer)}` : ''}</h1>
    <p class="sub">Per contract with an SLA, ${esc(month)} (UTC)${month === new Date().toISOString().slice(0, 7) ? ', so far: measured to now, the month is still running' : ''}: available committed GPU-minutes over committed GPU-minutes, on delivered GPUs,
      announced maintenance excluded as each contract says. ${int(credited.length)} contract(s) earn a credit.</p>
    <section class="panel">
      <form class="toolbar" id="filter" novalidate>
        <label>Month <input name="month" value="${esc(month)}" placeholder="YYYY-MM" size="8"></label>
        <button type="submit">Show</button><span class="field-error" data-for="month"></span>
        ${writes ? '<button type="button" class="primary" id="run">Write this month\'s credits</button>' : ''}
      </form>
      <div id="run-result"></div>
    </section>
    <section class="panel">
      ${months.length === 0 ? '<p class="muted" data-testid="no-sla">No contract with an SLA.</p>' : `
      <table data-testid="sla"><thead><tr><th>Contract</th><th>Customer</th><th class="num">Availability</th><th class="num">Target</th>
        <th class="num">Committed GPU-min</th><th class="num">Down GPU-min</th><th class="num">Excluded GPU-min</th><th class="num">Charge</th><th class="num">Credit</th><th></th></tr></thead>
        <tbody>${months.map((m, i) => `<tr data-contract="${esc(m.contract)}"><td>${esc(m.contract)}</td><td>${esc(m.customer)}</td>
          <td class="num${Number(m.availability) < Number(m.target) ? ' warn' : ''}" data-testid="availability">${pct(m.availability)}</td><td class="num">${pct(m.target)}</td>
          <td class="num">${int(Math.round(Number(m.committed_gpu_minutes)))}</td><td class="num">${int(Math.round(Number(m.down_gpu_minutes)))}</td>
          <td class="num">${int(Math.round(Number(m.excluded_gpu_minutes)))}</td><td class="num">${money(m.charge)}</td><td class="num" data-testid="credit">${money(m.credit)}</td>
          <td>${m.evidence.length ? `<button type="button" data-evidence="${i}">Evidence (${int(m.evidence.length)})</button>` : ''}</td></tr>
          <tr class="evidence" data-evidence-of="${i}" hidden><td colspan="10">
            <table><thead><tr><th>Node</th><th>Line</th><th class="num">GPUs</th><th>From (UTC)</th><th>To (UTC)</th><th class="num">Minutes</th><th>Counted</th><th>Cause</th></tr></thead>
              <tbody>${m.evidence.map((e) => `<tr><td>${esc(e.node)}</td><td>${esc(e.line ?? '')}</td><td class="num">${int(e.gpus)}</td><td>${esc(e.start.slice(0, 16).replace('T', ' '))}</td>
                <td>${esc(e.end.slice(0, 16).replace('T', ' '))}</td><td class="num">${int(Math.round(Number(e.minutes)))}</td>
                <td>${e.counted_down ? 'down' : e.degraded ? 'degraded, available' : 'not counted'}</td><td>${esc(e.cause)}</td></tr>`).join('')}</tbody></table></td></tr>`).join('')}</tbody></table>`}
    </section>`;

  main.querySelector('#filter').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = e.target.month.value.trim();
    if (!isMonth(value)) {
      main.querySelector('.field-error[data-for="month"]').textContent = `${value || '(empty)'} is not a month written YYYY-MM.`;
      return;
    }
    navigate(`/availability?month=${encodeURIComponent(value)}`);
  });
  main.addEventListener('click', async (e) => {
    const ev = e.target.closest('button[data-evidence]');
    if (ev) {
      const row = main.querySelector(`tr[data-evidence-of="${ev.dataset.evidence}"]`);
      row.hidden = !row.hidden;
      return;
    }
    if (!e.target.closest('#run')) return;
    const button = e.target.closest('#run');
    button.disabled = true;
    try {
      const run = await api(`/api/v1/sla/credits?month=${encodeURIComponent(month)}`, { method: 'POST' });
      if (!current()) return;
      const written = run.contracts.filter((c) => c.written).length;
      main.querySelector('#run-result').innerHTML = `<div class="message" data-testid="run-done">Credits for ${esc(run.month)}: ${int(written)} written now,
        ${int(run.contracts.length - written)} already written or none owed${run.total ? `; total ${money(run.total)}` : ''}.</div>`;
    } catch (err) {
      button.disabled = false;
      const text = err instanceof ApiError ? (err.problem?.detail ?? err.message) : err.message;
      main.querySelector('#run-result').innerHTML = `<div class="message error" data-testid="run-refused">${esc(text)}</div>`;
    }
  });
  return null;
}
