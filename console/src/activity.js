// An offer's activity: partner postbacks and their delivery log, pending conversions to
// decide, and the funnel.
import { useState } from 'preact/hooks';
import { admin } from './api.js';
import { offerTabs } from './offers.js';
import {
  At,
  defaultRange,
  Done,
  ErrorNote,
  everything,
  html,
  Loaded,
  money,
  named,
  options,
  Page,
  PIXEL_KINDS,
  RangeFields,
  Table,
  Tabs,
  useAction,
  useCanChange,
  useLoad,
  useNames,
} from './ui.js';

/** Partner pixels/postbacks of an offer, and what happened when we sent them. */
export function PostbacksScreen({ offerId }) {
  const canChange = useCanChange();
  const data = useLoad(
    async () => ({
      pixels: await everything(admin, `/offers/${offerId}/partner-pixels`),
      goals: await everything(admin, `/offers/${offerId}/goals`),
      partners: await everything(admin, '/partners'),
      deliveries: (await admin('GET', `/offers/${offerId}/deliveries`, { params: { limit: 50 } })).items,
    }),
    [offerId],
  );
  const empty = { partner_id: '', goal_id: '0', kind: 'postback', code: '', reversal_code: '' };
  const [form, setForm] = useState(empty);
  const action = useAction();
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const submit = (e) => {
    e.preventDefault();
    action.run(
      () =>
        admin('POST', `/offers/${offerId}/partner-pixels`, { body: form }).then(() => {
          setForm(empty);
          data.reload();
        }),
      'Partner postback added.',
    );
  };
  const names = useNames();
  return html`<${Page} title=${`Partner postbacks — offer ${names.offer(offerId)}`}>
    <${Tabs} items=${offerTabs(offerId)} current=${`#/offers/${offerId}/postbacks`} />
    <${Loaded} state=${data} what="postbacks">${(d) => html`
      <${Table} caption="Fired on each approved conversion of the partner (reversal URL when one is reversed)" rows=${d.pixels} rowKey=${(p) => p.pixel_id}
        empty="No partner postbacks or pixels."
        columns=${[
          ['ID', (p) => p.pixel_id],
          ['Partner', (p) => names.partner(p.partner_id)],
          ['Goal', (p) => named((d.goals.find((g) => String(g.goal_id) === String(p.goal_id)) || {}).name, p.goal_id)],
          ['Kind', (p) => p.kind],
          ['Code', (p) => html`<span class="secret">${p.code}</span>`],
          [
            '',
            (p) =>
              canChange
                ? html`<button type="button" class="secondary outline" onClick=${() => action.run(() => admin('DELETE', `/offers/${offerId}/partner-pixels/${p.pixel_id}`, { version: p.version }).then(data.reload), 'Removed.')}>Remove</button>`
                : null,
          ],
        ]} />
      ${
        canChange
          ? html`<form onSubmit=${submit} aria-labelledby="add-pixel">
        <h2 id="add-pixel">Add a partner postback or pixel</h2>
        <div class="grid-form">
          <label for="px-partner">Partner <select id="px-partner" required onChange=${set('partner_id')}>${options(d.partners, 'partner_id', form.partner_id, 'Choose…')}</select></label>
          <label for="px-goal">Goal <select id="px-goal" onChange=${set('goal_id')}>${options(
            d.goals.filter((g) => !g.private),
            'goal_id',
            form.goal_id,
          )}</select></label>
          <label for="px-kind">Kind <select id="px-kind" onChange=${set('kind')}>
            ${PIXEL_KINDS.map(([v, l]) => html`<option value=${v} selected=${form.kind === v}>${l}</option>`)}</select></label>
        </div>
        <label for="px-code">${form.kind === 'html' ? 'HTML code' : 'URL'} (macros: {transaction_id}, {aff_sub}, {payout}…)
          <textarea id="px-code" required rows="2" onInput=${set('code')}>${form.code}</textarea></label>
        <label for="px-reversal">Reversal URL (optional) <input id="px-reversal" type="url" value=${form.reversal_code} onInput=${set('reversal_code')} /></label>
        <button type="submit" aria-busy=${action.busy}>Add</button>
      </form>`
          : null
      }
      <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />
      <h2>Delivery log</h2>
      <${Deliveries} offerId=${offerId} items=${d.deliveries} onRetried=${data.reload} />`}<//>
  <//>`;
}

