// Placement: how much free capacity is stranded, and which lines that have not started should move to free whole
// blocks. The proposal is a diff to review; applying it is all or nothing, and the server refuses it if the book
// moved or a line started since.

import { api, ApiError } from '../api.js';
import { checkDates, dateInput, esc, int, todayUtc } from '../format.js';

export async function placement({ main, query, current }) {
  const q = (name, fallback) => query.get(name) ?? fallback;
  main.innerHTML = `
    <h1>Placement</h1>
    <p class="sub">Lines that have not started may move inside their own locality, block and site rules. Stranded = free GPU-hours no deal of the chosen size can use.</p>
    <section class="panel">
      <form class="form" id="optimize" novalidate>
        <label>As of (lines starting later may move)${dateInput('as_of', q('as_of', todayUtc()))}<span class="field-error" data-for="as_of"></span></label>
        <label>Measure until (default five years on)${dateInput('until', q('until', ''))}<span class="field-error" data-for="until"></span></label>
        <label>Deal size (GPUs)<input name="min_deal_gpus" type="number" min="1" step="1" value="${esc(q('min_deal_gpus', '1024'))}"><span class="field-error" data-for="min_deal_gpus"></span></label>
        <label>At most this many moves (0: no limit)<input name="max_moves" type="number" min="0" step="1" value="${esc(q('max_moves', '100'))}"><span class="field-error" data-for="max_moves"></span></label>
      </form>
      <div class="actions"><button type="button" data-action="propose" class="primary">Propose moves</button></div>
    </section>
    <section id="result" data-testid="result"></section>`;

  const form = main.querySelector('#optimize');
  const result = main.querySelector('#result');
  let plan = null;

  const body = () => {
    const b = {};
    if (form.as_of.value.trim()) b.as_of = `${form.as_of.value.trim()}T00:00:00Z`;
    if (form.until.value.trim()) b.until = `${form.until.value.trim()}T00:00:00Z`;
    if (form.min_deal_gpus.value !== '') b.min_deal_gpus = Number(form.min_deal_gpus.value);
    if (form.max_moves.value !== '') b.max_moves = Number(form.max_moves.value);
    return b;
  };
  // One entry per fabric: several blocks in one fabric are summed.
  const blocks = (list) => {
    const units = new Map();
    for (const b of list) units.set(b.fabric, (units.get(b.fabric) ?? 0) + b.units);
    return [...units].map(([fabric, n]) => `${esc(fabric)} × ${int(n)}`).join(', ');
  };
  const hours = (h) => int(Math.round(Number(h)));
  const share = (part, whole) => (Number(whole) > 0 ? `${(100 * Number(part) / Number(whole)).toFixed(1)}%` : '–');

  const showError = (e) => {
    if (e instanceof ApiError && e.status === 400 && e.problem?.errors) {
      for (const [field, messages] of Object.entries(e.problem.errors)) {
        const target = main.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
        if (target) target.textContent = messages.join(' ');
      }
      result.innerHTML = '<div class="message error" data-testid="validation">See the fields marked in red.</div>';
      return;
    }
    result.innerHTML = `<div class="message error" data-testid="error">${esc(e.problem?.detail ?? e.message)}</div>`;
  };

  const render = (p) => {
    const summary = `<p>${int(p.movable_lines)} line(s) not started may move; ${int(p.frozen_lines)} stay (started or amended).
      Stranded GPU-hours for deals of ${int(p.min_deal_gpus)}+ GPUs: <strong>${hours(p.stranded_gpu_hours_before)}</strong> (${share(p.stranded_gpu_hours_before, p.free_gpu_hours)} of free)
      → <strong data-testid="stranded-after">${hours(p.stranded_gpu_hours_after)}</strong> (${share(p.stranded_gpu_hours_after, p.free_gpu_hours)}).</p>`;
    if (p.moves.length === 0) {
      return `<div class="panel result fits" data-testid="plan"><h2>No move frees more contiguous capacity.</h2>${summary}</div>`;
    }
    const rows = p.moves.map((m) => `<tr><td><a href="/contracts/${encodeURIComponent(m.contract)}">${esc(m.contract)}</a> / ${esc(m.line)}</td>
      <td>${blocks(m.from)}</td><td>${blocks(m.to)}</td></tr>`).join('');
    return `<div class="panel result fits" data-testid="plan"><h2>${int(p.moves.length)} move(s) proposed.</h2>${summary}
      <table data-testid="moves"><thead><tr><th>Line</th><th>Now in</th><th>Moves to</th></tr></thead><tbody>${rows}</tbody></table>
      <div class="actions"><button type="button" data-action="apply" class="primary">Apply these moves</button></div></div>`;
  };

  main.querySelector('.actions').addEventListener('click', async (e) => {
    if (!e.target.closest('button[data-action="propose"]')) return;
    form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    if (!checkDates(form)) return;
    main.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    result.innerHTML = '<p class="loading">Asking the ledger…</p>';
    try {
      plan = await api('/api/v1/placement/optimize', { method: 'POST', body: body() });
      if (current()) result.innerHTML = render(plan);
    } catch (err) {
      if (current()) showError(err);
    }
  });
  result.addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-action="apply"]');
    if (!button || !plan) return;
    button.disabled = true;
    try {
      const applied = await api('/api/v1/placement/moves', { method: 'POST', body: { moves: plan.moves } });
      if (current()) {
        result.innerHTML = `<div class="panel result fits" data-testid="applied"><h2>Applied: ${int(applied.moves.length)} line(s) moved.</h2>
          <p>Their new blocks are pinned in the book. Propose again to see what is left.</p></div>`;
      }
    } catch (err) {
      if (current()) showError(err);
    }
  });
  return null;
}
