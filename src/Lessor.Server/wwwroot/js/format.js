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

/** Money in whole units for large figures such as capex: "$7,896,000,000". */
export function moneyWhole(m) {
  if (!m) return '–';
  const n = Math.round(Number(m.amount));
  return `${n < 0 ? '-' : ''}${symbol(m.currency)}${group(String(Math.abs(n)))}`;
}

/** A price per GPU-hour as the CLI shows it: to the cent, then as many more digits as the price has (4.9269 -> "$4.9269"). */
export function price(m) {
  if (!m) return '–';
  const [whole, fraction = ''] = m.amount.replace('-', '').split('.');
  const f = fraction.replace(/0+$/, '').padEnd(2, '0');
  return `${m.amount.startsWith('-') ? '-' : ''}${symbol(m.currency)}${group(whole)}.${f}`;
}

/** A date field that reads and writes ISO dates (YYYY-MM-DD), never the browser's locale format. */
export function dateInput(name, value, { required = false } = {}) {
  return `<input name="${esc(name)}" type="text" inputmode="numeric" autocomplete="off" data-iso-date${required ? ' required' : ''}
    pattern="\\d{4}-\\d{2}-\\d{2}" placeholder="YYYY-MM-DD" value="${esc(value ?? '')}">`;
}

/** Null for a real calendar date written YYYY-MM-DD (or an empty optional one), else the sentence that says why not. */
export function isoDateProblem(text, required = false) {
  if (!text) return required ? 'required: a date as YYYY-MM-DD.' : null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return `'${text}' is not a date as YYYY-MM-DD (UTC).`;
  const d = new Date(`${text}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text) return `${text} is not a calendar date.`;
  return null;
}

/**
 * Checks every ISO date field of `form`, writing each problem into the field's `.field-error` (data-for = the field's
 * API name, else its input name); true when all are fine.
 */
export function checkDates(form, apiNames = {}) {
  let ok = true;
  for (const input of form.querySelectorAll('input[data-iso-date]')) {
    const problem = isoDateProblem(input.value.trim(), input.required);
    const target = form.querySelector(`.field-error[data-for="${CSS.escape(apiNames[input.name] ?? input.name)}"]`);
    if (target) target.textContent = problem ?? '';
    if (problem) ok = false;
  }
  return ok;
}

/** A month written YYYY-MM, or null. */
export function isMonth(text) {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(text ?? '');
}

/** The month before the current UTC month (the latest closed one): "2026-10" in November 2026. */
export function lastClosedMonth() {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

/** Rows as CSV text (RFC 4180 quoting), first row the header. */
export function toCsv(rows) {
  return rows.map((r) => r.map((v) => {
    const s = String(v ?? '');
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  }).join(',')).join('\n') + '\n';
}

/** Offers `text` to the browser as a file download. */
export function download(name, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
