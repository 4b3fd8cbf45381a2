// One contract: its terms, lines with their placement, and the amendment history. Desk roles can amend a line or
// cancel the contract, each previewed first (TCV change, GPUs, placement or GPUs freed) and applied only on confirm.

import { api, ApiError } from '../api.js';
import { checkDates, dateInput, day, esc, int, money, period, price } from '../format.js';

const DESK_ROLES = ['admin', 'planner'];
const SCHEDULE_ROLES = ['admin', 'finance', 'tenant'];

export async function contract(context) {
  const { main, params, current, me } = context;
  const [id] = params;
  main.innerHTML = `<h1>Contract ${esc(id)}</h1><p class="loading">Loading…</p>`;
  let c;
  let etag;
  try {
    // Only the contract's own 404 means "not found"; any other failure is reported as itself.
    const answer = await api(`/api/v1/contracts/${encodeURIComponent(id)}`, { withStatus: true });
    c = answer.data;
    etag = answer.etag;
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    if (!current()) return null;
    main.innerHTML = `
      <h1>Contract ${esc(id)}</h1>
      <div class="message error" data-testid="not-found"><strong>Contract not found.</strong>
        There is no contract “${esc(id)}” that this console can show. <a href="/contracts">Back to contracts</a></div>`;
    return null;
  }
  // GPUs per unit come from the catalog, which tenants may not read: without it placement shows units only.
  const mayReadEstate = !me || me.role !== 'tenant';
  const platforms = mayReadEstate ? await api('/api/v1/platforms?limit=1000').then((p) => p.items).catch(() => []) : [];
  if (!current()) return null;
  const perUnit = new Map(platforms.map((p) => [p.id, p.gpus_per_unit]));
  draw(context, c, etag, perUnit);
  return null;
}