function Deliveries({ offerId, items, onRetried }) {
  const canChange = useCanChange();
  const names = useNames();
  const retry = useAction();
  return html`<${Table} caption="Postbacks sent to partners: attempts, last answer, time" rows=${items} rowKey=${(d) => d.delivery_id}
      empty="Nothing sent yet."
      columns=${[
        ['Event', (d) => d.event],
        ['Partner', (d) => names.partner(d.partner_id)],
        ['Status', (d) => d.status],
        ['Attempts', (d) => d.attempts, { num: true }],
        ['HTTP', (d) => d.response_code || '', { num: true }],
        ['Last attempt', (d) => html`<${At} value=${d.last_attempt_at} />`],
        [
          'URL',
          (d) =>
            html`<span class="secret">${d.url}</span>${d.last_error ? html`<br /><small class="muted">${d.last_error}</small>` : null}`,
        ],
        [
          '',
          (d) =>
            canChange && d.status !== 'delivered'
              ? html`<button type="button" class="secondary outline" aria-label=${`Retry delivery ${d.delivery_id}`}
          onClick=${() => retry.run(() => admin('POST', `/offers/${offerId}/deliveries/${d.delivery_id}/retry`).then(onRetried), 'Retry queued.')}>Retry</button>`
              : null,
        ],
      ]} />
    <${ErrorNote} error=${retry.error} /><${Done} message=${retry.done} />`;
}

/** The review queue: conversions waiting for approval, those held by a screening rule among
 * them (their reason code shown): approve or reject many at once, with a note. */
export function PendingScreen({ offerId }) {
  const pending = useLoad(() => everything(admin, `/offers/${offerId}/conversions/pending`), [offerId]);
  const names = useNames();
  return html`<${Page} title=${`Review queue: pending and held conversions — offer ${names.offer(offerId)}`}>
    <${Tabs} items=${offerTabs(offerId)} current=${`#/offers/${offerId}/pending`} />
    <${Loaded} state=${pending} what="pending conversions">${(items) => html`<${Decisions} items=${items} onDecided=${pending.reload} />`}<//>
  <//>`;
}

/** The network's review queue: every offer's pending and held conversions, newest first, by
 * offer, partner or reason code, 100 a page ("Show more"); approve or reject many at once. */
