// The partner portal: a partner signs in with its API key and sees only its own offers,
// links, stats and conversions (the partner API never returns private goals or revenue).
import { useState } from 'preact/hooks';
import { PortalApplication, portalAccess } from './access.js';
import { ApiError, downloadCsv, partner } from './api.js';
import { keepPartnerKey } from './auth.js';
import { buildLink } from './links.js';
import { StatsTable, SUB_IDS } from './reports.js';
import { deliveryColumns } from './trace.js';
import {
  At,
  CopyField,
  Done,
  ErrorNote,
  Loaded,
  Page,
  RangeFields,
  Table,
  TrafficChart,
  defaultRange,
  everything,
  PIXEL_KINDS,
  html,
  money,
  named,
  options,
  rate,
  useAction,
  useChartSeries,
  useLoad,
} from './ui.js';

/** The partner's offers by id (its own list: the portal shows names, never bare ids). */
function useOfferNames() {
  const offers = useLoad(() => everything(partner, '/offers'), []);
  const byId = Object.fromEntries((offers.data || []).map((o) => [String(o.offer_id), o.name]));
  return { items: offers.data || [], name: (id) => named(byId[String(id)], id) };
}

export function PartnerSignIn({ onSignedIn }) {
  const [key, setKey] = useState('');
  const action = useAction();
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      keepPartnerKey(key.trim());
      try {
        await partner('GET', '/offers', { params: { limit: 1 } });
      } catch (error) {
        keepPartnerKey(null);
        throw error.status === 401 || error.status === 403
          ? new ApiError(error.status, error.code, 'That API key was not accepted.')
          : error;
      }
      onSignedIn();
    });
  };
  return html`<form onSubmit=${submit} aria-labelledby="partner-sign-in">
    <h2 id="partner-sign-in">Partner sign-in</h2>
    <label for="api-key">Your API key <input id="api-key" type="password" autocomplete="current-password" required value=${key} onInput=${(e) => setKey(e.target.value)} /></label>
    <${ErrorNote} error=${action.error} />
    <button type="submit" aria-busy=${action.busy}>Sign in as partner</button>
  </form>`;
}