function draw(context, c, etag, perUnit) {
  const { main, me } = context;
  const facts = [
    ['Customer', esc(c.customer)],
    ['Kind', esc(c.kind.replaceAll('_', '-'))],
    ['Signed', esc(day(c.signed_on))],
    ['Value (TCV)', `<span data-testid="tcv">${money(c.value)}</span>`],
    c.headline_value ? ['Headline value', money(c.headline_value)] : null,
    c.prepayment ? ['Prepayment', money(c.prepayment)] : null,
    c.backstop_cap ? ['Backstop cap', `${money(c.backstop_cap)} over ${period(c.backstop_period)}`] : null,
    c.sla ? ['SLA', `${(c.sla.availability_target * 100).toFixed(2)}% monthly; credit ${(c.sla.credit_fraction * 100).toFixed(0)}%, capped at ${(c.sla.credit_cap_fraction * 100).toFixed(0)}%`] : null,
    c.cancellation_terms ? ['Cancellation terms', `fee ${(c.cancellation_terms.fee_fraction * 100).toFixed(0)}% of remaining value, ${int(c.cancellation_terms.notice_days)} days' notice`] : null,
    c.cancellation ? ['Cancelled', `<span class="chip bad">from ${esc(day(c.cancellation.effective_on))}</span> fee ${money(c.cancellation.fee)} ${esc(c.cancellation.reason ?? '')}`] : null,
  ].filter(Boolean);

  const placement = (line) => (line.pinned.length === 0
    ? '<span class="muted">placed by the ledger</span>'
    : pills(line.pinned, perUnit.get(line.platform)));
  const links = [];
  if (!me || SCHEDULE_ROLES.includes(me.role)) {
    links.push(`<a href="/revenue${me?.role === 'tenant' ? '' : `?by=customer`}" data-testid="schedule-link">revenue schedule</a>`);
    links.push(`<a href="/invoices${me?.role === 'tenant' ? '' : `?customer=${encodeURIComponent(c.customer)}`}" data-testid="invoices-link">invoices</a>`);
  }
  const desk = (!me || DESK_ROLES.includes(me.role)) && !c.cancellation && c.kind !== 'backstop';
  const committed = c.lines.filter((l) => !l.option || l.option.exercised_on);

  main.innerHTML = `
    <h1 data-testid="contract-id">Contract ${esc(c.id)}</h1>
    <p class="sub">${esc(c.title ?? '')}${links.length ? ` ${c.title ? '· ' : ''}${esc(c.customer)}'s ${links.join(' and ')}` : ''}</p>
    <section class="panel"><dl class="facts" data-testid="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl></section>
    <section class="panel">
      <h2>Lines</h2>
      <table data-testid="lines">
        <thead><tr><th>Line</th><th>Platform</th><th class="num">GPUs</th><th>Period [start, end)</th><th class="num">Price / GPU-hour</th><th>Locality</th><th class="num">Block</th><th class="num">Min sites</th><th class="num">Value</th><th>Placement</th></tr></thead>
        <tbody>${c.lines.map((l) => `
          <tr data-line="${esc(l.id)}">
            <td>${esc(l.id)}${l.option ? ` <span class="chip">${l.option.exercised_on ? `option exercised ${esc(day(l.option.exercised_on))}` : `option by ${esc(day(l.option.exercise_by))}`}</span>` : ''}</td>
            <td>${esc(l.platform)}</td><td class="num">${int(l.gpus)}</td><td class="nowrap">${esc(period(l.period))}</td>
            <td class="num">${price(l.price_per_gpu_hour)}</td><td>${esc(l.locality)}</td>
            <td class="num">${int(l.block_size ?? null)}</td><td class="num">${int(l.min_sites)}</td>
            <td class="num">${money(l.value)}</td><td data-testid="placement">${placement(l)}</td>
          </tr>`).join('')}
        </tbody>
      </table>
    </section>
    ${desk && committed.length > 0 ? `
    <section class="panel" data-testid="amend-panel">
      <h2>Amend a line</h2>
      <p class="muted">Grow, shrink or extend one line from a date on (only the future changes). Preview first; nothing is stored until you confirm.</p>
      <form class="form" id="amend" novalidate>
        <label>Line<select name="line">${committed.map((l) => `<option value="${esc(l.id)}">${esc(l.id)} (${int(l.gpus)} GPUs to ${esc(day(l.period.end))})</option>`).join('')}</select><span class="field-error" data-for="line"></span></label>
        <label>Effective (UTC)${dateInput('effective', '')}<span class="field-error" data-for="effective"></span></label>
        <label>New GPUs (blank: unchanged)<input name="gpus" type="number" min="1" step="1"><span class="field-error" data-for="gpus"></span></label>
        <label>New end, exclusive (blank: unchanged)${dateInput('end', '')}<span class="field-error" data-for="end"></span></label>
      </form>
      <div class="actions"><button type="button" id="amend-preview" class="primary">Preview amendment</button></div>
      <div id="amend-result" data-testid="amend-result"></div>
    </section>
    <section class="panel" data-testid="cancel-panel">
      <h2>Cancel the contract</h2>
      <p class="muted">Ends every line from a date on; the fee follows the contract's cancellation terms. Preview first.</p>
      <form class="form" id="cancel" novalidate>
        <label>Effective (UTC)${dateInput('effective', '', { required: true })}<span class="field-error" data-for="effective"></span></label>
        <label>Reason<input name="reason" type="text"></label>
      </form>
      <div class="actions"><button type="button" id="cancel-preview">Preview cancellation</button></div>
      <div id="cancel-result" data-testid="cancel-result"></div>
    </section>` : ''}
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
  if (desk && committed.length > 0) wireEdits(context, c, etag, perUnit);
}

/** One pill per fabric: blocks in one fabric are summed, not repeated; GPUs shown when the unit size is known. */
function pills(blocks, per) {
  const units = new Map();
  for (const b of blocks) units.set(b.fabric, (units.get(b.fabric) ?? 0) + b.units);
  return [...units].map(([fabric, n]) => `<span class="chip">${esc(fabric)} · ${int(n)} units${per ? ` = ${int(n * per)} GPUs` : ''}</span>`).join('');
}