export function ReviewScreen() {
  const names = useNames();
  const [filters, setFilters] = useState({ offer_id: '', partner_id: '', reason: '' });
  const [pages, setPages] = useState(1);
  const queue = useLoad(async () => {
    const items = [];
    let cursor;
    for (let i = 0; i < pages; i += 1) {
      const page = await admin('GET', '/review-queue', { params: { ...filters, limit: 100, cursor } });
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return { items, next_cursor: cursor };
  }, [JSON.stringify(filters), pages]);
  const set = (key) => (e) => {
    setPages(1);
    setFilters({ ...filters, [key]: e.target.value });
  };
  const lists = names.lists || {};
  return html`<${Page} title="Review queue: every offer's pending and held conversions">
    <form onSubmit=${(e) => e.preventDefault()} aria-label="Review queue filters"><div class="grid-form">
      <label for="rq-offer">Offer <select id="rq-offer" onChange=${set('offer_id')}>${options(lists.offers || [], 'offer_id', filters.offer_id, 'All offers')}</select></label>
      <label for="rq-partner">Partner <select id="rq-partner" onChange=${set('partner_id')}>${options(lists.partners || [], 'partner_id', filters.partner_id, 'All partners')}</select></label>
      <label for="rq-reason">Reason code <input id="rq-reason" pattern="[a-z_]*" maxlength="40" value=${filters.reason} onChange=${set('reason')} placeholder="any, e.g. ip_mismatch" /></label>
    </div></form>
    <${Loaded} state=${queue} what="the review queue">${(q) => html`
      <${Decisions} items=${q.items} onDecided=${queue.reload} caption="Waiting for approval, every offer, newest first: partners are paid (and told) once approved" />
      ${q.next_cursor ? html`<button type="button" class="secondary" onClick=${() => setPages(pages + 1)}>Show more</button>` : null}`}<//>
  <//>`;
}

/** What a bulk decision did, from each conversion's outcome (POST /admin/conversions/decisions):
 * only ``updated`` ones changed; the others are said apart, never counted as decided. */
export function decisionSummary(results, status) {
  const count = (test) => results.filter(test).length;
  const parts = [`${count((r) => r.outcome === 'updated')} ${status}`];
  const notChanged = [
    [count((r) => r.outcome === 'unchanged' && r.status === status), `already ${status}`],
    [count((r) => r.outcome === 'unchanged' && r.status === 'test'), 'test conversions are never decided'],
    [count((r) => r.outcome === 'conflict'), 'decided by someone else meanwhile: reload to see them'],
  ];
  for (const [n, why] of notChanged) if (n) parts.push(`${n} not changed (${why})`);
  const missing = count((r) => r.outcome === 'not_found');
  if (missing) parts.push(`${missing} not found`);
  return `${parts.join(', ')}.`;
}

/** A list of conversions with checkboxes and the approve / reject bar (also used by the report). */
/** Approve or reject the conversions listed, in bulk; ``decidable`` false shows them only (a
 * report of other statuses). */
export function Decisions({ items, onDecided, caption, decidable = true }) {
  const canChange = useCanChange() && decidable;
  const names = useNames();
  const [chosen, setChosen] = useState(new Set());
  const [note, setNote] = useState('');
  const action = useAction();
  const toggle = (id, on) => {
    const next = new Set(chosen);
    on ? next.add(id) : next.delete(id);
    setChosen(next);
  };
  const decide = (status) =>
    action.run(
      async () => {
        const ids = [...chosen];
        const results = [];
        for (let i = 0; i < ids.length; i += 100) {
          const answer = await admin('POST', '/conversions/decisions', {
            body: { conversion_ids: ids.slice(i, i + 100), status, note },
          });
          results.push(...answer.items);
        }
        setChosen(new Set());
        setNote('');
        onDecided();
        return results;
      },
      (results) => decisionSummary(results, status),
    );
  const all = items.length > 0 && chosen.size === items.length;
  return html`
    ${
      canChange && items.length
        ? html`<div class="actions" role="group" aria-label="Decide the chosen conversions">
      <label for="select-all"><input type="checkbox" id="select-all" checked=${all} onChange=${(e) => setChosen(e.target.checked ? new Set(items.map((c) => c.conversion_id)) : new Set())} /> Select all</label>
      <label for="decision-note" style="flex:1">Note <input id="decision-note" maxlength="500" value=${note} onInput=${(e) => setNote(e.target.value)} placeholder="why (kept in the conversion's history)" /></label>
      <button type="button" disabled=${!chosen.size} aria-busy=${action.busy} onClick=${() => decide('approved')}>Approve (${chosen.size})</button>
      <button type="button" class="secondary" disabled=${!chosen.size} onClick=${() => decide('rejected')}>Reject (${chosen.size})</button>
    </div>`
        : null
    }
    <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />
    <${Table} caption=${caption || 'Waiting for approval: partners are paid (and told) once approved'} rows=${items} rowKey=${(c) => c.conversion_id}
      empty="No pending conversions."
      columns=${[
        ...(canChange
          ? [
              [
                'Choose',
                (c) =>
                  html`<input type="checkbox" aria-label=${`Choose conversion ${c.conversion_id}`} checked=${chosen.has(c.conversion_id)} onChange=${(e) => toggle(c.conversion_id, e.target.checked)} />`,
              ],
            ]
          : []),
        ['Created', (c) => html`<${At} value=${c.created_at} />`],
        ['Conversion', (c) => html`<a href=${`#/conversions/${c.conversion_id}`}>${c.conversion_id.slice(0, 12)}…</a>`],
        ['Offer', (c) => names.offer(c.offer_id)],
        ['Goal', (c) => named(c.goal_name, c.goal_id)],
        ['Partner', (c) => names.partner(c.partner_id)],
        ['Sale', (c) => money(c.sale_amount, c.currency), { num: true }],
        ['Payout', (c) => money(c.payout, c.currency), { num: true }],
        ['Revenue', (c) => money(c.revenue, c.currency), { num: true }],
        ['Status', (c) => c.status],
        ['Reason', (c) => reasonOf(c)],
        [
          'Trace',
          (c) => html`<a href=${`#/trace/${c.transaction_id}`} aria-label=${`Trace ${c.conversion_id}`}>trace</a>`,
        ],
      ]} />`;
}

/** Why a conversion is where it is: its code (a screening rule's when held or refused), and
 * the other screening codes found on it (README, Traffic screening). */
export function reasonOf(c) {
  const flags = Array.isArray(c.flags) ? c.flags.join(' ') : c.flags || '';
  const extra = flags && flags !== c.status_code ? ` (${flags})` : '';
  return `${c.status_code || ''}${extra}`;
}

/** Sessions, then each goal in flow order, with the drop-off between steps. */
export function FunnelScreen({ offerId }) {
  const [range, setRange] = useState(defaultRange());
  const [partnerId, setPartnerId] = useState('');
  const partners = useLoad(() => everything(admin, '/partners'), []);
  const funnel = useLoad(
    () => admin('GET', `/offers/${offerId}/funnel`, { params: { ...range, partner_id: partnerId } }),
    [offerId, range.from, range.to, range.timezone, partnerId],
  );
  const names = useNames();
  return html`<${Page} title=${`Funnel — offer ${names.offer(offerId)}`}>
    <${Tabs} items=${offerTabs(offerId)} current=${`#/offers/${offerId}/funnel`} />
    <${RangeFields} value=${range} onInput=${setRange} />
    <label for="funnel-partner">Partner <select id="funnel-partner" onChange=${(e) => setPartnerId(e.target.value)}>${options(partners.data || [], 'partner_id', partnerId, 'All partners')}</select></label>
    <${Loaded} state=${funnel} what="the funnel">${(f) => html`<${Table} caption=${f.consistency} rows=${f.steps}
      columns=${[
        [
          'Step',
          (s) =>
            s.step === 'sessions'
              ? 'Sessions (clicks)'
              : `${s.name} (${s.goal_id})${s.private ? ' — private' : ''}${s.end_point ? ' — end point' : ''}`,
        ],
        ['Count', (s) => s.count, { num: true }],
        ['Drop-off', (s) => (s.drop_off === undefined ? '' : s.drop_off), { num: true }],
        [
          'Of sessions',
          (s) =>
            s.rate_from_sessions === null || s.rate_from_sessions === undefined ? '' : `${s.rate_from_sessions}%`,
          { num: true },
        ],
      ]} />`}<//>
  <//>`;
}
