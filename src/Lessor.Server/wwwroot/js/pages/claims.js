// Node claims: the on-demand pool (free nodes per platform now), the claims held, and release. Claims never touch
// units a reserved line holds (docs/claims.md). A tenant sees and makes only its own.

import { api, ApiError } from '../api.js';
import { esc, int } from '../format.js';

export async function claims({ main, navigate, current, me }) {
  const tenant = me?.role === 'tenant';
  main.innerHTML = '<h1>Node claims</h1><p class="loading">Loading…</p>';
  const [pool, held, customers] = await Promise.all([
    api('/api/v1/claims/pool'),
    api('/api/v1/claims'),
    api('/api/v1/customers?limit=1000').then((p) => p.items),
  ]);
  if (!current()) return null;
  const names = new Map(customers.map((c) => [c.id, c.name]));

  main.innerHTML = `
    <h1>Node claims${tenant ? ` of ${esc(names.get(me.customer) ?? me.customer)}` : ''}</h1>
    <p class="sub">On-demand nodes from units no reserved line holds. ${int(held.length)} claim(s) held.</p>
    <section class="panel">
      <h2>Pool now</h2>
      <table data-testid="pool"><thead><tr><th>Platform</th><th class="num">Free nodes</th><th class="num">Nodes per scale-up domain</th></tr></thead>
        <tbody>${pool.map((p) => `<tr data-platform="${esc(p.platform)}"><td>${esc(p.name)} <span class="muted">${esc(p.platform)}</span></td>
          <td class="num">${int(p.free_nodes)}</td><td class="num">${int(p.nodes_per_domain)}</td></tr>`).join('')}</tbody></table>
    </section>
    <section class="panel">
      <h2>Claim nodes</h2>
      <form class="form" id="claim" novalidate>
        ${tenant ? '' : `<label>Customer<select name="customer">${customers.map((c) => `<option value="${esc(c.id)}">${esc(c.name)}</option>`).join('')}</select><span class="field-error" data-for="customer"></span></label>`}
        <label>Platform<select name="platform">${pool.map((p) => `<option value="${esc(p.platform)}">${esc(p.name)}</option>`).join('')}</select><span class="field-error" data-for="platform"></span></label>
        <label>Nodes<input name="nodes" type="number" min="1" step="1" value="1"><span class="field-error" data-for="nodes"></span></label>
        <label>Scope<select name="scope"><option value="fabric">within one fabric</option><option value="domain">within one scale-up domain</option></select><span class="field-error" data-for="scope"></span></label>
      </form>
      <div class="actions"><button type="button" class="primary" id="make">Claim</button></div>
      <div id="claim-result"></div>
    </section>
    <section class="panel">
      <h2>Claims held</h2>
      ${held.length === 0 ? '<p class="muted" data-testid="no-claims">None.</p>' : `
      <table data-testid="claims"><thead><tr><th>Claim</th><th>Customer</th><th>Platform</th><th>Scope</th><th class="num">Nodes</th><th>Where</th><th></th></tr></thead>
        <tbody>${held.map((c) => `<tr data-claim="${esc(c.id)}"><td>${esc(c.id)}</td><td>${esc(names.get(c.customer) ?? c.customer)}</td><td>${esc(c.platform)}</td>
          <td>${esc(c.scope)}</td><td class="num">${int(c.node_count)}</td><td>${[...new Set(c.nodes.map((n) => n.fabric))].map((f) => `<span class="chip">${esc(f)}</span>`).join('')}</td>
          <td><button type="button" data-release="${esc(c.id)}">Release</button></td></tr>`).join('')}</tbody></table>`}
    </section>`;

  const form = main.querySelector('#claim');
  main.querySelector('#make').addEventListener('click', async (e) => {
    form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    const body = {
      customer: tenant ? me.customer : form.customer.value, platform: form.platform.value,
      nodes: form.nodes.value === '' ? null : Number(form.nodes.value), scope: form.scope.value,
    };
    e.target.disabled = true;
    try {
      await api('/api/v1/claims', { method: 'POST', body, headers: { 'Idempotency-Key': crypto.randomUUID?.() ?? String(Date.now()) } });
      if (current()) navigate('/claims');
    } catch (err) {
      if (!current()) return;
      e.target.disabled = false;
      if (err instanceof ApiError && err.status === 400 && err.problem?.errors) {
        for (const [field, messages] of Object.entries(err.problem.errors)) {
          const target = form.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
          if (target) target.textContent = messages.join(' ');
        }
        return;
      }
      main.querySelector('#claim-result').innerHTML = `<div class="message error" data-testid="claim-refused">${esc(err.problem?.detail ?? err.message)}</div>`;
    }
  });
  main.addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-release]');
    if (!button) return;
    button.disabled = true;
    try {
      await api(`/api/v1/claims/${encodeURIComponent(button.dataset.release)}`, { method: 'DELETE' });
      if (current()) navigate('/claims');
    } catch (err) {
      button.disabled = false;
      main.querySelector('#claim-result').innerHTML = `<div class="message error">${esc(err.message)}</div>`;
    }
  });
  return null;
}
