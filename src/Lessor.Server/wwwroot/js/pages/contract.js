// One contract: its terms, lines with their placement, and the amendment history.

import { api, ApiError } from '../api.js';
import { day, esc, int, money, period } from '../format.js';

export async function contract({ main, params, current }) {
  const [id] = params;
  main.innerHTML = `<h1>Contract ${esc(id)}</h1><p class="loading">Loading…</p>`;
  let c;
  let platforms;
  try {
    [c, platforms] = await Promise.all([
      api(`/api/v1/contracts/${encodeURIComponent(id)}`),
      api('/api/v1/platforms?limit=1000').then((p) => p.items),
    ]);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    if (!current()) return null;
    main.innerHTML = `
      <h1>Contract ${esc(id)}</h1>
      <div class="message error" data-testid="not-found"><strong>Contract not found.</strong>
        There is no contract “${esc(id)}” that this console can show. <a href="/contracts">Back to contracts</a></div>`;
    return null;
  }
  if (!current()) return null;
  const perUnit = new Map(platforms.map((p) => [p.id, p.gpus_per_unit]));

  const facts = [
    ['Customer', esc(c.customer)],
    ['Kind', esc(c.kind.replaceAll('_', '-'))],
    ['Signed', esc(day(c.signed_on))],
    ['Value (TCV)', money(c.value)],
    c.headline_value ? ['Headline value', money(c.headline_value)] : null,
    c.prepayment ? ['Prepayment', money(c.prepayment)] : null,
    c.backstop_cap ? ['Backstop cap', `${money(c.backstop_cap)} over ${period(c.backstop_period)}`] : null,
    c.sla ? ['SLA', `${(c.sla.availability_target * 100).toFixed(2)}% monthly; credit ${(c.sla.credit_fraction * 100).toFixed(0)}%, capped at ${(c.sla.credit_cap_fraction * 100).toFixed(0)}%`] : null,
    c.cancellation_terms ? ['Cancellation terms', `fee ${(c.cancellation_terms.fee_fraction * 100).toFixed(0)}% of remaining value, ${int(c.cancellation_terms.notice_days)} days' notice`] : null,
    c.cancellation ? ['Cancelled', `<span class="chip bad">from ${esc(day(c.cancellation.effective_on))}</span> fee ${money(c.cancellation.fee)} ${esc(c.cancellation.reason ?? '')}`] : null,
  ].filter(Boolean);

  const placement = (line) => line.pinned.length === 0
    ? '<span class="muted">placed by the ledger</span>'
    : line.pinned.map((b) => `<span class="chip">${esc(b.fabric)} · ${int(b.units)} units = ${int(b.units * (perUnit.get(line.platform) ?? 0))} GPUs</span>`).join('');

  main.innerHTML = `
    <h1 data-testid="contract-id">Contract ${esc(c.id)}</h1>
    <p class="sub">${esc(c.title ?? '')}</p>
    <section class="panel"><dl class="facts" data-testid="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl></section>
    <section class="panel">
      <h2>Lines</h2>
      <table data-testid="lines">
        <thead><tr><th>Line</th><th>Platform</th><th class="num">GPUs</th><th>Period [start, end)</th><th class="num">Price / GPU-hour</th><th>Locality</th><th class="num">Block</th><th class="num">Min sites</th><th class="num">Value</th><th>Placement</th></tr></thead>
        <tbody>${c.lines.map((l) => `
          <tr data-line="${esc(l.id)}">
            <td>${esc(l.id)}${l.option ? ` <span class="chip">${l.option.exercised_on ? `option exercised ${esc(day(l.option.exercised_on))}` : `option by ${esc(day(l.option.exercise_by))}`}</span>` : ''}</td>
            <td>${esc(l.platform)}</td><td class="num">${int(l.gpus)}</td><td class="nowrap">${esc(period(l.period))}</td>
            <td class="num">${money(l.price_per_gpu_hour)}</td><td>${esc(l.locality)}</td>
            <td class="num">${int(l.block_size ?? null)}</td><td class="num">${int(l.min_sites)}</td>
            <td class="num">${money(l.value)}</td><td data-testid="placement">${placement(l)}</td>
          </tr>`).join('')}
        </tbody>
      </table>
    </section>
    <section class="panel">
      <h2>Amendments</h2>
      ${c.amendments.length === 0 ? '<p class="muted" data-testid="no-amendments">None: the contract stands as signed.</p>' : `
      <table data-testid="amendments">
        <thead><tr><th>#</th><th>Effective</th><th>Kind</th><th>Line</th><th>Before</th><th>After</th><th>Note</th></tr></thead>
        <tbody>${c.amendments.map((a) => `
          <tr><td>${int(a.sequence)}</td><td>${esc(day(a.effective_on))}</td><td>${esc(a.kind)}</td><td>${esc(a.line ?? '')}</td>
            <td>${a.before ? `${int(a.before.gpus)} GPUs, ${esc(period(a.before.period))}` : ''}</td>
            <td>${a.after ? `${int(a.after.gpus)} GPUs, ${esc(period(a.after.period))}` : ''}</td>
            <td>${esc(a.note ?? '')}</td></tr>`).join('')}
        </tbody>
      </table>`}
    </section>`;
  return null;
}
