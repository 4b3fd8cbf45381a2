// Display formatting. Money arrives as an exact decimal string; it is rounded for display here, never summed.

const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Money to the cent, from the API's exact decimal string: {amount: "1234.565", currency: "USD"} -> "USD 1,234.57". */
export function money(m) {
  if (!m) return '–';
  const negative = m.amount.startsWith('-');
  const [whole, fraction = ''] = m.amount.replace('-', '').split('.');
  const f = (fraction + '000').slice(0, 3);
  let cents = BigInt(whole) * 100n + BigInt(f.slice(0, 2));
  if (Number(f[2]) >= 5) cents += 1n;
  const units = (cents / 100n).toString();
  const rest = (cents % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${symbol(m.currency)}${group(units)}.${rest}`;
}

/** Money in billions or millions for tiles: "$79.55B". */
export function moneyShort(m) {
  if (!m) return '–';
  const n = Number(m.amount);
  const abs = Math.abs(n);
  const [scale, suffix] = abs >= 1e9 ? [1e9, 'B'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${n < 0 ? '-' : ''}${symbol(m.currency)}${(abs / scale).toFixed(2)}${suffix}`;
}

function symbol(currency) {
  return currency === 'USD' ? '$' : currency === 'EUR' ? '€' : `${currency} `;
}

export function int(n) {
  return n === null || n === undefined ? '–' : group(String(n));
}

export function mw(n) {
  return n === null || n === undefined ? '–' : `${Number(n).toLocaleString('en-US', { maximumFractionDigits: 1 })} MW`;
}

export function percent(x) {
  return x === null || x === undefined ? '–' : `${(Number(x) * 100).toFixed(1)}%`;
}

/** The date of a UTC instant: "2027-01-01T00:00:00Z" -> "2027-01-01". */
export function day(instant) {
  return instant ? instant.slice(0, 10) : '–';
}

/** A half-open period [start, end) as two dates. */
export function period(p) {
  return p ? `${day(p.start)} → ${day(p.end)}` : '–';
}

/** Today's date in UTC as yyyy-mm-dd (the default "as of" of the dashboard). */
export function todayUtc() {
  return new Date().toISOString().slice(0, 10);
}

/** Escapes text for HTML templates. */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
