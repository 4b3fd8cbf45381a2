// Revenue: recognized revenue per month by customer, platform, site or region, as a chart and a table, with CSV.
// A tenant sees its own revenue schedule (the same table, one row: its contracts).

import { api, ApiError } from '../api.js';
import { lineChart, palette } from '../charts.js';
import { download, esc, isMonth, money, moneyShort, toCsv } from '../format.js';

const DIMENSIONS = ['customer', 'platform', 'site', 'region'];
const SERIES = 8;

export async function revenue({ main, query, navigate, current, me }) {
  const tenant = me?.role === 'tenant';
  const by = DIMENSIONS.includes(query.get('by')) ? query.get('by') : 'customer';
  const year = new Date().getUTCFullYear();
  const from = isMonth(query.get('from')) ? query.get('from') : tenant ? '' : `${year}-01`;
  const to = isMonth(query.get('to')) ? query.get('to') : tenant ? '' : `${year}-12`;
  const title = tenant ? `Revenue schedule of ${me.customer}` : 'Revenue';
  main.innerHTML = `<h1>${esc(title)}</h1><p class="loading">Loading…</p>`;
  const range = [from ? `from=${from}` : '', to ? `to=${to}` : ''].filter(Boolean).join('&');
  let table;
  try {
    table = tenant
      ? await api(`/api/v1/customers/${encodeURIComponent(me.customer)}/schedule${range ? `?${range}` : ''}`)
      : await api(`/api/v1/finance/revenue?by=${by}&${range}`);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 400) throw e;
    if (!current()) return null;
    main.innerHTML = `<h1>${esc(title)}</h1><div class="message error" data-testid="validation">${esc(e.message)}</div>
      <p><a href="/revenue">Back to this year</a></p>`;
    return null;
  }
  if (!current()) return null;
  const rows = [...table.rows].sort((a, b) => Number(b.total.amount) - Number(a.total.amount));
  const currency = table.total.currency;

  main.innerHTML = `
    <h1>${esc(title)}</h1>
    <p class="sub">Recognized revenue per month${tenant ? '' : ` by ${esc(by)}`}, ${esc(table.months[0] ?? '')} to ${esc(table.months.at(-1) ?? '')}:
      <strong data-testid="revenue-total">${money(table.total)}</strong>. Months add up to the cent (docs/finance.md).</p>
    <section class="panel">
      <form class="toolbar" id="filter">
        ${tenant ? '' : `<label>By <select name="by">${DIMENSIONS.map((d) => `<option${d === by ? ' selected' : ''}>${d}</option>`).join('')}</select></label>`}
        <label>From <input name="from" type="text" value="${esc(from || table.months[0] || '')}" placeholder="YYYY-MM" size="8"></label>
        <label>To <input name="to" type="text" value="${esc(to || table.months.at(-1) || '')}" placeholder="YYYY-MM" size="8"></label>
        <button type="submit">Show</button>
        <button type="button" id="csv" data-testid="csv">Download CSV</button>
        <span class="field-error" id="range-error"></span>
      </form>
      <div class="chart-box"><canvas data-testid="revenue-chart" aria-label="Revenue per month"></canvas></div>
      <p class="muted">${rows.length > SERIES ? `The ${SERIES} largest ${esc(by)}s, the rest summed as “others”.` : ''}</p>
    </section>
    <section class="panel">
      <div class="scroll">
      <table data-testid="revenue">
        <thead><tr><th>${esc(tenant ? 'customer' : by)}</th><th class="num">Total</th>${table.months.map((m) => `<th class="num">${esc(m)}</th>`).join('')}</tr></thead>
        <tbody>${rows.map((r) => `<tr data-key="${esc(r.key)}"><td class="nowrap">${esc(r.key)}</td><td class="num"><strong>${money(r.total)}</strong></td>
          ${r.months.map((m) => `<td class="num">${money(m)}</td>`).join('')}</tr>`).join('')}</tbody>
        <tfoot><tr><td>Total</td><td class="num">${money(table.total)}</td>${table.month_totals.map((m) => `<td class="num">${money(m)}</td>`).join('')}</tr></tfoot>
      </table>
      </div>
    </section>`;

  const top = rows.slice(0, SERIES);
  const rest = rows.slice(SERIES);
  const series = top.map((r, i) => ({ label: r.key, data: r.months.map((m) => Number(m.amount)), color: palette[i % palette.length] }));
  if (rest.length) {
    series.push({ label: `others (${rest.length})`, data: table.months.map((_, j) => rest.reduce((s, r) => s + Number(r.months[j].amount), 0)), color: '#999999', dashed: true });
  }
  const chart = lineChart(main.querySelector('canvas'), table.months, series, { yTitle: currency });
  chart.options.scales.y.ticks = { callback: (v) => moneyShort({ amount: String(v), currency }) };
  chart.update();

  main.querySelector('#csv').addEventListener('click', () => {
    const header = [tenant ? 'customer' : by, ...table.months, 'total', 'currency'];
    const body = rows.map((r) => [r.key, ...r.months.map((m) => m.amount), r.total.amount, currency]);
    download(`revenue-${tenant ? me.customer : by}-${table.months[0]}-${table.months.at(-1)}.csv`, toCsv([header, ...body]));
  });
  const filter = main.querySelector('#filter');
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = filter.from.value.trim();
    const t = filter.to.value.trim();
    const bad = [f, t].find((m) => !isMonth(m));
    if (bad !== undefined) {
      main.querySelector('#range-error').textContent = `'${bad}' is not a month as YYYY-MM.`;
      return;
    }
    navigate(`/revenue?${tenant ? '' : `by=${filter.by.value}&`}from=${f}&to=${t}`);
  });
  return () => chart.destroy();
}
