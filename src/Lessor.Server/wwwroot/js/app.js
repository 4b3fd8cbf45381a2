// The console's router: client-side pages under one index.html, links intercepted, back/forward restored.

import { api, apiKey, setApiKey } from './api.js';
import { esc } from './format.js';
import { dashboard } from './pages/dashboard.js';
import { estate } from './pages/estate.js';
import { contracts } from './pages/contracts.js';
import { contract } from './pages/contract.js';
import { deals } from './pages/deals.js';
import { placement } from './pages/placement.js';
import { invoices } from './pages/invoices.js';
import { revenue } from './pages/revenue.js';
import { kpis } from './pages/kpis.js';
import { deliveries } from './pages/deliveries.js';
import { risk } from './pages/risk.js';
import { claims } from './pages/claims.js';
import { fleet } from './pages/fleet.js';
import { availability } from './pages/availability.js';
import { keys, audit } from './pages/admin.js';

const routes = [
  { pattern: /^\/$/, page: 'dashboard', render: dashboard },
  { pattern: /^\/estate$/, page: 'estate', render: estate },
  { pattern: /^\/estate\/([^/]+)$/, page: 'estate', render: estate },
  { pattern: /^\/contracts$/, page: 'contracts', render: contracts },
  { pattern: /^\/contracts\/([^/]+)$/, page: 'contracts', render: contract },
  { pattern: /^\/deals$/, page: 'deals', render: deals },
  { pattern: /^\/placement$/, page: 'placement', render: placement },
  { pattern: /^\/deliveries$/, page: 'deliveries', render: deliveries },
  { pattern: /^\/risk$/, page: 'risk', render: risk },
  { pattern: /^\/kpis$/, page: 'kpis', render: kpis },
  { pattern: /^\/revenue$/, page: 'revenue', render: revenue },
  { pattern: /^\/invoices$/, page: 'invoices', render: invoices },
  { pattern: /^\/claims$/, page: 'claims', render: claims },
  { pattern: /^\/fleet$/, page: 'fleet', render: fleet },
  { pattern: /^\/availability$/, page: 'availability', render: availability },
  { pattern: /^\/keys$/, page: 'keys', render: keys },
  { pattern: /^\/audit$/, page: 'audit', render: audit },
];

const main = document.getElementById('main');
let disposeCurrent = null;
let generation = 0;

/** Goes to a console URL without reloading. */
export function navigate(url) {
  history.pushState(null, '', url);
  render();
}

// Which pages each role may use (the API's policies, src/Lessor.Server/Access/Roles.cs): a page is listed only when
// every call it needs is allowed. A tenant sees its own contracts, revenue schedule, invoices, claims and availability.
const pagesOf = {
  admin: ['dashboard', 'estate', 'contracts', 'deals', 'placement', 'deliveries', 'risk', 'kpis', 'revenue', 'invoices', 'claims', 'fleet', 'availability', 'keys', 'audit'],
  planner: ['dashboard', 'estate', 'contracts', 'deals', 'placement', 'deliveries', 'risk', 'fleet'],
  finance: ['dashboard', 'estate', 'contracts', 'risk', 'kpis', 'revenue', 'invoices', 'fleet', 'availability'],
  operator: ['dashboard', 'estate', 'contracts', 'deliveries', 'claims', 'fleet', 'availability'],
  tenant: ['contracts', 'revenue', 'invoices', 'claims', 'availability'],
};
let whoFor = null;
let who = null;

/** The caller behind the saved key ({ role, customer, name }), asked once per key; null without a valid key. */
async function caller() {
  const key = apiKey();
  if (whoFor === key) return who;
  whoFor = key;
  who = null;
  if (key) {
    try {
      who = await api('/api/v1/me');
    } catch {
      who = null;
    }
  }
  return who;
}

async function render() {
  const mine = ++generation;
  const me = await caller();
  if (mine !== generation) return;
  // Without a key every page is listed: each then says which key it needs.
  const allowed = me ? pagesOf[me.role] ?? [] : pagesOf.admin;
  for (const a of document.querySelectorAll('nav a[data-page]')) a.hidden = !allowed.includes(a.dataset.page);
  document.body.dataset.role = me?.role ?? '';
  document.getElementById('who').textContent = me ? `${me.role}${me.customer ? ` · ${me.customer}` : ''}` : '';
  // A role without the dashboard (a tenant) starts at its first page instead.
  if (me && !allowed.includes('dashboard') && (location.pathname === '/' || location.pathname === '')) {
    history.replaceState(null, '', `/${allowed[0] ?? 'contracts'}`);
  }
  disposeCurrent?.();
  disposeCurrent = null;
  main.replaceChildren();
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const route = routes.find((r) => r.pattern.test(path));
  for (const a of document.querySelectorAll('nav a[data-page]')) {
    if (route && a.dataset.page === route.page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!route) {
    main.innerHTML = `<h1>Page not found</h1><div class="message error" data-testid="not-found"><strong>Page not found.</strong>
      The console has no page at ${esc(path)}. <a href="/">Go to the start page</a>.</div>`;
    return;
  }
  if (me && !allowed.includes(route.page)) {
    main.innerHTML = `<h1>Not available</h1><div class="message error" data-testid="not-allowed"><strong>This key's role (${esc(me.role)}) cannot use this page.</strong>
      The pages it can use are in the bar at the top.</div>`;
    return;
  }
  const params = path.match(route.pattern).slice(1).map(decodeURIComponent);
  const context = {
    main,
    params,
    query: new URLSearchParams(location.search),
    navigate,
    // The caller ({ role, customer, name }), or null without a key: pages offer only what the role may do.
    me,
    // A page checks this before drawing late results, so a slow answer never paints over the next page.
    current: () => mine === generation,
  };
  try {
    disposeCurrent = (await route.render(context)) ?? null;
  } catch (e) {
    if (mine !== generation) return;
    main.innerHTML = `<div class="message error" data-testid="error">${esc(e.message)}</div>`;
  }
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href);
  // A blob: URL (a download the page made) has this page's origin too: only http(s) links are console routes.
  if (url.protocol !== location.protocol || url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', render);

const keyInput = document.getElementById('key-input');
keyInput.value = apiKey();
document.getElementById('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setApiKey(keyInput.value.trim());
  render();
});
document.getElementById('key-clear').addEventListener('click', () => {
  keyInput.value = '';
  setApiKey('');
  render();
});

render();
