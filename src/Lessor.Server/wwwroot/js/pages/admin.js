// Admin pages: API keys (create, shown once; list; revoke) and the audit log of writes and admin actions.

import { api, ApiError } from '../api.js';
import { esc } from '../format.js';

const ROLES = ['admin', 'planner', 'finance', 'operator', 'tenant'];

/** API keys: a new key's secret is shown once, here, and never again. */
export async function keys({ main, navigate, current }) {
  main.innerHTML = '<h1>API keys</h1><p class="loading">Loading…</p>';
  const [list, customers] = await Promise.all([api('/api/v1/keys'), api('/api/v1/customers?limit=1000').then((p) => p.items)]);
  if (!current()) return null;
  const active = list.filter((k) => !k.revoked_at).length;
  main.innerHTML = `
    <h1>API keys</h1>
    <p class="sub">${active} active, ${list.length - active} revoked. A key is shown once, when it is made; the server keeps only its hash.</p>
    <section class="panel">
      <h2>New key</h2>
      <form class="form" id="new-key" novalidate>
        <label>Role<select name="role">${ROLES.map((r) => `<option>${r}</option>`).join('')}</select><span class="field-error" data-for="role"></span></label>
        <label>Customer (tenant keys only)<select name="customer"><option value="">none</option>${customers.map((c) => `<option value="${esc(c.id)}">${esc(c.name)}</option>`).join('')}</select><span class="field-error" data-for="customer"></span></label>
        <label>Name<input name="name" type="text" placeholder="who or what uses it"></label>
      </form>
      <div class="actions"><button type="button" class="primary" id="create">Create key</button></div>
      <div id="created"></div>
    </section>
    <section class="panel">
      <table data-testid="keys"><thead><tr><th>Id</th><th>Name</th><th>Role</th><th>Customer</th><th>Created (UTC)</th><th>Revoked (UTC)</th><th></th></tr></thead>
        <tbody>${list.map((k) => `<tr data-key-id="${esc(k.id)}"><td><code>${esc(k.id)}</code></td><td>${esc(k.name)}</td><td>${esc(k.role)}</td><td>${esc(k.customer ?? '')}</td>
          <td>${esc(instant(k.created_at))}</td><td>${k.revoked_at ? `<span class="chip bad">${esc(instant(k.revoked_at))}</span>` : ''}</td>
          <td>${k.revoked_at ? '' : `<button type="button" data-revoke="${esc(k.id)}">Revoke</button>`}</td></tr>`).join('')}</tbody></table>
    </section>`;

  const form = main.querySelector('#new-key');
  main.querySelector('#create').addEventListener('click', async () => {
    form.querySelectorAll('.field-error').forEach((x) => { x.textContent = ''; });
    const body = { role: form.role.value, ...(form.customer.value ? { customer: form.customer.value } : {}), ...(form.name.value.trim() ? { name: form.name.value.trim() } : {}) };
    try {
      const made = await api('/api/v1/keys', { method: 'POST', body });
      if (!current()) return;
      // Drawn in place (no reload): the secret exists only in this answer.
      main.querySelector('#created').innerHTML = `<div class="message info" data-testid="created-key">
        <strong>Key ${esc(made.record.id)} (${esc(made.record.role)}${made.record.customer ? ` for ${esc(made.record.customer)}` : ''}).</strong>
        Copy it now; it will not be shown again:<br><code data-testid="secret">${esc(made.key)}</code></div>`;
      const tbody = main.querySelector('[data-testid="keys"] tbody');
      tbody.insertAdjacentHTML('beforeend', `<tr data-key-id="${esc(made.record.id)}"><td><code>${esc(made.record.id)}</code></td><td>${esc(made.record.name)}</td><td>${esc(made.record.role)}</td>
        <td>${esc(made.record.customer ?? '')}</td><td>${esc(instant(made.record.created_at))}</td><td></td><td><button type="button" data-revoke="${esc(made.record.id)}">Revoke</button></td></tr>`);
    } catch (e) {
      if (!current()) return;
      if (e instanceof ApiError && e.problem?.errors) {
        for (const [field, messages] of Object.entries(e.problem.errors)) {
          const target = form.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
          if (target) target.textContent = messages.join(' ');
        }
      } else main.querySelector('#created').innerHTML = `<div class="message error">${esc(e.message)}</div>`;
    }
  });
  main.querySelector('[data-testid="keys"]').addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-revoke]');
    if (!button) return;
    if (!window.confirm(`Revoke key ${button.dataset.revoke}? Requests with it are refused from now on.`)) return;
    button.disabled = true;
    await api(`/api/v1/keys/${encodeURIComponent(button.dataset.revoke)}`, { method: 'DELETE' });
    if (current()) navigate('/keys');
  });
  return null;
}

/** The audit log, newest first, a page at a time (older pages by sequence). */
export async function audit({ main, query, current }) {
  const before = /^\d+$/.test(query.get('before') ?? '') ? query.get('before') : null;
  const limit = 100;
  main.innerHTML = '<h1>Audit log</h1><p class="loading">Loading…</p>';
  const entries = await api(`/api/v1/audit?limit=${limit}${before ? `&before=${before}` : ''}`);
  if (!current()) return null;
  const oldest = entries.at(-1)?.sequence;
  main.innerHTML = `
    <h1>Audit log</h1>
    <p class="sub">Every write and admin action: who (key and role), what, when (UTC), and the answer. Newest first.</p>
    <section class="panel">
      <table data-testid="audit"><thead><tr><th class="num">#</th><th>At (UTC)</th><th>Key</th><th>Role</th><th>Request</th><th class="num">Status</th><th>Detail</th></tr></thead>
        <tbody>${entries.map((a) => `<tr data-sequence="${a.sequence}"><td class="num">${a.sequence}</td><td class="nowrap">${esc(instant(a.at))}</td><td><code>${esc(a.key_id ?? '')}</code></td>
          <td>${esc(a.role ?? '')}</td><td><code>${esc(a.method)} ${esc(a.path)}</code></td><td class="num"><span class="chip ${a.status < 400 ? 'good' : 'bad'}">${a.status}</span></td>
          <td>${esc(a.detail ?? '')}</td></tr>`).join('')}</tbody></table>
      <div class="pager">${before ? '<a href="/audit">newest</a>' : ''}${entries.length === limit ? `<a href="/audit?before=${oldest}" data-testid="older">older →</a>` : '<span class="muted">no older entries</span>'}</div>
    </section>`;
  return null;
}

/** An instant as ISO date and time to the second, UTC. */
function instant(text) {
  return text ? `${text.slice(0, 10)} ${text.slice(11, 19)}` : '';
}
