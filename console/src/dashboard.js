// The console's home: today, yesterday and the last 7 days, the top offers and partners, what
// waits for review and what failed to reach partners. One read of the stats cells (the
// /admin/dashboard route); the failing deliveries are the top offers' latest ones.
import { admin } from './api.js';
import { At, chosenZone, html, Loaded, money, Page, Table, useLoad, useNames } from './ui.js';

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
  const offerIds = ((board.data || {}).top_offers || []).map((o) => o.offer_id);
  const failing = useLoad(async () => {
    const found = [];
    for (const offerId of offerIds) {
      const page = await admin('GET', `/offers/${offerId}/deliveries`, { params: { limit: 50 } });
      found.push(...page.items.filter((d) => d.status === 'failed').map((d) => ({ ...d, offer_id: offerId })));
    }
    return found;
  }, [offerIds.join(',')]);
  return html`<${Page} title="Dashboard">
    <${Loaded} state=${board} what="the dashboard">${(b) => {
      const cash = (value) => money(value, b.currency);
      return html`
      <${Table} caption=${`Your network in the base currency (${b.currency || '—'}), days in ${b.timezone}; ${b.consistency}`}
        rows=${PERIODS.map(([key, label]) => ({ key, label, ...b.periods[key] }))} rowKey=${(r) => r.key}
        columns=${[
          ['Period', (r) => html`<span data-testid=${'period-' + r.key}>${r.label}</span>`],
          ['Clicks', (r) => r.clicks, { num: true }],
          ['Conversions', (r) => r.conversions, { num: true }],
          ['Pending', (r) => r.pending, { num: true }],
          ['Payout', (r) => cash(r.payout), { num: true }],
          ['Revenue', (r) => cash(r.revenue), { num: true }],
          ['Profit', (r) => cash(r.profit), { num: true }],
          ['EPC', (r) => (r.epc === null ? '—' : cash(r.epc)), { num: true }],
          ['CR %', (r) => figure(r.conversion_rate), { num: true }],
        ]} />
      <div class="grid">
        <article aria-labelledby="held"><h2 id="held">Held for review</h2>
          <p><strong data-testid="held-for-review">${b.held_for_review}</strong> conversion(s) of the last 7 days wait for approval.
          <a href="#/conversions">Conversion report</a> (status Pending) or an offer's Pending tab.</p></article>
        <article aria-labelledby="screening"><h2 id="screening">Traffic screening</h2>
          <p>Invalid clicks: <strong data-testid="invalid-clicks">${figure(b.invalid_clicks)}</strong>;
          held by screening: <strong data-testid="held-by-screening">${figure(b.held_by_screening)}</strong>.</p>
          <p class="muted">Counted once traffic screening is on (issue 28).</p></article>
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
    <${Loaded} state=${failing} what="deliveries">${(items) => html`<${Table}
      caption="Postbacks to partners that failed, among the top offers' latest 50: retry them on the offer's Partner postbacks tab"
      rows=${items} rowKey=${(d) => d.delivery_id} empty="No failing deliveries on the top offers."
      columns=${[
        ['Offer', (d) => html`<a href=${`#/offers/${d.offer_id}/postbacks`}>${names.offer(d.offer_id)}</a>`],
        ['Partner', (d) => names.partner(d.partner_id)],
        ['Attempts', (d) => d.attempts, { num: true }],
        ['Last attempt', (d) => html`<${At} value=${d.last_attempt_at} />`],
        ['Error', (d) => html`<span class="secret">${d.last_error || d.response_code || ''}</span>`],
      ]} />`}<//>
  <//>`;
}
