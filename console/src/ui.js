// Shared pieces of the console's screens: native, labelled elements that Pico styles.
import { createContext, h } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { admin } from './api.js';

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
  // on arriving at a screen (not when its title fills in a name loaded a moment later)
  useEffect(() => {
    heading.current && heading.current.focus();
  }, [location.hash]);
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
  // the scroller takes the focus (a phone's keyboard user scrolls it) and says what it holds
  return html`<div class="overflow-auto" tabindex="0" role="region" aria-label=${typeof caption === 'string' && caption ? caption : 'Table'}><table class="striped">
    <caption class="muted" style="text-align:left">${caption}</caption>
    <thead><tr>${columns.map(([label, , o]) => html`<th scope="col" class=${o && o.num ? 'num' : ''} aria-sort=${o && o.sorted}>${label}</th>`)}</tr></thead>
    <tbody>${rows.map((row, i) => html`<tr key=${rowKey ? rowKey(row) : i}>${columns.map(([, cell, o]) => html`<td class=${o && o.num ? 'num' : ''}>${cell(row)}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}

const compare = (a, b) => {
  const x = a ?? '';
  const y = b ?? '';
  const nx = Number(x);
  const ny = Number(y);
  if (x !== '' && y !== '' && !Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
  return String(x).localeCompare(String(y), undefined, { numeric: true, sensitivity: 'base' });
};

/** A list people work through: search (by name or id), sort by a column, pages of 25.
 * Columns as Table's, with {sort: row => value} on the sortable ones. */
export function ListTable({ id, caption, columns, rows, empty, rowKey, searchText, what, pageSize = 25 }) {
  const [query, setQuery] = useState('');
  // newest first (the ID column, descending): what was just created is on the first page
  const [order, setOrder] = useState({ index: 0, down: true });
  const [pageAt, setPageAt] = useState(0);
  const wanted = query.trim().toLowerCase();
  const found = (rows || []).filter((row) => !wanted || searchText(row).toLowerCase().includes(wanted));
  const sortBy = order.index >= 0 && columns[order.index][2] && columns[order.index][2].sort;
  const sorted = sortBy ? [...found].sort((a, b) => compare(sortBy(a), sortBy(b)) * (order.down ? -1 : 1)) : found;
  const pages = Math.max(1, Math.ceil(sorted.length / pageSize));
  const at = Math.min(pageAt, pages - 1);
  const shown = sorted.slice(at * pageSize, (at + 1) * pageSize);
  const header = columns.map(([label, cell, o], index) => {
    if (!(o && o.sort)) return [label, cell, o];
    const current = order.index === index;
    // named by its column (the header's aria-sort tells the order): a field labelled "Name"
    // elsewhere on the screen stays the only thing called "Name" that takes text
    const button = html`<button type="button" class="sort" title=${`Sort by ${label}`}
      onClick=${() => setOrder({ index, down: current ? !order.down : false })}>${label}<span aria-hidden="true">${current ? (order.down ? ' ▼' : ' ▲') : ''}</span></button>`;
    return [button, cell, { ...o, sorted: current ? (order.down ? 'descending' : 'ascending') : undefined }];
  });
  return html`<div class="list-table">
    <label for=${id + '-search'}>Search ${what}
      <input id=${id + '-search'} type="search" placeholder="name or ID" value=${query} onInput=${(e) => {
        setQuery(e.target.value);
        setPageAt(0);
      }} /></label>
    ${
      rows && rows.length && !found.length
        ? html`<p class="muted" role="status">Nothing matches “${query}”.</p>`
        : html`<${Table} caption=${caption} columns=${header} rows=${shown} empty=${empty} rowKey=${rowKey} />`
    }
    ${
      pages > 1
        ? html`<nav class="actions pager" aria-label=${`Pages of ${caption}`}>
      <button type="button" class="secondary outline" disabled=${at === 0} onClick=${() => setPageAt(at - 1)}>Previous</button>
      <span role="status">Page ${at + 1} of ${pages} (${sorted.length} in all)</span>
      <button type="button" class="secondary outline" disabled=${at >= pages - 1} onClick=${() => setPageAt(at + 1)}>Next</button>
    </nav>`
        : null
    }
  </div>`;
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

const ZONE_KEY = 'goalpost.timezone';

/** Whether the browser knows an IANA time zone by this name. */
export function validZone(zone) {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The time zone the user last chose on a report (kept in this browser), else the browser's. */
export function chosenZone() {
  const kept = localStorage.getItem(ZONE_KEY);
  return validZone(kept) ? kept : browserZone();
}

export function chooseZone(zone) {
  if (validZone(zone)) localStorage.setItem(ZONE_KEY, zone);
}

/** Every IANA time zone the browser knows (UTC first). */
export function zoneNames() {
  const names = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...names.filter((z) => z !== 'UTC')];
}

/** A timestamp (ISO text or epoch seconds) as "2026-12-05 01:26:21 GMT+1" in the chosen zone. */
export function when(value, zone = chosenZone()) {
  if (value === null || value === undefined || value === '') return '';
  const date =
    typeof value === 'number' || /^\d+$/.test(String(value)) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

/** A timestamp shown in the chosen time zone (the exact instant in its datetime attribute). */
export function At({ value }) {
  if (value === null || value === undefined || value === '') return '';
  const text = when(value);
  const iso = /^\d+$/.test(String(value)) ? new Date(Number(value) * 1000).toISOString() : String(value);
  return html`<time datetime=${iso}>${text}</time>`;
}

/** "Name (id)": the name people read, the id they quote; the id alone while names load. */
export function named(name, id) {
  if (id === null || id === undefined || id === '') return '';
  return name ? `${name} (${id})` : String(id);
}

/** Names of the network's offers, partners and advertisers, for screens that hold only ids. */
export function useNames() {
  const lists = useLoad(async () => {
    const [offers, partners, advertisers] = await Promise.all([
      everything(admin, '/offers'),
      everything(admin, '/partners'),
      everything(admin, '/advertisers'),
    ]);
    return { offers, partners, advertisers };
  }, []);
  return useMemo(() => {
    const data = lists.data || { offers: [], partners: [], advertisers: [] };
    const map = (items, key) => Object.fromEntries(items.map((item) => [String(item[key]), item.name]));
    const offers = map(data.offers, 'offer_id');
    const partners = map(data.partners, 'partner_id');
    const advertisers = map(data.advertisers, 'advertiser_id');
    return {
      lists: lists.data,
      error: lists.error,
      offerName: (id) => offers[String(id)] || '',
      offer: (id) => named(offers[String(id)], id),
      partner: (id) => named(partners[String(id)], id),
      advertiser: (id) => named(advertisers[String(id)], id),
    };
  }, [lists.data, lists.error]);
}

/** Goal names of some offers ({offerId: {goalId: name}}), for rows that hold goal ids. */
export function useGoalNames(offerIds) {
  const ids = [...new Set((offerIds || []).filter((id) => id !== undefined && id !== null && id !== ''))].sort();
  const goals = useLoad(async () => {
    const found = {};
    await Promise.all(
      ids.map(async (id) => {
        const items = await everything(admin, `/offers/${id}/goals`);
        found[id] = Object.fromEntries(items.map((g) => [String(g.goal_id), g.name]));
      }),
    );
    return found;
  }, [ids.join(',')]);
  return (offerId, goalId) => named(((goals.data || {})[String(offerId)] || {})[String(goalId)], goalId);
}

/** The calendar day (YYYY-MM-DD) in a time zone, some days before today. */
export function dayIn(zone, daysBefore = 0) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date())
      .map((p) => [p.type, p.value]),
  );
  const day = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) - daysBefore));
  return day.toISOString().slice(0, 10);
}

export function today() {
  return dayIn(chosenZone());
}

export function daysAgo(days) {
  return dayIn(chosenZone(), days);
}

/** The report ranges people pick most: [key, label, zone => {from, to}]. */
export const PRESETS = [
  ['today', 'Today', (z) => ({ from: dayIn(z), to: dayIn(z) })],
  ['yesterday', 'Yesterday', (z) => ({ from: dayIn(z, 1), to: dayIn(z, 1) })],
  ['last7', 'Last 7 days', (z) => ({ from: dayIn(z, 6), to: dayIn(z) })],
  ['last30', 'Last 30 days', (z) => ({ from: dayIn(z, 29), to: dayIn(z) })],
  ['this_month', 'This month', (z) => ({ from: dayIn(z).slice(0, 8) + '01', to: dayIn(z) })],
  [
    'last_month',
    'Last month',
    (z) => {
      const first = new Date(`${dayIn(z).slice(0, 8)}01T00:00:00Z`);
      const end = new Date(first.getTime() - 86400000);
      return { from: end.toISOString().slice(0, 8) + '01', to: end.toISOString().slice(0, 10) };
    },
  ],
];

function presetOf(value) {
  const found = PRESETS.find(([, , range]) => {
    const r = range(value.timezone);
    return r.from === value.from && r.to === value.to;
  });
  return found ? found[0] : '';
}

/** Date range (a preset or two dates) and the time zone (one of the IANA names) of a report. */
export function RangeFields({ value, onInput }) {
  const zones = useMemo(zoneNames, []);
  const set = (key) => (e) => onInput({ ...value, [key]: e.target.value });
  const preset = presetOf(value);
  const pick = (e) => {
    const found = PRESETS.find(([key]) => key === e.target.value);
    if (found) onInput({ ...value, ...found[2](value.timezone) });
  };
  const zone = (e) => {
    chooseZone(e.target.value);
    const moved = preset ? PRESETS.find(([key]) => key === preset)[2](e.target.value) : {};
    onInput({ ...value, timezone: e.target.value, ...moved });
  };
  return html`<div class="grid-form">
    <label for="range-preset">Range <select id="range-preset" onChange=${pick}>
      ${!preset ? html`<option value="" selected>Custom</option>` : null}
      ${PRESETS.map(([key, label]) => html`<option value=${key} selected=${preset === key}>${label}</option>`)}
    </select></label>
    <label for="from">From <input type="date" id="from" value=${value.from} onInput=${set('from')} /></label>
    <label for="to">To <input type="date" id="to" value=${value.to} onInput=${set('to')} /></label>
    <label for="timezone">Time zone <select id="timezone" onChange=${zone}>
      ${(zones.includes(value.timezone) ? zones : [value.timezone, ...zones]).map((z) => html`<option selected=${z === value.timezone}>${z}</option>`)}
    </select></label>
  </div>`;
}

export function defaultRange() {
  const zone = chosenZone();
  return { ...PRESETS[2][2](zone), timezone: zone };
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
    const plain = (v) => v && typeof v === 'object' && !Array.isArray(v);
    // into nested documents, a created or removed one too: its fields, one by one
    if ((plain(a) || plain(b)) && (plain(a) || a == null) && (plain(b) || b == null))
      found.push(...changes(a || {}, b || {}, name + '.'));
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
  v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)
    ? '—'
    : Array.isArray(v) && v.every((x) => typeof x !== 'object')
      ? v.join(', ')
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);

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
