// KPIs as of a chosen date: the book's totals, the breakdown by customer, platform, site or region, and the SLA
// credits by customer and month of service (written by the as-of date, and accrued but not written yet).

import { api, ApiError } from '../api.js';
import { checkDates, dateInput, esc, int, isMonth, money, moneyShort, mw, percent, todayUtc } from '../format.js';

const DIMENSIONS = ['customer', 'platform', 'site', 'region'];

export async function kpis({ main, query, navigate, current }) {
  const asOf = query.get('as_of') || todayUtc();
  const by = DIMENSIONS.includes(query.get('by')) ? query.get('by') : 'customer';
  const method = query.get('run_rate') === 'quarter' ? 'quarter' : 'month';
  const slaFrom = isMonth(query.get('sla_from')) ? query.get('sla_from') : '';
  main.innerHTML = '<h1>KPIs</h1><p class="loading">Loading…</p>';
  const form = `
    <section class="panel">
      <form class="toolbar" id="filter" novalidate>
        <label>As of (UTC) ${dateInput('as_of', asOf, { required: true })}</label>
        <label>Breakdown <select name="by">${DIMENSIONS.map((d) => `<option${d === by ? ' selected' : ''}>${d}</option>`).join('')}</select></label>
        <label>Run-rate <select name="run_rate"><option value="month"${method === 'month' ? ' selected' : ''}>latest month x 12</option>
          <option value="quarter"${method === 'quarter' ? ' selected' : ''}>latest quarter x 4</option></select></label>
        <label>SLA credits from <input name="sla_from" value="${esc(slaFrom)}" placeholder="January" size="8"></label>
        <button type="submit">Show</button>
        <span class="field-error" data-for="as_of"></span><span class="field-error" data-for="sla_from"></span>
      </form>
    </section>`;
  let k;
  try {
    k = await api(`/api/v1/finance/kpis?as_of=${encodeURIComponent(asOf)}&run_rate=${method}${slaFrom ? `&sla_from=${slaFrom}` : ''}`);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 400) throw e;
    if (!current()) return null;
    main.innerHTML = `<h1>KPIs</h1>${form}<div class="message error" data-testid="validation">${esc(e.message)}</div>`;
    wire(main, navigate);
    return null;
  }
  if (!current()) return null;
  const t = k.total;
  const slices = { customer: k.by_customer, platform: k.by_platform, site: k.by_site, region: k.by_region }[by];
  const rows = [...slices].sort((a, b) => Number(b.backlog.amount) - Number(a.backlog.amount));
  const powered = by !== 'customer';
  const tile = (label, value, note) => `<div class="tile" data-tile="${esc(label)}"><div class="label">${esc(label)}</div><div class="value">${value}</div><div class="note">${note}</div></div>`;

  main.innerHTML = `
    <h1>KPIs as of <span data-testid="kpis-as-of">${esc(asOf)}</span></h1>
    <p class="sub">Only what was signed by then counts. Definitions: docs/finance.md. Run-rate: ${esc(k.run_rate_name)}.</p>
    ${form}
    <section class="tiles" data-testid="tiles">
      ${tile('Backlog', moneyShort(t.backlog), `RPO ${moneyShort(t.rpo)} + other committed ${moneyShort(t.other_committed)}`)}
      ${tile('TCV', moneyShort(t.tcv), `recognized ${moneyShort(t.recognized)}, forfeited ${moneyShort(t.forfeited)}`)}
      ${tile('Next twelve months', moneyShort(t.next_twelve_months), 'schedule revenue')}
      ${tile('Run-rate', moneyShort(t.run_rate), esc(k.run_rate_name))}
      ${tile('In-service power', mw(t.in_service_mw), `${mw(t.drawn_mw)} drawn, ${mw(t.contracted_mw)} contracted`)}
      ${tile('Utilization', percent(t.utilization), t.revenue_per_mw_year ? `${moneyShort(t.revenue_per_mw_year)} per MW-year` : '')}
    </section>
    <section class="panel">
      <h2>By ${esc(by)}</h2>
      <div class="scroll">
      <table data-testid="kpi-rows">
        <thead><tr><th>${esc(by)}</th><th class="num">TCV</th><th class="num">Recognized</th><th class="num">RPO</th><th class="num">Backlog</th><th class="num">Next 12 months</th><th class="num">Run-rate</th>
          ${powered ? '<th class="num">In service</th><th class="num">Drawn</th><th class="num">Utilization</th>' : ''}</tr></thead>
        <tbody>${rows.map((r) => `<tr data-key="${esc(r.key)}"><td>${esc(r.key)}</td><td class="num">${money(r.tcv)}</td><td class="num">${money(r.recognized)}</td>
          <td class="num">${money(r.rpo)}</td><td class="num">${money(r.backlog)}</td><td class="num">${money(r.next_twelve_months)}</td><td class="num">${money(r.run_rate)}</td>
          ${powered ? `<td class="num">${mw(r.in_service_mw)}</td><td class="num">${mw(r.drawn_mw)}</td><td class="num">${percent(r.utilization)}</td>` : ''}</tr>`).join('')}</tbody>
      </table>
      </div>
    </section>
    ${credits(k.sla_credits)}`;
  wire(main, navigate);
  return null;
}

