// Estate: sites with their power envelopes and every delivery (slips marked); /estate/{site} is one site: its
// envelope vs delivered IT load, its fabrics, and only its deliveries.

import { api } from '../api.js';
import { lineChart, palette } from '../charts.js';
import { day, esc, int, mw, todayUtc } from '../format.js';

const all = (path) => api(`${path}${path.includes('?') ? '&' : '?'}limit=1000`).then((page) => page.items);

export async function estate({ main, params, query, current, navigate }) {
  const [siteId] = params;
  main.innerHTML = '<h1>Estate</h1><p class="loading">Loading sites, fabrics and deliveries…</p>';
  const [sites, fabrics, deliveries, platforms] = await Promise.all([
    all('/api/v1/sites'), all('/api/v1/fabrics'), all('/api/v1/deliveries'), all('/api/v1/platforms')]);
  if (!current()) return null;

  const today = /^\d{4}-\d{2}-\d{2}$/.test(query.get('as_of') ?? '') ? query.get('as_of') : todayUtc();
  const platformById = new Map(platforms.map((p) => [p.id, p]));
  const fabricById = new Map(fabrics.map((f) => [f.id, f]));
  const slipped = deliveries.filter(isSlipped);
  const mwAt = (site, date) => site.power.filter((s) => s.from.slice(0, 10) <= date).reduce((_, s) => s.mw, 0);
  const selected = siteId ? sites.find((s) => s.id === siteId) : null;
  if (siteId && !selected) {
    main.innerHTML = `<h1>Estate</h1><div class="message error" data-testid="not-found"><strong>Site not found.</strong>
      There is no site “${esc(siteId)}”. <a href="/estate">Back to the estate</a></div>`;
    return null;
  }
  const siteFabrics = selected ? new Set(fabrics.filter((f) => f.site === selected.id).map((f) => f.id)) : null;
  const shown = selected ? deliveries.filter((d) => siteFabrics.has(d.fabric)) : deliveries;
  const shownSlipped = shown.filter(isSlipped);

  main.innerHTML = `
    <h1>${selected ? `Estate: <span data-testid="site-id">${esc(selected.id)}</span>` : 'Estate'}</h1>
    <p class="sub">${int(sites.length)} sites, ${int(fabrics.length)} fabrics, ${int(deliveries.length)} deliveries
      (<span data-testid="slipped-count">${int(slipped.length)}</span> slipped). Power as of ${esc(today)} (UTC).</p>
    <section class="panel">
      <h2>Sites and power envelopes</h2>
      <div class="scroll">
      <table data-testid="sites">
        <thead><tr><th>Site</th><th>Region</th><th>Cooling</th><th class="num">Energized now</th><th class="num">Contracted</th><th>Envelope (from → MW)</th></tr></thead>
        <tbody>${sites.map((s) => `
          <tr class="clickable${s.id === selected?.id ? ' selected' : ''}" data-site="${esc(s.id)}">
            <td><a href="/estate/${encodeURIComponent(s.id)}"><strong>${esc(s.id)}</strong></a><div class="muted">${esc(s.name)}</div></td>
            <td>${esc(s.region)}</td><td>${esc(s.cooling.join(', '))}</td>
            <td class="num">${mw(mwAt(s, today))}</td>
            <td class="num">${mw(Math.max(0, ...s.power.map((p) => p.mw)))}</td>
            <td>${s.power.map((p) => `<span class="chip">${esc(day(p.from))} · ${esc(p.mw)} MW</span>`).join('')}</td>
          </tr>`).join('')}
        </tbody>
      </table>
      </div>
    </section>
    ${selected ? '<section class="panel" id="site-panel" data-testid="site-panel"></section>' : ''}
    <section class="panel">
      <div class="toolbar">
        <h2 style="margin:0">${selected ? `Deliveries to ${esc(selected.id)} (<span data-testid="site-delivery-count">${int(shown.length)}</span>)` : 'Deliveries'}</h2>
        ${selected ? '<a href="/estate">all sites</a>' : ''}
        <label><input type="checkbox" id="slipped-only"> slipped only</label>
      </div>
      <div class="scroll">
      <table data-testid="deliveries">
        <thead><tr><th>Delivery</th><th>Fabric</th><th>Platform</th><th class="num">Units</th><th class="num">GPUs</th><th>Status</th><th>Acceptance</th><th>Slip</th></tr></thead>
        <tbody id="delivery-rows"></tbody>
      </table>
      </div>
    </section>`;

  const deliveryRow = (d) => {
    const fabric = fabricById.get(d.fabric);
    const platform = platformById.get(fabric?.platform);
    const slip = isSlipped(d)
      ? `<span class="chip bad">slipped ${days(d.original_acceptance_date, d.acceptance_date)} days from ${esc(day(d.original_acceptance_date))}</span>`
      : '';
    return `<tr data-delivery="${esc(d.id)}"${isSlipped(d) ? ' data-slipped="true"' : ''}>
      <td>${esc(d.id)}</td><td>${esc(d.fabric)}</td><td>${esc(fabric?.platform)}</td>
      <td class="num">${int(d.units)}</td><td class="num">${int(platform ? d.units * platform.gpus_per_unit : null)}</td>
      <td><span class="chip ${d.status === 'accepted' ? 'good' : ''}">${esc(d.status)}</span></td>
      <td>${esc(day(d.acceptance_date))}</td><td>${slip}</td></tr>`;
  };
  const rows = main.querySelector('#delivery-rows');
  const showDeliveries = (onlySlipped) => {
    rows.innerHTML = (onlySlipped ? shownSlipped : shown).map(deliveryRow).join('');
  };
  const slippedOnly = main.querySelector('#slipped-only');
  slippedOnly.checked = query.get('slipped') === '1';
  slippedOnly.addEventListener('change', () => showDeliveries(slippedOnly.checked));
  showDeliveries(slippedOnly.checked);

  let siteChart = null;
  const showSite = (id) => {
    const site = sites.find((s) => s.id === id);
    if (!site) return;
    for (const tr of main.querySelectorAll('tr[data-site]')) tr.classList.toggle('selected', tr.dataset.site === id);
    const own = fabrics.filter((f) => f.site === id);
    const ownIds = new Set(own.map((f) => f.id));
    const ownDeliveries = deliveries.filter((d) => ownIds.has(d.fabric));
    const panel = main.querySelector('#site-panel');
    panel.innerHTML = `
      <h2>${esc(site.id)}: ${esc(site.name)}</h2>
      <div class="grid2">
        <div><div class="chart-box"><canvas data-testid="envelope-chart" aria-label="Power envelope and delivered IT load"></canvas></div></div>
        <div>
          <table data-testid="site-fabrics">
            <thead><tr><th>Fabric</th><th>Platform</th><th class="num">Max units</th><th class="num">Delivered units</th></tr></thead>
            <tbody>${own.map((f) => `<tr><td>${esc(f.id)}</td><td>${esc(f.platform)}</td><td class="num">${int(f.max_units)}</td>
              <td class="num">${int(ownDeliveries.filter((d) => d.fabric === f.id).reduce((n, d) => n + d.units, 0))}</td></tr>`).join('')}</tbody>
          </table>
        </div>
      </div>`;
    // The envelope and the IT load of its deliveries, stepped at every date either changes, on a true time axis.
    const dates = [...new Set([...site.power.map((p) => day(p.from)), ...ownDeliveries.map((d) => day(d.acceptance_date))])].sort();
    const loadMw = (date) => ownDeliveries.filter((d) => day(d.acceptance_date) <= date)
      .reduce((sum, d) => sum + d.units * (platformById.get(fabricById.get(d.fabric)?.platform)?.unit_kw ?? 0) / 1000, 0);
    const at = (date) => Date.parse(`${date}T00:00:00Z`);
    siteChart?.destroy();
    siteChart = lineChart(panel.querySelector('canvas'), null, [
      { label: 'Energized envelope MW', data: dates.map((d) => ({ x: at(d), y: mwAt(site, d) })), color: palette[2], stepped: true, fill: true },
      { label: 'Delivered IT load MW', data: dates.map((d) => ({ x: at(d), y: loadMw(d) })), color: palette[0], stepped: true },
    ], { yTitle: 'MW', timeAxis: true });
  };
  main.querySelector('[data-testid="sites"] tbody').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-site]');
    if (tr && !e.target.closest('a')) navigate(`/estate/${encodeURIComponent(tr.dataset.site)}${query.get('as_of') ? `?as_of=${encodeURIComponent(query.get('as_of'))}` : ''}`);
  });
  if (selected) showSite(selected.id);
  return () => siteChart?.destroy();
}

function isSlipped(d) {
  return Boolean(d.original_acceptance_date) && d.original_acceptance_date !== d.acceptance_date;
}

function days(from, to) {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86400000);
}
