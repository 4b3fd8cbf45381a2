// Slip what-if: pick a delivery and a new acceptance date; see the lines it would leave uncovered and the revenue it
// would move by quarter, then (operators and admins) record the slip. Commitments stay where they are.

import { api, ApiError } from '../api.js';
import { checkDates, dateInput, day, esc, int, money } from '../format.js';

const RECORD_ROLES = ['admin', 'operator'];

export async function deliveries({ main, query, navigate, current, me }) {
  main.innerHTML = '<h1>Slip what-if</h1><p class="loading">Loading deliveries…</p>';
  const [all, fabrics] = await Promise.all([
    api('/api/v1/deliveries?limit=1000').then((p) => p.items),
    api('/api/v1/fabrics?limit=1000').then((p) => p.items),
  ]);
  if (!current()) return null;
  const siteOf = new Map(fabrics.map((f) => [f.id, f.site]));
  const sites = [...new Set(fabrics.map((f) => f.site))].sort();
  const site = query.get('site') ?? '';
  const pending = all.filter((d) => d.status !== 'accepted' && (!site || siteOf.get(d.fabric) === site));
  const chosen = all.find((d) => d.id === query.get('id')) ?? pending[0];
  const to = query.get('to') ?? '';
  const mayRecord = !me || RECORD_ROLES.includes(me.role);

  main.innerHTML = `
    <h1>Slip what-if</h1>
    <p class="sub">What if a delivery lands on another date? Lines it leaves uncovered and the revenue that moves, by quarter. Nothing is stored until you record it.</p>
    <section class="panel">
      <form class="form" id="whatif" novalidate>
        <label>Site<select name="site"><option value="">all sites</option>${sites.map((s) => `<option${s === site ? ' selected' : ''}>${esc(s)}</option>`).join('')}</select></label>
        <label>Delivery (not yet accepted)<select name="id">${pending.map((d) => `<option value="${esc(d.id)}"${d.id === chosen?.id ? ' selected' : ''}>${esc(d.id)}: ${int(d.units)} units, due ${esc(day(d.acceptance_date))}</option>`).join('')}</select><span class="field-error" data-for="id"></span></label>
        <label>New acceptance date (UTC)${dateInput('to', to, { required: true })}<span class="field-error" data-for="to"></span></label>
      </form>
      <div class="actions"><button type="button" class="primary" id="preview">What if</button></div>
    </section>
    <section id="result" data-testid="result"></section>`;

  const form = main.querySelector('#whatif');
  const result = main.querySelector('#result');
  form.site.addEventListener('change', () => navigate(`/deliveries${form.site.value ? `?site=${encodeURIComponent(form.site.value)}` : ''}`));

  const render = (o, recorded) => {
    const d = o.delivery;
    const r = o.revenue;
    result.innerHTML = `<div class="panel result ${o.uncovered.length ? 'nofit' : 'fits'}" data-testid="${recorded ? 'recorded' : 'whatif'}">
      <h2>${recorded ? 'Recorded: ' : 'If '}${esc(d.id)} (${int(d.units)} units into ${esc(d.fabric)}) ${recorded ? 'is now due' : 'were accepted'} ${esc(day(d.acceptance_date))}
        ${d.original_acceptance_date ? `<span class="muted">(first promised ${esc(day(d.original_acceptance_date))})</span>` : ''}</h2>
      <p>Revenue deferred: <strong data-testid="deferred">${money(r?.deferred)}</strong>; never recognized: <strong data-testid="lost">${money(r?.lost)}</strong>.</p>
      ${o.uncovered.length ? `<h2>Lines left uncovered</h2><table data-testid="uncovered">
        <thead><tr><th>Contract / line</th><th>Fabric</th><th>From</th><th>To</th><th class="num">GPUs short</th></tr></thead>
        <tbody>${o.uncovered.map((u) => `<tr><td><a href="/contracts/${encodeURIComponent(u.line.contract)}">${esc(u.line.contract)}</a>/${esc(u.line.line)}</td><td>${esc(u.fabric)}</td>
          <td>${esc(day(u.shortfall.start))}</td><td>${esc(day(u.shortfall.end))}</td><td class="num">${int(u.short)}</td></tr>`).join('')}</tbody></table>`
        : '<p data-testid="no-uncovered">No line is left uncovered.</p>'}
      ${r?.quarters.length ? `<h2>Revenue moved by quarter</h2><table data-testid="quarters">
        <thead><tr><th>Quarter</th><th class="num">Before</th><th class="num">After</th><th class="num">Moved</th></tr></thead>
        <tbody>${r.quarters.map((q) => `<tr><td>${esc(q.quarter)}</td><td class="num">${money(q.before)}</td><td class="num">${money(q.after)}</td><td class="num">${money(q.moved)}</td></tr>`).join('')}</tbody></table>` : ''}
      ${!recorded && mayRecord ? '<div class="actions"><button type="button" class="primary" id="record" data-testid="record">Record this slip</button></div>' : ''}
    </div>`;
  };

  const ask = async (recording) => {
    form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    if (!checkDates(form)) return;
    const id = form.id.value;
    const body = { to: form.to.value.trim() };
    history.replaceState(null, '', `/deliveries?${new URLSearchParams({ ...(form.site.value ? { site: form.site.value } : {}), id, to: body.to })}`);
    result.innerHTML = '<p class="loading">Asking the ledger…</p>';
    try {
      const o = await api(`/api/v1/deliveries/${encodeURIComponent(id)}/${recording ? 'slip' : 'slip-preview'}`, { method: 'POST', body });
      if (current()) render(o, recording);
    } catch (e) {
      if (!current()) return;
      if (e instanceof ApiError && e.status === 400 && e.problem?.errors) {
        result.innerHTML = '';
        for (const [field, messages] of Object.entries(e.problem.errors)) {
          const target = form.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
          if (target) target.textContent = messages.join(' ');
        }
        return;
      }
      result.innerHTML = `<div class="panel result nofit" data-testid="refused"><h2>${recording ? 'Not recorded.' : 'Not possible.'}</h2><p class="reason">${esc(e.problem?.detail ?? e.message)}</p></div>`;
    }
  };
  main.querySelector('#preview').addEventListener('click', () => ask(false));
  result.addEventListener('click', (e) => {
    if (e.target.closest('#record')) ask(true);
  });
  if (chosen && to) await ask(false);
  return null;
}
