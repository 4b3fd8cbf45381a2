// Deal desk: enter a one-line deal, ask whether it fits, its earliest start or largest size, then sign it.

import { api, ApiError } from '../api.js';
import { checkDates, dateInput, day, esc, int, money, moneyWhole, percent } from '../format.js';

const LOCALITIES = ['any', 'region', 'site', 'fabric'];

export async function deals({ main, query, current }) {
  main.innerHTML = '<h1>Deal desk</h1><p class="loading">Loading the catalog…</p>';
  const [customers, platforms, fabrics] = await Promise.all([
    api('/api/v1/customers?limit=1000').then((p) => p.items),
    api('/api/v1/platforms?limit=1000').then((p) => p.items),
    api('/api/v1/fabrics?limit=1000').then((p) => p.items),
  ]);
  if (!current()) return null;
  const platformById = new Map(platforms.map((p) => [p.id, p]));
  const siteOf = new Map(fabrics.map((f) => [f.id, f.site]));
  const initialPlatform = platformById.get(query.get('platform')) ?? platformById.get('gb300-nvl72') ?? platforms[0];
  const q = (name, fallback) => query.get(name) ?? fallback;

  main.innerHTML = `
    <h1>Deal desk</h1>
    <p class="sub">A one-line deal: does it fit, where would it go, and if not, what binds? Periods are [start, end) in UTC.</p>
    <section class="panel">
      <form class="form" id="deal" novalidate>
        <label>Customer<select name="customer">${customers.map((c) => `<option value="${esc(c.id)}"${c.id === q('customer', '') ? ' selected' : ''}>${esc(c.name)}</option>`).join('')}</select><span class="field-error" data-for="customer"></span></label>
        <label>Platform<select name="platform">${platforms.map((p) => `<option value="${esc(p.id)}"${p.id === initialPlatform?.id ? ' selected' : ''}>${esc(p.name)}</option>`).join('')}</select><span class="field-error" data-for="lines[0].platform"></span></label>
        <label>GPUs<input name="gpus" type="number" min="1" step="1" value="${esc(q('gpus', (initialPlatform?.gpus_per_unit ?? 8) * 10))}"><span class="muted" id="unit-note"></span><span class="field-error" data-for="lines[0].gpus"></span></label>
        <label>Start${dateInput('start', q('start', '2027-01-01'), { required: true })}<span class="field-error" data-for="lines[0].start"></span></label>
        <label>End (exclusive)${dateInput('end', q('end', '2028-01-01'), { required: true })}<span class="field-error" data-for="lines[0].end"></span></label>
        <label>Locality<select name="locality">${LOCALITIES.map((l) => `<option${l === q('locality', 'any') ? ' selected' : ''}>${l}</option>`).join('')}</select><span class="field-error" data-for="lines[0].locality"></span></label>
        <label>Block size (GPUs, optional)<input name="block_size" type="number" min="1" step="1" value="${esc(q('block_size', ''))}"><span class="field-error" data-for="lines[0].block_size"></span></label>
        <label>Min sites<input name="min_sites" type="number" min="1" step="1" value="${esc(q('min_sites', '1'))}"><span class="field-error" data-for="lines[0].min_sites"></span></label>
        <label>Price per GPU-hour (optional)<input name="price" type="text" inputmode="decimal" value="${esc(q('price', ''))}"><span class="field-error" data-for="lines[0].price_per_gpu_hour"></span></label>
        <label>Contract title (for signing)<input name="title" type="text" value="${esc(q('title', ''))}"></label>
        <label>Signed on (default today)${dateInput('signed_on', q('signed_on', ''))}<span class="field-error" data-for="signed_on"></span></label>
        <label>Plan as of (default today)${dateInput('plan_today', q('plan_today', ''))}<span class="field-error" data-for="today"></span></label>
      </form>
      <div class="actions">
        <button type="button" data-action="check" class="primary">Check</button>
        <button type="button" data-action="earliest">Earliest start</button>
        <button type="button" data-action="largest">Largest size</button>
        <button type="button" data-action="plan">Build-out plan</button>
        <button type="button" data-action="sign">Sign</button>
      </div>
    </section>
    <section id="result" data-testid="result"></section>`;

  const form = main.querySelector('#deal');
  const result = main.querySelector('#result');
  // One key per version of the deal: a retried sign of the same deal replays, an edited deal signs anew.
  let idempotencyKey = newKey();

  const unitNote = () => {
    const p = platformById.get(form.platform.value);
    main.querySelector('#unit-note').textContent = p ? `multiples of ${p.gpus_per_unit} (one ${p.gpus_per_unit === 8 ? 'node' : 'rack'})` : '';
    form.price.placeholder = p ? `list reserved ${p.prices.reserved.amount}` : '';
  };
  unitNote();
  form.addEventListener('input', () => {
    idempotencyKey = newKey();
  });
  form.platform.addEventListener('change', unitNote);

  const body = () => {
    const p = platformById.get(form.platform.value);
    const line = {
      platform: form.platform.value,
      gpus: integer(form.gpus.value),
      start: form.start.value.trim() || null,
      end: form.end.value.trim() || null,
      locality: form.locality.value,
      min_sites: integer(form.min_sites.value),
    };
    if (form.block_size.value) line.block_size = integer(form.block_size.value);
    if (form.price.value.trim()) line.price_per_gpu_hour = { amount: form.price.value.trim(), currency: p?.prices.reserved.currency ?? 'USD' };
    return { customer: form.customer.value, lines: [line] };
  };

  const clearErrors = () => main.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  const showError = (e) => {
    if (e instanceof ApiError && e.status === 400 && e.problem?.errors) {
      const unplaced = [];
      for (const [field, messages] of Object.entries(e.problem.errors)) {
        const target = main.querySelector(`.field-error[data-for="${CSS.escape(field.replace(/^deal\./, ''))}"]`);
        if (target) target.textContent = messages.join(' ');
        else unplaced.push(`${field}: ${messages.join(' ')}`);
      }
      result.innerHTML = `<div class="message error" data-testid="validation">The deal is not valid; see the fields marked in red.${unplaced.length ? `<br>${unplaced.map(esc).join('<br>')}` : ''}</div>`;
      return;
    }
    result.innerHTML = `<div class="message error" data-testid="error">${esc(e.message)}</div>`;
  };

  const placementTable = (fit) => fit.placements.map((p) => `
    <table data-testid="placement">
      <thead><tr><th>Fabric</th><th>Site</th><th class="num">Units</th><th class="num">GPUs</th></tr></thead>
      <tbody>${p.blocks.map((b) => `<tr><td>${esc(b.fabric)}</td><td>${esc(siteOf.get(b.fabric) ?? '')}</td><td class="num">${int(b.units)}</td>
        <td class="num">${int(b.units * (platformById.get(p.spec.platform)?.gpus_per_unit ?? 0))}</td></tr>`).join('')}</tbody>
    </table>`).join('');
  const constraints = (fit) => fit.constraints.map((c) => `<p class="reason" data-testid="reason">${esc(c.reason)}</p>`).join('');

  const actions = {
    async check() {
      const r = await api('/api/v1/deals/check', { method: 'POST', body: body() });
      const platform = r.impact.by_platform.find((u) => u.scope === form.platform.value);
      return r.fits
        ? `<div class="panel result fits" data-testid="fits"><h2>Fits.</h2>
            <p>${r.impact.tcv ? `Contract value ${money(r.impact.tcv)}. ` : ''}${platform ? `${esc(form.platform.value)} utilization over the term: ${percent(platform.before)} → ${percent(platform.after)}.` : ''}</p>
            ${placementTable(r.fit)}</div>`
        : `<div class="panel result nofit" data-testid="no-fit"><h2>Does not fit.</h2>${constraints(r.fit)}</div>`;
    },
    async earliest() {
      const r = await api('/api/v1/deals/earliest', { method: 'POST', body: { deal: body() } });
      return r.start
        ? `<div class="panel result fits" data-testid="earliest"><h2>Earliest start: ${esc(day(r.start))}</h2>
            <p class="muted">Same duration; ${int(r.candidates_checked)} candidate starts checked.</p>${placementTable(r.fit)}</div>`
        : `<div class="panel result nofit" data-testid="earliest"><h2>No start fits in the next ten years.</h2>${constraints(r.fit)}</div>`;
    },
    async largest() {
      const r = await api('/api/v1/deals/largest', { method: 'POST', body: body() });
      return r.largest > 0
        ? `<div class="panel result fits" data-testid="largest"><h2>Largest that fits: ${int(r.largest)} GPUs</h2>
            <p><button type="button" data-use-largest="${r.largest}">Use ${int(r.largest)} GPUs</button></p>${placementTable(r.fit)}</div>`
        : `<div class="panel result nofit" data-testid="largest"><h2>Nothing of this platform fits in this period.</h2>${constraints(r.fit)}</div>`;
    },
    async plan() {
      const today = form.plan_today.value.trim();
      const r = await api('/api/v1/deals/plan', { method: 'POST', body: { deal: body(), ...(today ? { today } : {}) } });
      if (r.outcome === 'already_fits') {
        return `<div class="panel result fits" data-testid="plan"><h2>It fits already: nothing to build.</h2>${placementTable(r.fit)}</div>`;
      }
      if (r.outcome === 'no_plan') {
        return `<div class="panel result nofit" data-testid="plan"><h2>No build-out makes it fit.</h2><p class="reason" data-testid="reason">${esc(r.why ?? '')}</p></div>`;
      }
      const rows = r.deliveries.map((d) => `<tr><td>${esc(d.fabric)}${d.new_fabric ? ' <span class="muted">(new)</span>' : ''}</td><td>${esc(d.site)}</td>
        <td class="num">${int(d.units)}</td><td class="num">${int(d.gpus)}</td><td>${esc(day(d.order_by))}</td><td>${esc(day(d.acceptance_date))}</td>
        <td class="num">${Number(d.mw).toFixed(1)}</td><td class="num">${moneyWhole(d.capex)}</td></tr>`).join('');
      return `<div class="panel result fits" data-testid="plan"><h2>Build ${int(r.units)} units (${int(r.gpus)} GPUs) to sign it.</h2>
        <p>${Number(r.mw).toFixed(1)} MW drawn, capex ${moneyWhole(r.capex)}; first order by ${esc(day(r.first_order_by))}. Deal value ${money(r.tcv)},
          margin over the term ${money(r.margin)}${r.margin_percent != null ? ` (${Number(r.margin_percent).toFixed(1)}%)` : ''}.</p>
        <table data-testid="plan-deliveries"><thead><tr><th>Fabric</th><th>Site</th><th class="num">Units</th><th class="num">GPUs</th><th>Order by</th><th>Accepted</th><th class="num">MW</th><th class="num">Capex</th></tr></thead>
        <tbody>${rows}</tbody></table></div>`;
    },
    async sign() {
      const deal = body();
      const title = form.title.value.trim();
      const signed = form.signed_on.value.trim();
      try {
        const { status, data } = await api('/api/v1/deals/sign', {
          method: 'POST',
          body: { deal, ...(title ? { title } : {}), ...(signed ? { signed_on: signed } : {}) },
          headers: { 'Idempotency-Key': idempotencyKey },
          withStatus: true,
        });
        return `<div class="panel result fits" data-testid="signed"><h2>${status === 201 ? 'Signed' : 'Already signed'}: <a href="/contracts/${encodeURIComponent(data.id)}" data-testid="signed-link">${esc(data.id)}</a></h2>
          <p>${int(data.lines.reduce((n, l) => n + l.gpus, 0))} GPUs for ${esc(data.customer)}, value ${money(data.value)}. It is now in <a href="/contracts?customer=${encodeURIComponent(data.customer)}">the customer's contracts</a>.</p></div>`;
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 409) throw e;
        const reasons = (e.problem?.constraints ?? []).map((c) => `<p class="reason" data-testid="reason">${esc(c.reason)}</p>`).join('');
        return `<div class="panel result nofit" data-testid="not-signed"><h2>Not signed.</h2>${reasons || `<p class="reason" data-testid="reason">${esc(e.problem?.detail ?? e.message)}</p>`}</div>`;
      }
    },
  };

  main.querySelector('.actions').addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    clearErrors();
    if (!checkDates(form, { start: 'lines[0].start', end: 'lines[0].end', plan_today: 'today' })) {
      result.innerHTML = '<div class="message error" data-testid="validation">The deal is not valid; see the fields marked in red.</div>';
      return;
    }
    const buttons = main.querySelectorAll('.actions button');
    buttons.forEach((b) => { b.disabled = true; });
    result.innerHTML = '<p class="loading">Asking the ledger…</p>';
    try {
      const html = await actions[button.dataset.action]();
      if (current()) result.innerHTML = html;
    } catch (err) {
      if (current()) showError(err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  result.addEventListener('click', (e) => {
    const use = e.target.closest('button[data-use-largest]');
    if (!use) return;
    form.gpus.value = use.dataset.useLargest;
    idempotencyKey = newKey();
  });
  return null;
}

function integer(text) {
  return text === '' ? null : Number(text);
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Plain http on a non-loopback host is not a secure context: fall back to 128 random bits.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
