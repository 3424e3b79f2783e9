// Shared pieces of the console's screens: native, labelled elements that Pico styles.
import { createContext, h } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

/** Whether the signed-in staff member may change things (ConsoleAdmins) or only read
 * (ConsoleViewers): the app provides it once, around the screens; each reads it here. */
export const CanChange = createContext(false);

export function useCanChange() {
  return useContext(CanChange);
}

/** Data for a screen: { data, error, loading, reload }, loaded again when deps change. */
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const latest = useRef(0);
  const run = useCallback(() => {
    // only the newest load may answer: an older, slower one must not overwrite it
    const ticket = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => ticket === latest.current && setState({ data, error: null, loading: false }),
      (error) => ticket === latest.current && setState({ data: null, error, loading: false }),
    );
  }, deps);
  useEffect(run, [run]);
  // what a save answered is the newest version: shown at once, no reload racing the next edit
  const replace = (data) => {
    latest.current += 1;
    setState({ data, error: null, loading: false });
  };
  return { ...state, reload: run, replace };
}

/** One place for "saving…", the outcome message, and errors of a form's submit. */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, done: '' });
  const run = async (action, doneMessage) => {
    setState({ busy: true, error: null, done: '' });
    try {
      const result = await action();
      const done = typeof doneMessage === 'function' ? doneMessage(result) : doneMessage;
      setState({ busy: false, error: null, done: done || '' });
      return result;
    } catch (error) {
      setState({ busy: false, error, done: '' });
      return undefined;
    }
  };
  return { ...state, run, clear: () => setState({ busy: false, error: null, done: '' }) };
}

export function Page({ title, children, actions }) {
  const heading = useRef(null);
  useEffect(() => {
    heading.current && heading.current.focus();
  }, [title]);
  return html`<section>
    <div class="actions" style="justify-content: space-between">
      <h1 tabindex="-1" ref=${heading}>${title}</h1>
      ${actions ? html`<div class="actions">${actions}</div>` : null}
    </div>
    ${children}
  </section>`;
}

export function Loading({ what }) {
  return html`<p aria-busy="true">Loading ${what || ''}…</p>`;
}

export function ErrorNote({ error }) {
  if (!error) return null;
  const details =
    error.details && error.details.length ? html`<ul>${error.details.map((d) => html`<li>${d}</li>`)}</ul>` : null;
  return html`<article class="notice-error" role="alert"><strong>${error.status ? `Refused (${error.status}): ` : ''}</strong>${error.message}${details}</article>`;
}

export function Done({ message }) {
  return message ? html`<p class="notice-ok" role="status">${message}</p>` : null;
}

export function Loaded({ state, what, children }) {
  if (state.error) return html`<${ErrorNote} error=${state.error} />`;
  if (!state.data) return html`<${Loading} what=${what} />`;
  return children(state.data);
}

export function Tabs({ items, current }) {
  return html`<nav aria-label="Sections"><ul class="tabs">
    ${items.map(([href, label]) => html`<li><a href=${href} aria-current=${href === current ? 'page' : undefined}>${label}</a></li>`)}
  </ul></nav>`;
}