function wireEdits(context, c, etag, perUnit) {
  const { main, current } = context;
  const path = `/api/v1/contracts/${encodeURIComponent(c.id)}`;
  const fieldErrors = (form, e) => {
    if (e instanceof ApiError && e.status === 400 && e.problem?.errors) {
      for (const [field, messages] of Object.entries(e.problem.errors)) {
        const target = form.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
        if (target) target.textContent = messages.join(' ');
      }
      return true;
    }
    return false;
  };
  const reload = async () => {
    const answer = await api(path, { withStatus: true });
    if (current()) draw(context, answer.data, answer.etag, perUnit);
  };
  const change = (m) => {
    if (!m) return '–';
    const n = Number(m.amount);
    return `${n > 0 ? '+' : ''}${money(m)}`;
  };

  const amend = main.querySelector('#amend');
  const amendResult = main.querySelector('#amend-result');
  const amendBody = () => {
    const body = { line: amend.line.value, effective: amend.effective.value.trim() || null };
    if (amend.gpus.value) body.gpus = Number(amend.gpus.value);
    if (amend.end.value.trim()) body.end = amend.end.value.trim();
    return body;
  };
  main.querySelector('#amend-preview').addEventListener('click', async () => {
    amend.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    if (!checkDates(amend)) return;
    const body = amendBody();
    try {
      const p = await api(`${path}/amend-preview`, { method: 'POST', body });
      if (!current()) return;
      if (!p.possible) {
        amendResult.innerHTML = `<div class="panel result nofit" data-testid="amend-refused"><h2>It would be refused.</h2>
          <p class="reason">${esc(p.field)}: ${esc(p.error)}</p>${(p.constraints ?? []).map((x) => `<p class="reason">${esc(x.reason)}</p>`).join('')}</div>`;
        return;
      }
      const per = perUnit.get(c.lines.find((l) => l.id === body.line)?.platform);
      amendResult.innerHTML = `<div class="panel result fits" data-testid="amend-preview-result"><h2>Preview: ${esc(body.line)} from ${esc(body.effective)}</h2>
        <dl class="facts">
          <dt>TCV</dt><dd data-testid="preview-tcv">${money(p.tcv_before)} → ${money(p.tcv_after)} (<span data-testid="preview-tcv-change">${change(p.tcv_change)}</span>)</dd>
          <dt>GPUs</dt><dd data-testid="preview-gpus">${int(p.gpus_before)} → ${int(p.gpus_after)}</dd>
          <dt>End</dt><dd>${esc(day(p.end_before))} → ${esc(day(p.end_after))}</dd>
          <dt>Placement after</dt><dd>${pills(p.placement_after, per) || '<span class="muted">unchanged</span>'}</dd>
        </dl>
        <div class="actions"><button type="button" class="primary" id="amend-confirm">Confirm amendment</button></div></div>`;
      amendResult.querySelector('#amend-confirm').addEventListener('click', async (e) => {
        e.target.disabled = true;
        try {
          await api(`${path}/amend`, { method: 'POST', body, headers: { 'If-Match': etag } });
          await reload();
        } catch (err) {
          if (current()) amendResult.innerHTML = `<div class="message error" data-testid="error">${esc(err.status === 412 ? 'The contract changed since this page loaded; reload and preview again.' : err.message)}</div>`;
        }
      });
    } catch (e) {
      if (!current()) return;
      if (fieldErrors(amend, e)) amendResult.innerHTML = '';
      else amendResult.innerHTML = `<div class="message error" data-testid="error">${esc(e.message)}</div>`;
    }
  });

  const cancel = main.querySelector('#cancel');
  const cancelResult = main.querySelector('#cancel-result');
  main.querySelector('#cancel-preview').addEventListener('click', async () => {
    cancel.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    if (!checkDates(cancel)) return;
    const body = { effective: cancel.effective.value.trim(), ...(cancel.reason.value.trim() ? { reason: cancel.reason.value.trim() } : {}) };
    try {
      const p = await api(`${path}/cancel-preview`, { method: 'POST', body });
      if (!current()) return;
      if (!p.possible) {
        cancelResult.innerHTML = `<div class="panel result nofit" data-testid="cancel-refused"><h2>It would be refused.</h2><p class="reason">${esc(p.field)}: ${esc(p.error)}</p></div>`;
        return;
      }
      cancelResult.innerHTML = `<div class="panel result nofit" data-testid="cancel-preview-result"><h2>Preview: cancel ${esc(c.id)} from ${esc(body.effective)}</h2>
        <dl class="facts">
          <dt>TCV</dt><dd>${money(p.tcv_before)} → ${money(p.tcv_after)} (${change(p.tcv_change)}), the fee included</dd>
          <dt>Cancellation fee</dt><dd data-testid="preview-fee">${money(p.fee)}</dd>
          <dt>GPUs freed</dt><dd data-testid="preview-freed">${int(p.gpus_freed)}</dd>
        </dl>
        <div class="actions"><button type="button" class="primary" id="cancel-confirm">Confirm cancellation</button></div></div>`;
      cancelResult.querySelector('#cancel-confirm').addEventListener('click', async (e) => {
        e.target.disabled = true;
        try {
          await api(`${path}/cancel`, { method: 'POST', body, headers: { 'If-Match': etag } });
          await reload();
        } catch (err) {
          if (current()) cancelResult.innerHTML = `<div class="message error" data-testid="error">${esc(err.status === 412 ? 'The contract changed since this page loaded; reload and preview again.' : err.message)}</div>`;
        }
      });
    } catch (e) {
      if (!current()) return;
      if (fieldErrors(cancel, e)) cancelResult.innerHTML = '';
      else cancelResult.innerHTML = `<div class="message error" data-testid="error">${esc(e.message)}</div>`;
    }
  });
}