// SLA credits by month of service and customer: written (on invoices) by the as-of date, and accrued by months that
// were over and not credited yet. Amounts are the API's, never summed here: the totals are the API's too.
function credits(c) {
  if (!c) return '';
  const accruedNote = c.accrued_months.length
    ? `Accrued: measured for ${c.accrued_months.map(esc).join(', ')} (over, credit run not yet done by then).`
    : 'Accrued: no month over and not yet credited.';
  return `
    <section class="panel">
      <h2>SLA credits, ${esc(c.from)} to ${esc(c.to)}</h2>
      <p class="sub">By month of service. Written: credits the credit run wrote by the as-of date (invoice credit lines). ${accruedNote}</p>
      ${c.rows.length === 0 ? '<p class="muted" data-testid="sla-credits-none">No SLA credit in these months.</p>' : ''}
      <div class="scroll">
      <table data-testid="sla-credits">
        <thead><tr><th>Month</th><th>Customer</th><th class="num">Written</th><th class="num">Contracts</th><th class="num">Accrued, not written</th><th class="num">Contracts</th></tr></thead>
        <tbody>${c.rows.map((r) => `<tr data-month="${esc(r.month)}" data-customer="${esc(r.customer)}"><td>${esc(r.month)}</td><td>${esc(r.customer)}</td>
          <td class="num" data-testid="written">${money(r.written)}</td><td class="num">${int(r.written_contracts)}</td>
          <td class="num" data-testid="accrued">${money(r.accrued)}</td><td class="num">${int(r.accrued_contracts)}</td></tr>`).join('')}</tbody>
        <tfoot><tr><th colspan="2">Total</th><th class="num" data-testid="sla-credits-written">${money(c.written)}</th><th></th>
          <th class="num" data-testid="sla-credits-accrued">${money(c.accrued)}</th><th></th></tr></tfoot>
      </table>
      </div>
      ${c.by_customer.length === 0 ? '' : `<h3>By customer</h3>
      <table data-testid="sla-credits-by-customer">
        <thead><tr><th>Customer</th><th class="num">Written</th><th class="num">Accrued, not written</th></tr></thead>
        <tbody>${c.by_customer.map((r) => `<tr data-customer="${esc(r.customer)}"><td>${esc(r.customer)}</td><td class="num">${money(r.written)}</td>
          <td class="num">${money(r.accrued)}</td></tr>`).join('')}</tbody>
      </table>`}
    </section>`;
}

function wire(main, navigate) {
  const filter = main.querySelector('#filter');
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!checkDates(filter)) return;
    const from = filter.sla_from.value.trim();
    if (from && !isMonth(from)) {
      filter.querySelector('.field-error[data-for="sla_from"]').textContent = `${from} is not a month written YYYY-MM.`;
      return;
    }
    navigate(`/kpis?as_of=${filter.as_of.value.trim()}&by=${filter.by.value}&run_rate=${filter.run_rate.value}${from ? `&sla_from=${from}` : ''}`);
  });
}
