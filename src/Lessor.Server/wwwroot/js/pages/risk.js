// Risk (issue 16): a Monte Carlo run of late deliveries, late power and failures over the book (POST /api/v1/risk/run):
// the fan of recognized revenue per quarter (P10 / P50 / P90), next year's range, the tornado of the deliveries and
// sites that move next year's revenue most, the lines most likely to start short, and the fan as CSV.

import { api, ApiError } from '../api.js';
import { barChart, lineChart, palette } from '../charts.js';
import { checkDates, dateInput, download, esc, money, moneyShort, percent, toCsv } from '../format.js';

const LINES_SHOWN = 10;

export async function risk({ main, query, current }) {
  const year = new Date().getUTCFullYear();
  const q = (name, fallback) => query.get(name) ?? fallback;
  main.innerHTML = `
    <h1>Risk</h1>
    <p class="sub">Monte Carlo of late deliveries, late power and failures, applied to the book: recognized revenue per
      quarter as P10 / P50 / P90, next year's range, and what moves it most. Seeded: the same inputs give the same figures.</p>
    <section class="panel">
      <form class="form" id="risk" novalidate>
        <label>Trials<input name="trials" type="number" min="1" max="20000" step="1" value="${esc(q('trials', '2000'))}"><span class="field-error" data-for="trials"></span></label>
        <label>Seed<input name="seed" type="number" min="0" step="1" value="${esc(q('seed', '1'))}"><span class="field-error" data-for="seed"></span></label>
        <label>From (UTC)${dateInput('from', q('from', `${year + 1}-01-01`), { required: true })}<span class="field-error" data-for="from"></span></label>
        <label>Until (exclusive)${dateInput('until', q('until', `${year + 3}-01-01`), { required: true })}<span class="field-error" data-for="until"></span></label>
      </form>
      <div class="actions"><button type="button" class="primary" id="run" data-testid="run">Run</button></div>
      <div class="message error" id="problem" data-testid="validation" hidden></div>
    </section>
    <section id="result" data-testid="result"></section>`;

  const form = main.querySelector('#risk');
  const result = main.querySelector('#result');
  const problem = main.querySelector('#problem');
  let charts = [];
  const dispose = () => {
    for (const c of charts) c.destroy();
    charts = [];
  };

  const show = (r, body) => {
    dispose();
    const s = r.summary;
    const currency = s.currency;
    const m = (n) => ({ amount: String(n), currency });
    const ny = s.next_year_revenue;
    const lines = s.lines.slice(0, LINES_SHOWN);
    result.innerHTML = `
      <section class="tiles" data-testid="next-year">
        <div class="tile" data-tile="P10"><div class="label">Next year's revenue · P10</div><div class="value" data-testid="next-year-p10">${money(m(ny.p10))}</div><div class="note">1 trial in 10 is below</div></div>
        <div class="tile" data-tile="P50"><div class="label">Next year's revenue · P50</div><div class="value" data-testid="next-year-p50">${money(m(ny.p50))}</div><div class="note">the median trial</div></div>
        <div class="tile" data-tile="P90"><div class="label">Next year's revenue · P90</div><div class="value" data-testid="next-year-p90">${money(m(ny.p90))}</div><div class="note">1 trial in 10 is above</div></div>
        <div class="tile"><div class="label">Run</div><div class="value">${esc(String(s.trials))} trials</div><div class="note">seed ${esc(String(s.seed))}, policy: ${esc(s.policy)}; next year = the 12 months from ${esc(body.from)}</div></div>
      </section>
      <section class="panel">
        <h2>Recognized revenue per quarter</h2>
        <div class="chart-box"><canvas data-testid="fan-chart" aria-label="Recognized revenue per quarter, P10 to P90"></canvas></div>
        <div class="actions"><button type="button" id="csv" data-testid="csv">Download CSV</button></div>
        <div class="scroll">
        <table data-testid="fan">
          <thead><tr><th>Quarter</th><th class="num">P10</th><th class="num">P50</th><th class="num">P90</th><th class="num">Mean</th></tr></thead>
          <tbody>${s.revenue.map((f) => `<tr data-quarter="${esc(f.quarter)}"><td>${esc(f.quarter)}</td><td class="num">${money(m(f.p10))}</td>
            <td class="num"><strong>${money(m(f.p50))}</strong></td><td class="num">${money(m(f.p90))}</td><td class="num">${money(m(f.mean))}</td></tr>`).join('')}</tbody>
        </table>
        </div>
      </section>
      <section class="panel">
        <h2>What moves next year's revenue most</h2>
        ${r.tornado.length ? `
        <p class="muted">Each delivery or site's power alone at its P10 delay (early) and its P90 delay (late), everything else on plan.</p>
        <div class="chart-box"><canvas data-testid="tornado-chart" aria-label="Next year's revenue, late to early, per delivery or site"></canvas></div>
        <table data-testid="tornado">
          <thead><tr><th>Kind</th><th>Id</th><th class="num">Late (P90 delay)</th><th class="num">Early (P10 delay)</th><th class="num">Swing</th></tr></thead>
          <tbody>${r.tornado.map((b) => `<tr data-id="${esc(b.id)}"><td>${esc(b.kind)}</td><td>${esc(b.id)}</td><td class="num">${money(b.at_p90)}</td>
            <td class="num">${money(b.at_p10)}</td><td class="num"><strong>${money(b.swing)}</strong></td></tr>`).join('')}</tbody>
        </table>` : '<p data-testid="no-tornado">No delivery or site has an uncertain date.</p>'}
      </section>
      ${lines.length ? `<section class="panel">
        <h2>Lines most likely to start short</h2>
        <table data-testid="short-lines">
          <thead><tr><th>Contract / line</th><th class="num">Probability</th></tr></thead>
          <tbody>${lines.map((l) => `<tr><td>${esc(l.line)}</td><td class="num">${percent(l.probability)}</td></tr>`).join('')}</tbody>
        </table>
        ${s.lines.length > LINES_SHOWN ? `<p class="muted">${s.lines.length - LINES_SHOWN} more lines start short in some trial.</p>` : ''}
      </section>` : '<section class="panel"><p data-testid="no-short-lines">No line started short in any trial.</p></section>'}`;

    const quarters = s.revenue.map((f) => f.quarter);
    const fan = lineChart(result.querySelector('[data-testid="fan-chart"]'), quarters, [
      { label: 'P10', data: s.revenue.map((f) => Number(f.p10)), color: palette[0], dashed: true },
      { label: 'P10 to P90', data: s.revenue.map((f) => Number(f.p90)), color: palette[0], fill: '-1', dashed: true },
      { label: 'P50', data: s.revenue.map((f) => Number(f.p50)), color: palette[1] },
    ], { yTitle: currency, xTicks: 16 });
    fan.options.scales.y.beginAtZero = false;
    fan.options.scales.y.ticks = { callback: (v) => moneyShort(m(v)) };
    fan.update();
    charts.push(fan);
    const tornadoCanvas = result.querySelector('[data-testid="tornado-chart"]');
    if (tornadoCanvas) {
      const bars = barChart(tornadoCanvas, r.tornado.map((b) => `${b.id} (${b.kind})`), [
        { label: "next year's revenue, late (P90 delay) to early (P10 delay)", data: r.tornado.map((b) => [Number(b.at_p90.amount), Number(b.at_p10.amount)]), color: palette[4] },
      ], { xTitle: currency });
      // Floating bars: the axis spans the bars, not zero, so a swing of a few percent is visible.
      bars.options.scales.x.beginAtZero = false;
      bars.options.scales.x.grace = '5%';
      bars.options.scales.x.ticks = { callback: (v) => moneyShort(m(v)) };
      bars.update();
      charts.push(bars);
    }
    result.querySelector('#csv').addEventListener('click', () => {
      const header = ['quarter', 'p10', 'p50', 'p90', 'mean', 'currency'];
      const rows = s.revenue.map((f) => [f.quarter, String(f.p10), String(f.p50), String(f.p90), String(f.mean), currency]);
      download(`risk-revenue-${body.from}-${body.until}-${s.trials}-trials-seed-${s.seed}.csv`, toCsv([header, ...rows]));
    });
  };

  const run = async () => {
    form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    problem.hidden = true;
    if (!checkDates(form)) return;
    const text = (name) => form[name].value.trim();
    const body = {
      trials: text('trials') === '' ? null : Number(text('trials')),
      seed: text('seed') === '' ? null : Number(text('seed')),
      from: text('from'),
      until: text('until'),
    };
    history.replaceState(null, '', `/risk?${new URLSearchParams({ trials: text('trials'), seed: text('seed'), from: body.from, until: body.until })}`);
    dispose();
    result.innerHTML = `<p class="loading">Running ${esc(text('trials'))} trials…</p>`;
    const button = main.querySelector('#run');
    button.disabled = true;
    try {
      const r = await api('/api/v1/risk/run', { method: 'POST', body });
      if (current()) show(r, body);
    } catch (e) {
      if (!current()) return;
      result.innerHTML = '';
      if (e instanceof ApiError && e.status === 400 && e.problem?.errors) {
        // Each message under its field, by the API's name for it; a field the form does not have is listed above.
        const unplaced = [];
        for (const [field, messages] of Object.entries(e.problem.errors)) {
          const target = form.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
          if (target) target.textContent = messages.join(' ');
          else unplaced.push(`${field}: ${messages.join(' ')}`);
        }
        if (unplaced.length) {
          problem.textContent = unplaced.join('\n');
          problem.hidden = false;
        }
        return;
      }
      problem.textContent = e.problem?.detail ?? e.message;
      problem.hidden = false;
    } finally {
      button.disabled = false;
    }
  };
  main.querySelector('#run').addEventListener('click', run);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  if (query.has('trials')) await run();
  return dispose;
}