export function PortalOffers() {
  const offers = useLoad(() => everything(partner, '/offers'), []);
  return html`<${Page} title="My offers">
    <${Loaded} state=${offers} what="offers">${(
      items,
    ) => html`<${Table} caption="Offers you may promote, with your payout" rows=${items} rowKey=${(o) => o.offer_id}
      empty="No offers for you yet."
      columns=${[
        ['ID', (o) => o.offer_id],
        ['Offer', (o) => html`<a href=${`#/portal/offers/${o.offer_id}`}>${o.name}</a>`],
        ['Access', (o) => portalAccess(o)],
        [
          'Goals and payouts',
          (o) => html`<ul>${o.goals.map((g) => html`<li>${g.name}: ${rate(g.payout, o.currency)}</li>`)}</ul>`,
        ],
      ]} />`}<//>
  <//>`;
}

export function PortalOffer({ offerId }) {
  const offer = useLoad(() => partner('GET', `/offers/${offerId}`), [offerId]);
  const [subs, setSubs] = useState({});
  return html`<${Loaded} state=${offer} what="the offer">${(o) => html`<${Page} title=${`${o.name} (${o.offer_id})`}>
    ${
      o.may_run
        ? html`<h2>Tracking link</h2>
    <div class="grid-form">${o.link_rules.sub_ids.map((key) => html`<label for=${'sub-' + key}>${key} <input id=${'sub-' + key} maxlength=${o.link_rules.max_chars} value=${subs[key] || ''} onInput=${(e) => setSubs({ ...subs, [key]: e.target.value })} /></label>`)}</div>
    <${TrackingLink} built=${buildLink(o.tracking_link, subs, o.link_rules)} />`
        : html`<${PortalApplication} offer=${o} onApplied=${offer.reload} />`
    }
    <h2>Goals</h2>
    <${Table} caption="What you earn per conversion" rows=${o.goals} rowKey=${(g) => g.goal_id}
      columns=${[
        ['Goal', (g) => g.name],
        ['Payout', (g) => rate(g.payout, o.currency), { num: true }],
        ['Multiple per click', (g) => (g.allow_multiple ? 'Yes' : 'No')],
        ['Approval', (g) => (g.approve ? 'After review' : 'Automatic')],
      ]} />
    ${
      o.caps && o.caps.length
        ? html`<${Table} caption="Caps that apply to you" rows=${o.caps}
      columns=${[
        ['Period', (c) => c.period],
        ['Measure', (c) => c.measure],
        ['Limit', (c) => c.limit, { num: true }],
        ['Left', (c) => c.remaining, { num: true }],
      ]} />`
        : null
    }
    ${!o.may_run ? null : o.manage_postbacks ? html`<${PortalPostbacks} offer=${o} />` : html`<h2>My postbacks</h2><p class="muted">Your network manager sets your postbacks for this network.</p>`}
  <//>`}<//>`;
}

function TrackingLink({ built }) {
  if (built.problems) {
    return html`<article class="notice-error" role="alert"><strong>No link: the click would refuse it. </strong><ul>${built.problems.map((p) => html`<li>${p}</li>`)}</ul></article>`;
  }
  return html`<${CopyField} id="partner-link" label="Your tracking link" value=${built.link} />`;
}

/** Only when the network lets partners manage their postbacks (the offer says so): no request that must fail. */
function PortalPostbacks({ offer }) {
  const list = useLoad(() => partner('GET', `/offers/${offer.offer_id}/postbacks`), [offer.offer_id]);
  const empty = { goal_id: '0', kind: 'postback', code: '' };
  const [form, setForm] = useState(empty);
  const action = useAction();
  const tester = useAction();
  const [tested, setTested] = useState(null);
  const submit = (e) => {
    e.preventDefault();
    action.run(
      () =>
        partner('POST', `/offers/${offer.offer_id}/postbacks`, { body: form }).then(() => {
          setForm(empty);
          list.reload();
        }),
      'Postback added.',
    );
  };
  return html`<h2>My postbacks</h2>
    <${Loaded} state=${list} what="postbacks">${(
      page,
    ) => html`<${Table} caption="Called when your conversions are approved" rows=${page.items} rowKey=${(p) => p.pixel_id}
      empty="No postbacks yet."
      columns=${[
        ['Goal', (p) => p.goal_id],
        ['Kind', (p) => p.kind],
        ['URL or code', (p) => html`<span class="secret">${p.code}</span>`],
        [
          '',
          (p) =>
            html`${
              p.kind === 'postback'
                ? html`<button type="button" class="secondary" onClick=${() => tester.run(() => partner('POST', `/offers/${offer.offer_id}/postbacks/${p.pixel_id}/test`, { body: {} }).then(setTested))}>Test</button> `
                : null
            }<button type="button" class="secondary outline" onClick=${() => action.run(() => partner('DELETE', `/offers/${offer.offer_id}/postbacks/${p.pixel_id}`).then(list.reload), 'Removed.')}>Remove</button>`,
        ],
      ]} />`}<//>
    <${ErrorNote} error=${tester.error} />
    ${tested ? html`<${TestedPostback} tested=${tested} />` : null}
    <form onSubmit=${submit} aria-labelledby="add-postback"><h3 id="add-postback">Add a postback</h3>
      <div class="grid-form">
        <label for="pb-goal">Goal <select id="pb-goal" onChange=${(e) => setForm({ ...form, goal_id: e.target.value })}>${offer.goals.map((g) => html`<option value=${g.goal_id} selected=${form.goal_id === g.goal_id}>${g.name}</option>`)}</select></label>
        <label for="pb-kind">Kind <select id="pb-kind" onChange=${(e) => setForm({ ...form, kind: e.target.value })}>${PIXEL_KINDS.map(([v, l]) => html`<option value=${v} selected=${form.kind === v}>${l}</option>`)}</select></label>
      </div>
      <label for="pb-code">URL (macros: {transaction_id}, {aff_sub}, {payout}…) <input id="pb-code" required value=${form.code} onInput=${(e) => setForm({ ...form, code: e.target.value })} /></label>
      <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />
      <button type="submit" aria-busy=${action.busy}>Add postback</button>
    </form>`;
}

/** What the postback tester answered: sent once with sample macros, nothing recorded. */
function TestedPostback({ tested }) {
  return html`<article aria-label="Postback test" data-testid="postback-test">
    <header><strong>Test: ${tested.outcome}</strong>${tested.status ? ` · HTTP ${tested.status}` : ''} · ${tested.took_ms} ms</header>
    <p>Sent <code>${tested.url}</code> with sample values (transaction id 000…0), signed as real postbacks are, with <code>X-Goalpost-Test: 1</code>.</p>
    ${tested.error ? html`<p role="note">Why: ${tested.error}</p>` : null}
    ${tested.body ? html`<p>Your answer (first 1 KB): <code>${tested.body}</code></p>` : null}
  </article>`;
}

const PARTNER_METRICS = [
  ['clicks', 'Clicks'],
  ['conversions', 'Conversions'],
  ['payout', 'Payout'],
  ['conversion_rate', 'CR %'],
];

export function PortalStats() {
  const [range, setRange] = useState(defaultRange());
  const [interval, setStep] = useState('day');
  const [offerId, setOfferId] = useState('');
  const [groupBy, setGroupBy] = useState('offer');
  const offers = useOfferNames();
  const params = { ...range, interval, group_by: groupBy, offer_id: offerId };
  const stats = useLoad(() => partner('GET', '/stats', { params }), [JSON.stringify(params)]);
  const series = useChartSeries(partner, params, stats);
  return html`<${Page} title="My stats">
    <${RangeFields} value=${range} onInput=${setRange} />
    <div class="grid-form">
      <label for="ps-interval">By <select id="ps-interval" onChange=${(e) => setStep(e.target.value)}>${['hour', 'day', 'total'].map((i) => html`<option selected=${interval === i}>${i}</option>`)}</select></label>
      <label for="ps-offer">Offer <select id="ps-offer" onChange=${(e) => setOfferId(e.target.value)}>${options(offers.items, 'offer_id', offerId, 'All offers')}</select></label>
      <label for="ps-group">Rows per <select id="ps-group" onChange=${(e) => setGroupBy(e.target.value)}>${['offer', ...SUB_IDS].map((g) => html`<option selected=${groupBy === g}>${g}</option>`)}</select></label>
    </div>
    <${Loaded} state=${series} what="the chart">${(s) => html`<${TrafficChart} rows=${s.rows} from=${s.from} to=${s.to} label=${`Your clicks and conversions, ${s.from} to ${s.to} (${s.timezone})`} />`}<//>
    <${Loaded} state=${stats} what="stats">${(s) => html`<${StatsTable} stats=${s} metrics=${PARTNER_METRICS} label=${(d, r) => (d === 'offer' ? offers.name(r.offer_id) : SUB_IDS.includes(d) ? r[d] || '(none)' : String(r[`${d}_id`] ?? ''))} />`}<//>
  <//>`;
}

export function PortalConversions() {
  const [range, setRange] = useState(defaultRange());
  const offers = useOfferNames();
  const report = useLoad(
    () => partner('GET', '/conversions', { params: { ...range, limit: 100 } }),
    [JSON.stringify(range)],
  );
  const csv = useAction();
  return html`<${Page} title="My conversions">
    <${RangeFields} value=${range} onInput=${setRange} />
    <button type="button" class="secondary" onClick=${() => csv.run(() => downloadCsv(partner, '/conversions', { ...range }, 'my-conversions.csv'))}>Download CSV</button>
    <${ErrorNote} error=${csv.error} />
    <${Loaded} state=${report} what="conversions">${(
      r,
    ) => html`<${Table} caption=${`Your conversions ${r.from} to ${r.to}`} rows=${r.items} rowKey=${(c) => c.conversion_id}
      empty="No conversions in this range."
      columns=${[
        ['Created', (c) => html`<${At} value=${c.created_at} />`],
        ['Offer', (c) => offers.name(c.offer_id)],
        ['Goal', (c) => c.goal_name],
        ['Status', (c) => c.status],
        ['Reason', (c) => c.reason || ''],
        ['Sub', (c) => c.aff_sub],
        ['Sale', (c) => money(c.sale_amount, c.sale_currency || c.currency), { num: true }],
        ['Payout', (c) => money(c.payout, c.currency), { num: true }],
        [
          'Trace',
          (c) =>
            c.status === 'rejected'
              ? ''
              : html`<a href=${`#/portal/trace/${c.transaction_id}`} aria-label=${`Trace ${c.conversion_id}`}>trace</a>`,
        ],
      ]} />`}<//>
  <//>`;
}

/** One of the partner's own clicks: its conversions as its report shows them, how the goal was
 * named, and the deliveries of its own postbacks (GET /partner/trace/<tid>: nothing else). */
export function PortalTrace({ transactionId }) {
  const trace = useLoad(() => partner('GET', `/trace/${transactionId}`), [transactionId]);
  const offers = useOfferNames();
  return html`<${Page} title=${`Trace ${transactionId}`}>
    <${PortalTraceSearch} />
    <${Loaded} state=${trace} what="the trace">${(t) => html`<section aria-label=${`Trace of ${t.transaction_id}`}>
      <p>Offer: ${offers.name(t.offer_id)}</p>
      ${t.events.map(
        (e) => html`<article data-testid="portal-trace-event" aria-label=${`Conversion ${e.conversion_id}`}>
          <header><strong><${At} value=${e.created_at} /></strong> · <span data-testid="portal-trace-status">${e.status}</span>
            ${e.status === 'test' ? html` <mark>test</mark>` : null}</header>
          <dl class="grid-form" aria-label="The conversion">
            <div><dt>Goal</dt><dd>${e.goal_name || e.goal_id}</dd></div>
            <div><dt>Goal named by</dt><dd data-testid="portal-trace-goal-by">${e.goal_by || '—'}</dd></div>
            <div><dt>Payout</dt><dd>${money(e.payout, e.currency)}</dd></div>
            <div><dt>Sub</dt><dd>${e.aff_sub || '—'}</dd></div>
          </dl>
          ${
            (e.adjustments || []).length
              ? html`<${Table} caption="Status changes" rows=${e.adjustments} columns=${[
                  ['When', (a) => html`<${At} value=${a.at} />`],
                  ['From', (a) => a.from],
                  ['To', (a) => a.to],
                ]} />`
              : null
          }
          <${Table} caption="Your postbacks for it" rows=${e.deliveries} rowKey=${(d) => d.delivery_id} empty="No postback of yours was due for it."
            columns=${deliveryColumns('Your answer (first 1 KB)')} />
        </article>`,
      )}
    </section>`}<//>
  <//>`;
}

function PortalTraceSearch() {
  const [value, setValue] = useState('');
  const go = (e) => {
    e.preventDefault();
    const id = value.trim().toLowerCase();
    if (id) location.hash = `#/portal/trace/${id}`;
  };
  return html`<form role="search" onSubmit=${go} aria-label="Trace one of your clicks">
    <label for="portal-trace-search">Transaction id
      <input id="portal-trace-search" value=${value} onInput=${(e) => setValue(e.target.value)} pattern="[0-9a-fA-F_-]{1,64}" required /></label>
    <button type="submit">Trace</button>
  </form>`;
}

export function PortalTraceSearchScreen() {
  return html`<${Page} title="Trace a click">
    <p>Was your conversion recorded, and did your postback get it? Paste the click's transaction id.</p>
    <${PortalTraceSearch} />
  <//>`;
}
