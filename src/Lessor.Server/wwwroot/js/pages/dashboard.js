// Dashboard: power and capacity over time (small series from /api/v1/dashboard/*) and, for roles that may read
// finance, the KPI tiles. One power vocabulary (docs/finance.md): energized (a site's envelope), in service
// (energized envelope of sites with accepted units), drawn (IT load of accepted units), contracted.

import { api } from '../api.js';
import { lineChart, palette } from '../charts.js';
import { esc, money, moneyShort, mw, percent, todayUtc } from '../format.js';

const FINANCE_ROLES = ['admin', 'finance'];

export async function dashboard({ main, query, current, me }) {
  const asOf = /^\d{4}-\d{2}-\d{2}$/.test(query.get('as_of') ?? '') ? query.get('as_of') : todayUtc();
  const tiles = !me || FINANCE_ROLES.includes(me.role);
  main.innerHTML = `
    <h1>Dashboard</h1>
    <p class="sub">As of <strong data-testid="as-of">${esc(asOf)}</strong> (UTC). Series are per quarter; later quarters are the plan.</p>
    ${tiles ? `<section class="tiles" data-testid="tiles">
      ${['Backlog', 'RPO', 'Run-rate', 'In-service power', 'Contracted power', 'Utilization'].map((label) => `
        <div class="tile" data-tile="${esc(label)}"><div class="label">${esc(label)}</div><div class="value loading">…</div><div class="note"></div></div>`).join('')}
    </section>` : ''}
    <section class="panel">
      <h2>Drawn, energized and contracted power</h2>
      <div class="chart-box"><canvas id="power-chart" data-testid="power-chart" aria-label="Drawn, energized and contracted MW per quarter"></canvas></div>
      <p class="muted" id="power-basis"></p>
    </section>
    <section class="panel">
      <h2>Supply vs committed GPUs by platform</h2>
      <div class="small-multiples" id="capacity-charts" data-testid="capacity-charts"></div>
      <p class="muted" id="capacity-basis"></p>
    </section>`;

  const charts = [];
  const dispose = () => charts.forEach((c) => c.destroy());

  // Charts and tiles load independently: the charts' payloads are tiny and should not wait on finance.
  const chartsDone = Promise.all([api('/api/v1/dashboard/power'), api('/api/v1/dashboard/capacity')]).then(([power, capacity]) => {
    if (!current()) return;
    charts.push(lineChart(main.querySelector('#power-chart'), power.quarters, [
      { label: 'Drawn MW', data: power.drawn_mw, color: palette[0], fill: true },
      { label: 'Energized MW', data: power.energized_mw, color: palette[2] },
      { label: 'Contracted MW', data: power.contracted_mw, color: palette[1], dashed: true },
    ], { yTitle: 'MW' }));
    main.querySelector('#power-basis').textContent = power.basis;

    const grid = main.querySelector('#capacity-charts');
    for (const p of capacity.platforms) {
      const box = document.createElement('div');
      box.innerHTML = `<h2>${esc(p.name)}</h2><div class="chart-box"><canvas data-testid="capacity-chart" data-platform="${esc(p.platform)}"></canvas></div>`;
      grid.append(box);
      charts.push(lineChart(box.querySelector('canvas'), capacity.quarters, [
        { label: 'Supply GPUs', data: p.supply_gpus, color: palette[0], fill: true, stepped: true },
        { label: 'Committed GPUs', data: p.committed_gpus, color: palette[4], stepped: true },
      ], { yTitle: 'GPUs', xTicks: 5 }));
    }
    main.querySelector('#capacity-basis').textContent = capacity.basis;
    performance.mark('lessor:dashboard-charts');
  });

  const tilesDone = !tiles ? Promise.resolve() : api(`/api/v1/finance/kpis?as_of=${asOf}`).then((k) => {
    if (!current()) return;
    const t = k.total;
    const set = (label, value, note, title) => {
      const tile = main.querySelector(`[data-tile="${label}"]`);
      tile.querySelector('.value').textContent = value;
      tile.querySelector('.value').classList.remove('loading');
      tile.querySelector('.note').textContent = note;
      if (title) tile.title = title;
    };
    set('Backlog', moneyShort(t.backlog), `RPO + ${moneyShort(t.other_committed)} other committed`, money(t.backlog));
    set('RPO', moneyShort(t.rpo), `TCV ${moneyShort(t.tcv)}, recognized ${moneyShort(t.recognized)}`, money(t.rpo));
    set('Run-rate', moneyShort(t.run_rate), k.run_rate_name, money(t.run_rate));
    set('In-service power', mw(t.in_service_mw), `energized at sites with accepted units; ${mw(t.drawn_mw)} drawn`
      + (t.revenue_per_mw_year ? `; ${moneyShort(t.revenue_per_mw_year)} per MW-year` : ''));
    set('Contracted power', mw(t.contracted_mw), 'every signed envelope step, once energized');
    set('Utilization', percent(t.utilization), 'committed / available GPU-hours, last month');
    performance.mark('lessor:dashboard-tiles');
  });

  const results = await Promise.allSettled([chartsDone, tilesDone]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed && current()) {
    const note = document.createElement('div');
    note.className = 'message error';
    note.dataset.testid = 'error';
    note.textContent = failed.reason.message;
    main.prepend(note);
  }
  return dispose;
}
