// Exchange rates: the table in force on a day, what was published, the ECB import, an admin's
// own rate. Rates are units of each currency for one euro, as the ECB quotes them.
import { useState } from 'preact/hooks';
import { admin } from './api.js';
import { Done, ErrorNote, Loaded, Page, Table, daysAgo, html, today, useAction, useCanChange, useLoad } from './ui.js';

/** Currencies networks commonly price or pay in (any ISO 4217 code is accepted). */
export const COMMON_CURRENCIES = [
  'USD',
  'EUR',
  'GBP',
  'JPY',
  'CAD',
  'AUD',
  'CHF',
  'SEK',
  'NOK',
  'DKK',
  'PLN',
  'CZK',
  'HUF',
  'RON',
  'TRY',
  'BRL',
  'MXN',
  'INR',
  'IDR',
  'KRW',
  'SGD',
  'HKD',
  'CNY',
  'ZAR',
  'AED',
  'BHD',
  'NZD',
  'ILS',
];

/** A currency field: three capital letters, with the common ones offered. */
export function CurrencyInput({ id, label, value, onInput, required, blank }) {
  return html`<label for=${id}>${label}
    <input id=${id} list="currencies" pattern="[A-Z]{3}" maxlength="3" required=${required} placeholder=${blank || ''}
      value=${value} onInput=${(e) => onInput(e.target.value.toUpperCase())} />
    <datalist id="currencies">${COMMON_CURRENCIES.map((c) => html`<option value=${c} />`)}</datalist>
  </label>`;
}

function InForce({ day }) {
  const table = useLoad(() => admin('GET', `/exchange-rates?day=${day}`), [day]);
  if (table.error && table.error.code === 'no_exchange_rates') {
    return html`<p role="status">No rates are in force on ${day}: import the ECB's file or set a rate below. Conversions that need one are refused (<code>no_exchange_rate</code>).</p>`;
  }
  return html`<${Loaded} state=${table} what="rates">${(t) => html`
    <p class="muted">Published for ${t.day}${t.day !== day ? ` (the latest on or before ${day})` : ''}, units per 1 ${t.pivot}.</p>
    <${Table} caption=${`Exchange rates in force on ${day}`} rows=${Object.keys(t.rates)} rowKey=${(c) => c} empty="No rates."
      columns=${[
        ['Currency', (c) => c],
        [`Per 1 ${t.pivot}`, (c) => t.rates[c], { num: true }],
        ['Source', (c) => (t.sources[c] === 'admin' ? 'set by an admin' : 'ECB')],
      ]} />`}<//>`;
}

function History() {
  const days = useLoad(() => admin('GET', `/exchange-rates/history?from_day=${daysAgo(30)}&to_day=${today()}`), []);
  return html`<${Loaded} state=${days} what="history">${(
    h,
  ) => html`<${Table} caption="Tables published in the last 31 days" rows=${[...h.items].reverse()} rowKey=${(d) => d.day} empty="None."
      columns=${[
        ['Day', (d) => d.day],
        ['Currencies', (d) => Object.keys(d.rates).length, { num: true }],
        [
          'Set by an admin',
          (d) =>
            Object.keys(d.sources)
              .filter((c) => d.sources[c] === 'admin')
              .join(', ') || '—',
        ],
        ['Version', (d) => d.version, { num: true }],
      ]} />`}<//>`;
}

function ImportForm({ onDone }) {
  const [file, setFile] = useState(null);
  const action = useAction();
  const submit = (e) => {
    e.preventDefault();
    action.run(
      () =>
        file
          .text()
          .then((text) => admin('POST', '/exchange-rates/import', { body: { file: text } }))
          .then((r) => (onDone(), r)),
      (r) =>
        `Imported ${r.days} day(s), ${r.first_day} to ${r.last_day}: ${r.changed} changed` +
        (r.skipped_currencies.length ? `; left out (no longer ISO 4217): ${r.skipped_currencies.join(', ')}` : '.'),
    );
  };
  return html`<form onSubmit=${submit} aria-labelledby="import-rates"><h2 id="import-rates">Import the ECB's reference rates</h2>
    <p class="muted">The file as the ECB publishes it: <code>eurofxref-daily.xml</code>, <code>eurofxref-hist-90d.xml</code>, <code>eurofxref-hist.xml</code>, or the CSV inside <code>eurofxref-hist.zip</code>. Keep the file: it reproduces every converted amount. Rates an admin set are kept.</p>
    <div class="actions"><label for="rates-file" style="flex:1">File <input id="rates-file" type="file" accept=".csv,.xml,text/csv,application/xml,text/xml" required onChange=${(e) => setFile(e.target.files[0] || null)} /></label>
    <button type="submit" aria-busy=${action.busy} disabled=${!file}>Import</button></div>
    <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />
  </form>`;
}

function SetRateForm({ onDone }) {
  const [form, setForm] = useState({ day: today(), currency: '', rate: '' });
  const action = useAction();
  const submit = (e) => {
    e.preventDefault();
    action.run(
      () =>
        admin('PUT', `/exchange-rates/${form.day}`, { body: { rates: { [form.currency]: form.rate } } }).then(
          (r) => (onDone(), r),
        ),
      `Rate saved: 1 EUR = ${form.rate} ${form.currency} on ${form.day}.`,
    );
  };
  return html`<form onSubmit=${submit} aria-labelledby="set-rate"><h2 id="set-rate">Set a rate</h2>
    <p class="muted">For a currency the ECB does not publish, or a rate agreed by contract. It replaces the ECB's for that day and currency.</p>
    <div class="grid-form">
      <label for="rate-day">Day <input id="rate-day" type="date" required value=${form.day} onInput=${(e) => setForm({ ...form, day: e.target.value })} /></label>
      <${CurrencyInput} id="rate-currency" label="Currency" required value=${form.currency} onInput=${(v) => setForm({ ...form, currency: v })} />
      <label for="rate-value">Units per 1 EUR <input id="rate-value" inputmode="decimal" pattern="[0-9]{1,9}([.][0-9]{1,10})?" required value=${form.rate} onInput=${(e) => setForm({ ...form, rate: e.target.value })} /></label>
    </div>
    <button type="submit" aria-busy=${action.busy}>Save rate</button>
    <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />
  </form>`;
}

export function RatesScreen() {
  const canChange = useCanChange();
  const [day, setDay] = useState(today());
  const [shown, setShown] = useState(0);
  const refresh = () => setShown(shown + 1);
  return html`<${Page} title="Exchange rates">
    <p>Conversions are converted once, when recorded, at the rates in force on their day; a later change never changes them. <a href="#/history/rates/import">History of imports</a></p>
    <label for="rates-day" style="max-width: 16rem">In force on <input id="rates-day" type="date" value=${day} onInput=${(e) => setDay(e.target.value)} /></label>
    <${InForce} key=${`${day}-${shown}`} day=${day} />
    ${canChange ? html`<${ImportForm} onDone=${refresh} /><${SetRateForm} onDone=${refresh} />` : null}
    <${History} key=${shown} />
  <//>`;
}
