// Fleet health (docs/fleet.md): nodes per fabric by state, lines short now with the customer to call, failed nodes,
// open repairs and RMAs, spare pools and the latest swaps. Operators act on a node from here (repair, RMA, return).

import { api } from '../api.js';
import { esc, int } from '../format.js';

const STATES = ['burn_in', 'in_service', 'degraded', 'failed', 'in_repair', 'rma', 'retired'];
const LABEL = { burn_in: 'Burn-in', in_service: 'In service', degraded: 'Degraded', failed: 'Failed', in_repair: 'In repair', rma: 'RMA', retired: 'Retired' };
// What an operator may do next from each state (FleetDesk refuses anything else, with the reason).
const NEXT = { failed: ['start_repair', 'rma', 'retire'], degraded: ['start_repair'], in_repair: ['return_to_service', 'rma'], rma: ['return_to_service', 'retire'] };
const ACTION = { start_repair: 'Start repair', rma: 'RMA', return_to_service: 'Return to service', retire: 'Retire' };

export async function fleet({ main, query, navigate, current, me }) {
  const all = query.get('all') === '1';
  main.innerHTML = '<h1>Fleet health</h1><p class="loading">Loading…</p>';
  const [summary, atRisk, failed, repair, rma, spares] = await Promise.all([
    api('/api/v1/fleet/summary'),
    api('/api/v1/fleet/at-risk'),
    api('/api/v1/fleet/nodes?state=failed&limit=100'),
    api('/api/v1/fleet/nodes?state=in_repair&limit=100'),
    api('/api/v1/fleet/nodes?state=rma&limit=100'),
    api('/api/v1/fleet/spares'),
  ]);
  if (!current()) return null;
  const acts = !me || me.role === 'admin' || me.role === 'operator';
  const stateCells = (states) => STATES.map((s) => `<td class="num${states[s] > 0 && ['failed', 'degraded', 'rma', 'in_repair'].includes(s) ? ' warn' : ''}">${int(states[s])}</td>`).join('');
  const nodeRows = (nodes) => nodes.map((n) => `<tr data-node="${esc(n.serial)}"><td>${esc(n.serial)}</td><td>${esc(n.fabric)}</td><td class="num">${int(n.gpus)}</td>
      <td>${esc(LABEL[n.state] ?? n.state)}</td><td>${esc(n.since.slice(0, 16).replace('T', ' '))}</td><td>${esc(n.role)}${n.contract ? ` <span class="muted">${esc(n.contract)}/${esc(n.line)}</span>` : ''}</td>
      <td>${acts ? (NEXT[n.state] ?? []).map((a) => `<button type="button" data-act="${a}" data-serial="${esc(n.serial)}">${ACTION[a]}</button>`).join(' ') : ''}</td></tr>`).join('');
  const nodeTable = (id, page, empty) => page.items.length === 0 ? `<p class="muted" data-testid="${id}-none">${empty}</p>` : `
      <table data-testid="${id}"><thead><tr><th>Node</th><th>Fabric</th><th class="num">GPUs</th><th>State</th><th>Since (UTC)</th><th>Role</th><th></th></tr></thead>
        <tbody>${nodeRows(page.items)}</tbody></table>${page.total > page.items.length ? `<p class="muted">First ${int(page.items.length)} of ${int(page.total)}.</p>` : ''}`;
  const repairs = { items: [...repair.items, ...rma.items], total: repair.total + rma.total };
  // By default only fabrics that need an operator: nodes failed, degraded, in repair or RMA, or spares under the policy.
  const attention = (f) => ['failed', 'degraded', 'in_repair', 'rma'].some((s) => f.states[s] > 0) || (f.spares && f.spares.left < f.spares.policy_nodes);
  const shown = all ? summary.fabrics : summary.fabrics.filter(attention);

  main.innerHTML = `
    <h1>Fleet health</h1>
    <p class="sub">${int(summary.nodes)} nodes, ${int(summary.gpus)} GPUs. Lines short now: <strong data-testid="lines-short">${int(summary.lines_short)}</strong>.
      Open repairs and RMAs: <strong data-testid="open-repairs">${int(summary.open_repairs)}</strong>.</p>
    <div id="act-result"></div>
    <section class="panel">
      <h2>Lines short now</h2>
      ${atRisk.length === 0 ? '<p class="muted" data-testid="at-risk-none">None: every committed line has its GPUs.</p>' : `
      <table data-testid="at-risk"><thead><tr><th>Customer to call</th><th>Contract</th><th>Line</th><th class="num">GPUs short</th><th>Since (UTC)</th><th>Nodes lost</th></tr></thead>
        <tbody>${atRisk.map((l) => `<tr><td>${esc(l.customer_name)}</td><td><a href="/contracts/${encodeURIComponent(l.contract)}" data-nav>${esc(l.contract)}</a></td><td>${esc(l.line)}</td>
          <td class="num">${int(l.gpus_short)}</td><td>${esc(l.since.slice(0, 16).replace('T', ' '))}</td><td>${l.nodes.map((n) => `<span class="chip">${esc(n)}</span>`).join('')}</td></tr>`).join('')}</tbody></table>`}
    </section>
    <section class="panel">
      <h2>Fabrics by state</h2>
      <p class="sub">${all ? `All ${int(summary.fabrics.length)} fabrics.` : `${int(shown.length)} of ${int(summary.fabrics.length)} fabrics need attention (nodes out, or fewer healthy spares than the policy asks).`}
        <a href="/fleet${all ? '' : '?all=1'}" data-nav data-testid="toggle-all">${all ? 'Show only those needing attention' : 'Show all fabrics'}</a></p>
      <table data-testid="fabrics"><thead><tr><th>Fabric</th><th>Site</th><th>Platform</th><th class="num">Nodes</th>${STATES.map((s) => `<th class="num">${LABEL[s]}</th>`).join('')}
        <th class="num">Spares left / pool</th><th class="num">Policy</th></tr></thead>
        <tbody>${shown.map((f) => `<tr data-fabric="${esc(f.fabric)}"><td>${esc(f.fabric)}</td><td>${esc(f.site)}</td><td>${esc(f.platform)}</td><td class="num">${int(f.nodes)}</td>
          ${stateCells(f.states)}<td class="num${f.spares && f.spares.left < f.spares.policy_nodes ? ' warn' : ''}">${f.spares ? `${int(f.spares.left)} / ${int(f.spares.pool)}` : '–'}</td>
          <td class="num">${f.spares ? int(f.spares.policy_nodes) : '–'}</td></tr>`).join('')}</tbody>
        <tfoot><tr><th colspan="3">All fabrics</th><th class="num">${int(summary.nodes)}</th>${stateCells(summary.states)}<th></th><th></th></tr></tfoot></table>
    </section>
    <section class="panel">
      <h2>Failed nodes</h2>
      ${nodeTable('failed', failed, 'None.')}
    </section>
    <section class="panel">
      <h2>Open repairs and RMAs</h2>
      ${nodeTable('repairs', repairs, 'None.')}
    </section>
    <section class="panel">
      <h2>Latest swaps</h2>
      ${spares.recent_swaps.length === 0 ? '<p class="muted" data-testid="swaps-none">None yet.</p>' : `
      <table data-testid="swaps"><thead><tr><th>Decided (UTC)</th><th>Contract</th><th>Line</th><th>Failed node</th><th>Spare</th><th>Cause</th></tr></thead>
        <tbody>${spares.recent_swaps.map((s) => `<tr><td>${esc(s.decided_at.slice(0, 19).replace('T', ' '))}</td><td>${esc(s.contract)}</td><td>${esc(s.line)}</td>
          <td>${esc(s.failed)}</td><td>${s.spare ? esc(s.spare) : '<span class="warn">none left: line short</span>'}</td><td>${esc(s.cause)}</td></tr>`).join('')}</tbody></table>`}
    </section>`;

  main.addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-act]');
    if (!button) return;
    button.disabled = true;
    try {
      await api(`/api/v1/fleet/nodes/${encodeURIComponent(button.dataset.serial)}/actions`, { method: 'POST', body: { action: button.dataset.act } });
      if (current()) navigate('/fleet');
    } catch (err) {
      button.disabled = false;
      main.querySelector('#act-result').innerHTML = `<div class="message error" data-testid="act-refused">${esc(err.problem?.detail ?? err.message)}</div>`;
    }
  });
  return null;
}