/** A table whose columns are [label, row => cell, {num}]; scrolls sideways on a phone. */
export function Table({ caption, columns, rows, empty, rowKey }) {
  if (!rows || !rows.length) return html`<p class="muted">${empty || 'Nothing yet.'}</p>`;
  return html`<div class="overflow-auto"><table class="striped">
    <caption class="muted" style="text-align:left">${caption}</caption>
    <thead><tr>${columns.map(([label, , o]) => html`<th scope="col" class=${o && o.num ? 'num' : ''}>${label}</th>`)}</tr></thead>
    <tbody>${rows.map((row, i) => html`<tr key=${rowKey ? rowKey(row) : i}>${columns.map(([, cell, o]) => html`<td class=${o && o.num ? 'num' : ''}>${cell(row)}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}

export function yesNo(value) {
  return value ? 'Yes' : 'No';
}

const SYMBOLS = { USD: '$', EUR: '€', GBP: '£' };

// ISO 4217 currencies whose minor unit is not the cent (the layer's table has them all)
const MINOR_UNITS = Object.fromEntries([
  ...[
    'BIF',
    'CLP',
    'DJF',
    'GNF',
    'ISK',
    'JPY',
    'KMF',
    'KRW',
    'PYG',
    'RWF',
    'UGX',
    'UYI',
    'VND',
    'VUV',
    'XAF',
    'XOF',
    'XPF',
  ].map((c) => [c, 0]),
  ...['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((c) => [c, 3]),
  ...['CLF', 'UYW'].map((c) => [c, 4]),
]);

/** An amount as the API sent it (a decimal string): never through a float; to the currency's
 * minor unit, or more places when the amount has them. */
export function money(amount, currency) {
  if (amount === null || amount === undefined || amount === '') return '';
  const symbol = SYMBOLS[currency || 'USD'];
  const text = String(amount);
  const [whole, fraction = ''] = text.replace(/^-/, '').split('.');
  const minor = MINOR_UNITS[currency] ?? 2;
  const cents = (fraction + '000').slice(0, Math.max(minor, fraction.replace(/0+$/, '').length));
  if (!cents) return symbol ? `${sign}${symbol}${whole}` : `${sign}${whole} ${currency}`;
  const sign = text.startsWith('-') ? '-' : '';
  return symbol ? `${sign}${symbol}${whole}.${cents}` : `${sign}${whole}.${cents} ${currency}`;
}

const isZero = (amount) => /^-?0*\.?0*$/.test(String(amount ?? ''));

/** A payout or revenue rate: flat, percent of the sale, or both. */
export function rate(value, currency) {
  if (!value) return '';
  const flat = isZero(value.flat) ? '' : money(value.flat, currency);
  const percent = isZero(value.percent) ? '' : `${value.percent}%`;
  return [flat, percent].filter(Boolean).join(' + ') || money('0', currency);
}

/** Edits a rate ({flat, percent} as decimal strings). */
export function RateInput({ legend, value, onInput, idPrefix, currency }) {
  const current = value || { flat: '0', percent: '0' };
  const set = (key) => (e) => onInput({ ...current, [key]: e.target.value.trim() || '0' });
  return html`<fieldset class="rate">
    <legend>${legend}</legend>
    <div class="grid">
      <label for=${idPrefix + '-flat'}>Flat amount (${currency || 'USD'})
        <input id=${idPrefix + '-flat'} name=${idPrefix + '-flat'} inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,6})?" value=${current.flat} onInput=${set('flat')} />
      </label>
      <label for=${idPrefix + '-percent'}>Percent of sale (%)
        <input id=${idPrefix + '-percent'} name=${idPrefix + '-percent'} inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,4})?" value=${current.percent} onInput=${set('percent')} />
      </label>
    </div>
  </fieldset>`;
}

export function Check({ id, label, checked, onChange, hint, switchRole }) {
  return html`<div class="check">
    <label for=${id}>
      <input type="checkbox" id=${id} name=${id} role=${switchRole ? 'switch' : undefined} checked=${checked}
        onChange=${(e) => onChange(e.target.checked)} aria-describedby=${hint ? id + '-hint' : undefined} />
      ${label}
    </label>
    ${hint ? html`<small id=${id + '-hint'} class="muted">${hint}</small>` : null}
  </div>`;
}

/** A value to copy (a tracking link, pixel code): read-only field and a Copy button. */
export function CopyField({ id, label, value, multiline }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(value);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return html`<div>
    <label for=${id}>${label}</label>
    <div class="copy-row">
      ${
        multiline
          ? html`<textarea id=${id} readonly rows="3">${value}</textarea>`
          : html`<input id=${id} readonly value=${value} />`
      }
      <button type="button" class="secondary" onClick=${copy} aria-describedby=${id}>${copied ? 'Copied' : 'Copy'}</button>
    </div>
    <span class="muted" role="status" aria-live="polite">${copied ? 'Copied to the clipboard.' : ''}</span>
  </div>`;
}

/** Options for a select: items with an id and a name. */
export function options(items, idKey, selected, blank) {
  return [
    blank !== undefined ? html`<option value="">${blank}</option>` : null,
    ...(items || []).map(
      (item) =>
        html`<option value=${item[idKey]} selected=${String(selected) === String(item[idKey])}>${item.name} (${item[idKey]})</option>`,
    ),
  ];
}

/** All pages of a list (the console's selects want every advertiser, partner, offer). */
export async function everything(call, path, params) {
  const items = [];
  let cursor;
  do {
    const page = await call('GET', path, { params: { ...params, limit: 100, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

let chartLoading = null;

/** Chart.js, loaded on the first chart (the screens without one never pay for it). */
function loadChart() {
  if (!chartLoading) {
    chartLoading = new Promise((resolve, reject) => {
      const script = Object.assign(document.createElement('script'), { src: '/console/vendor/chart.umd.min.js' });
      script.onload = () => resolve(window.Chart);
      script.onerror = reject;
      document.head.append(script);
    });
  }
  return chartLoading;
}

/** The kinds of partner postback, as the admin and the partner choose them. */
export const PIXEL_KINDS = [
  ['postback', 'Server postback URL'],
  ['image', 'Image pixel URL'],
  ['html', 'HTML code'],
];

/** The chart's rows: the stats' own rows (by hour or day); for totals, one more read by day. */
export function useChartSeries(call, params, stats) {
  const total = params.interval === 'total';
  const byDay = useLoad(
    () =>
      total ? call('GET', '/stats', { params: { ...params, interval: 'day', group_by: '' } }) : Promise.resolve(null),
    [JSON.stringify(params)],
  );
  return total ? byDay : stats;
}

/** Clicks and conversions over time; the numbers are also in the table beside it. */
export function TrafficChart({ rows, label, from, to }) {
  const canvas = useRef(null);
  useEffect(() => {
    let chart;
    let cancelled = false;
    const byPeriod = new Map();
    // by day: every day of the range, quiet days at zero (the API returns only days with traffic)
    if (from && to && (!rows.length || rows[0].period.length === 10)) {
      for (
        let day = new Date(`${from}T00:00:00Z`);
        day <= new Date(`${to}T00:00:00Z`);
        day.setUTCDate(day.getUTCDate() + 1)
      ) {
        byPeriod.set(day.toISOString().slice(0, 10), { clicks: 0, conversions: 0 });
      }
    }
    for (const row of rows) {
      const sums = byPeriod.get(row.period) || { clicks: 0, conversions: 0 };
      sums.clicks += Number(row.clicks || 0);
      sums.conversions += Number(row.conversions || 0);
      byPeriod.set(row.period, sums);
    }
    const periods = [...byPeriod.keys()].sort();
    loadChart().then((Chart) => {
      if (cancelled || !canvas.current) return;
      chart = new Chart(canvas.current, {
        type: 'line',
        data: {
          labels: periods,
          datasets: [
            {
              label: 'Clicks',
              data: periods.map((p) => byPeriod.get(p).clicks),
              borderColor: '#1f6feb',
              backgroundColor: '#1f6feb',
            },
            {
              label: 'Conversions',
              data: periods.map((p) => byPeriod.get(p).conversions),
              borderColor: '#d9480f',
              backgroundColor: '#d9480f',
            },
          ],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
      canvas.current.dataset.points = String(periods.length);
    });
    return () => {
      cancelled = true;
      if (chart) chart.destroy();
    };
  }, [rows, from, to]);
  return html`<figure>
    <div class="chart-box"><canvas ref=${canvas} role="img" aria-label=${label}></canvas></div>
    <figcaption class="muted">${label}</figcaption>
  </figure>`;
}

export function today() {
  return new Date().toISOString().slice(0, 10);
}

export function daysAgo(days) {
  return new Date(Date.now() - days * 86400000).toISOString().slice(0, 10);
}

/** Date range and time zone of a report. */
export function RangeFields({ value, onInput }) {
  const set = (key) => (e) => onInput({ ...value, [key]: e.target.value });
  return html`<div class="grid-form">
    <label for="from">From <input type="date" id="from" value=${value.from} onInput=${set('from')} /></label>
    <label for="to">To <input type="date" id="to" value=${value.to} onInput=${set('to')} /></label>
    <label for="timezone">Time zone <input id="timezone" value=${value.timezone} onInput=${set('timezone')} list="zones" /></label>
    <datalist id="zones">${['UTC', 'America/New_York', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney'].map((z) => html`<option value=${z} />`)}</datalist>
  </div>`;
}

export function defaultRange() {
  return { from: daysAgo(6), to: today(), timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' };
}

const HIDDEN_FIELDS = new Set(['version', 'links', 'updated_at']);

/** Field by field, what differs between two versions of a document ("payout.flat": 1 → 2). */
export function changes(before, after, prefix = '') {
  const found = [];
  const keys = new Set([...Object.keys(before || {}), ...Object.keys(after || {})]);
  for (const key of keys) {
    if (!prefix && HIDDEN_FIELDS.has(key)) continue;
    const a = (before || {})[key];
    const b = (after || {})[key];
    const name = prefix + key;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a))
      found.push(...changes(a, b, name + '.'));
    else if (JSON.stringify(a) !== JSON.stringify(b)) found.push({ field: name, from: a, to: b });
  }
  return found;
}

/** Only what the user changed in the form: a stale edit re-applied on the latest version
 * then changes just those fields, never someone else's. */
export function patchOf(base, edited) {
  const patch = {};
  for (const [key, value] of Object.entries(edited)) {
    const old = base[key];
    if (value && old && typeof value === 'object' && !Array.isArray(value)) {
      const inner = patchOf(old, value);
      if (Object.keys(inner).length) patch[key] = inner;
    } else if (JSON.stringify(old) !== JSON.stringify(value)) patch[key] = value;
  }
  return patch;
}

/** A field's value in a change list (audit history, edit conflicts). */
export const show = (v) =>
  v === undefined || v === null || v === '' ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** Someone saved first (412): what they changed, and the user's choice. */
export function ConflictNote({ conflict, onApply, onDiscard }) {
  if (!conflict) return null;
  return html`<article class="notice-error" role="alert" aria-labelledby="conflict-title">
    <h2 id="conflict-title">Changed by someone else since you opened it</h2>
    <p>This was saved as version ${conflict.latest.version} while you edited version ${conflict.base.version}. Nothing of yours was saved. Their changes:</p>
    <ul>${
      conflict.changed.length
        ? conflict.changed.map((c) => html`<li><code>${c.field}</code>: ${show(c.from)} → ${show(c.to)}</li>`)
        : html`<li>no field you can see here</li>`
    }</ul>
    <div class="actions">
      <button type="button" onClick=${onApply}>Apply my changes to the latest version</button>
      <button type="button" class="secondary" onClick=${onDiscard}>Discard my changes</button>
    </div>
  </article>`;
}

/** Save with the version read; on 412 load the latest and describe the conflict. */
export function useVersionedSave(loadLatest) {
  const [conflict, setConflict] = useState(null);
  const action = useAction();
  const save = (base, send, doneMessage) =>
    action.run(
      async () => {
        try {
          const saved = await send(base);
          setConflict(null);
          return saved;
        } catch (error) {
          if (error.status !== 412) throw error;
          const latest = await loadLatest();
          setConflict({ base, latest, changed: changes(base, latest) });
          return undefined;
        }
      },
      (saved) => (saved ? doneMessage : ''),
    );
  return { ...action, conflict, save, dropConflict: () => setConflict(null) };
}
