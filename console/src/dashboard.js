// The console's home: today, yesterday and the last 7 days, the top offers and partners, what
// waits for review and what failed to reach partners. The figures are one read of the stats'
// rollups (/admin/dashboard); the failing deliveries are the network's list (/admin/deliveries).
import { admin } from './api.js';
import { FailingDeliveries } from './deliveries.js';
import { chosenZone, html, Loaded, money, Page, Table, useLoad, useNames } from './ui.js';

const PERIODS = [
  ['today', 'Today'],
  ['yesterday', 'Yesterday'],
  ['last_7_days', 'Last 7 days'],
];

const figure = (value) => (value === null || value === undefined ? '—' : value);

export function DashboardScreen() {
  const zone = chosenZone();
  const names = useNames();
  const board = useLoad(() => admin('GET', '/dashboard', { params: { timezone: zone } }), [zone]);
  return html`<${Page} title="Dashboard">
    <${Loaded} state=${board} what="the dashboard">${(b) => {
      const cash = (value) => money(value, b.currency);
      return html`
      <${Table} caption=${`Your network in the base currency (${b.currency || '—'}), days in ${b.timezone}; ${b.consistency}`}
        rows=${PERIODS.map(([key, label]) => ({ key, label, ...b.periods[key] }))} rowKey=${(r) => r.key}
        columns=${[
          ['Period', (r) => html`<span data-testid=${'period-' + r.key}>${r.label}</span>`],
          ['Clicks', (r) => r.clicks, { num: true }],
          ['Unique', (r) => r.unique_clicks, { num: true }],
          ['Invalid', (r) => r.invalid_clicks, { num: true }],
          ['Conversions', (r) => r.conversions, { num: true }],
          ['Pending', (r) => r.pending, { num: true }],
          ['Held', (r) => r.held, { num: true }],
          ['Payout', (r) => cash(r.payout), { num: true }],
          ['Revenue', (r) => cash(r.revenue), { num: true }],
          ['Profit', (r) => cash(r.profit), { num: true }],
          ['EPC', (r) => (r.epc === null ? '—' : cash(r.epc)), { num: true }],
          ['CR %', (r) => figure(r.conversion_rate), { num: true }],
        ]} />
      <div class="grid">
        <article aria-labelledby="held"><h2 id="held">Waiting for review</h2>
          <p><strong data-testid="held-for-review">${b.held_for_review}</strong> conversion(s) of the last 7 days wait for a decision
          (pending approval, or held by a screening rule: <strong data-testid="held-by-screening">${b.held_by_screening}</strong>).
          <a href="#/conversions">Conversion report</a> (status Pending) or an offer's Pending tab.</p></article>
        <article aria-labelledby="screening"><h2 id="screening">Traffic screening</h2>
          <p>Invalid clicks (screened out or sent to a fallback), last 7 days:
          <strong data-testid="invalid-clicks">${b.invalid_clicks}</strong>.</p></article>
      </div>
      <h2>Top offers, last 7 days</h2>
      <${Table} caption="By revenue" rows=${b.top_offers} rowKey=${(o) => o.offer_id} empty="No traffic in the last 7 days."
        columns=${[
          ['Offer', (o) => html`<a href=${`#/offers/${o.offer_id}`}>${names.offer(o.offer_id)}</a>`],
          ['Clicks', (o) => o.clicks, { num: true }],
          ['Conversions', (o) => o.conversions, { num: true }],
          ['Revenue', (o) => cash(o.revenue), { num: true }],
          ['Profit', (o) => cash(o.profit), { num: true }],
        ]} />
      <h2>Top partners, last 7 days</h2>
      <${Table} caption="By revenue" rows=${b.top_partners} rowKey=${(p) => p.partner_id} empty="No traffic in the last 7 days."
        columns=${[
          ['Partner', (p) => names.partner(p.partner_id)],
          ['Clicks', (p) => p.clicks, { num: true }],
          ['Conversions', (p) => p.conversions, { num: true }],
          ['Payout', (p) => cash(p.payout), { num: true }],
          ['EPC', (p) => (p.epc === null ? '—' : cash(p.epc)), { num: true }],
        ]} />`;
    }}<//>
    <h2>Failing partner deliveries</h2>
    <${FailingDeliveries} limit=${10} caption="The network's failing postbacks to partners (the first 10; all on Partner deliveries)" />
    <p><a href="#/deliveries">All failing partner deliveries</a></p>
  <//>`;
}
