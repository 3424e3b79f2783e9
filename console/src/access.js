// Offer access (README, Offer access): who may run an offer — public, requires approval, private.
// Admins: the network's queue of applications, and each offer's access (its setting, the
// partners' applications and grants). Partners: the portal's application for an offer.
import { useState } from 'preact/hooks';
import { admin, partner } from './api.js';
import { offerTabs } from './offers.js';
import {
  At,
  Done,
  ErrorNote,
  Loaded,
  Page,
  Table,
  Tabs,
  everything,
  html,
  options,
  useAction,
  useCanChange,
  useLoad,
  useNames,
} from './ui.js';

export const ACCESS_SETTINGS = [
  ['public', 'Public: every partner runs it'],
  ['requires_approval', 'Requires approval: partners apply in their portal'],
  ['private', 'Private: only partners given access see it'],
];

const STATE_TEXT = {
  applied: 'Applied, waiting for a decision',
  approved: 'Approved',
  rejected: 'Rejected',
  revoked: 'Revoked',
};

/** What an admin may decide from where the partner stands (rules.access, DECISIONS). */
const DECISIONS = {
  applied: [
    ['approved', 'Approve'],
    ['rejected', 'Reject'],
  ],
  approved: [['revoked', 'Revoke']],
  rejected: [['approved', 'Approve']],
  revoked: [['approved', 'Give access again']],
};

/** One row's decision: a note and the buttons that apply (the note is kept in the audit trail). */
function Decide({ item, who, onDecided }) {
  const [note, setNote] = useState('');
  const action = useAction();
  const id = `access-note-${item.offer_id}-${item.partner_id}`;
  const decide = (state, label) =>
    action.run(
      () =>
        admin('PUT', `/offers/${item.offer_id}/access/${item.partner_id}`, {
          body: { state, note },
          version: item.version,
        }).then(onDecided),
      `${label}: ${who}.`,
    );
  return html`<div class="actions" role="group" aria-label=${`Decide on ${who}`}>
    <input id=${id} aria-label=${`Note on ${who}`} maxlength="500" placeholder="note (kept in the history)" value=${note} onInput=${(e) => setNote(e.target.value)} />
    ${(DECISIONS[item.state] || []).map(
      ([state, label], i) =>
        html`<button type="button" class=${i ? 'secondary' : ''} aria-busy=${action.busy} onClick=${() => decide(state, label)}>${label}</button>`,
    )}
    <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />
  </div>`;
}

/** The network's applications waiting for a decision, every offer. */
export function AccessQueueScreen() {
  const canChange = useCanChange();
  const names = useNames();
  const pending = useLoad(() => everything(admin, '/access-applications'), []);
  return html`<${Page} title="Offer applications">
    <p class="muted">Partners apply in their portal for offers that require approval. Approving lets their clicks reach the offer; until then they go to the offer's fallback (<code>no_offer_access</code>).</p>
    <${Loaded} state=${pending} what="applications">${(
      items,
    ) => html`<${Table} caption="Waiting for a decision" rows=${items}
      rowKey=${(a) => `${a.offer_id}/${a.partner_id}`} empty="No applications waiting."
      columns=${[
        ['Offer', (a) => html`<a href=${`#/offers/${a.offer_id}/access`}>${names.offer(a.offer_id)}</a>`],
        ['Partner', (a) => names.partner(a.partner_id)],
        ['Applied', (a) => html`<${At} value=${a.applied_at} />`],
        ['Their note', (a) => a.note],
        ...(canChange
          ? [
              [
                'Decision',
                (a) =>
                  html`<${Decide} item=${a} who=${`${names.partner(a.partner_id)} on ${names.offer(a.offer_id)}`} onDecided=${pending.reload} />`,
              ],
            ]
          : []),
      ]} />`}<//>
  <//>`;
}

/** An offer's access: its setting, the partners' applications and grants, giving access. */
export function OfferAccessScreen({ offerId }) {
  const canChange = useCanChange();
  const names = useNames();
  const offer = useLoad(() => admin('GET', `/offers/${offerId}`), [offerId]);
  const items = useLoad(() => everything(admin, `/offers/${offerId}/access`), [offerId]);
  return html`<${Page} title=${`Access — offer ${names.offer(offerId)}`}>
    <${Tabs} items=${offerTabs(offerId)} current=${`#/offers/${offerId}/access`} />
    <${Loaded} state=${offer} what="the offer">${(o) => html`<${AccessSetting} offer=${o} onSaved=${offer.replace} />`}<//>
    <h2>Partners</h2>
    <${Loaded} state=${items} what="partners' access">${(
      list,
    ) => html`<${Table} caption="Applications and grants on this offer" rows=${list}
      rowKey=${(a) => a.partner_id} empty="No partner has applied or been given access."
      columns=${[
        ['Partner', (a) => names.partner(a.partner_id)],
        ['Access', (a) => STATE_TEXT[a.state] || a.state],
        ['Applied', (a) => (a.applied_at ? html`<${At} value=${a.applied_at} />` : '—')],
        ['Their note', (a) => a.note],
        ['Decided', (a) => (a.decided_at ? html`<${At} value=${a.decided_at} />` : '—')],
        ['Decision note', (a) => a.decision_note],
        ['History', (a) => html`<a href=${`#/history/offer_access/${offerId}/${a.partner_id}`}>History</a>`],
        ...(canChange
          ? [
              [
                'Decision',
                (a) => html`<${Decide} item=${a} who=${names.partner(a.partner_id)} onDecided=${items.reload} />`,
              ],
            ]
          : []),
      ]} />`}<//>
    ${canChange ? html`<${GiveAccess} offerId=${offerId} partners=${(names.lists || {}).partners || []} given=${items.data || []} onGiven=${items.reload} />` : null}
  <//>`;
}

function AccessSetting({ offer, onSaved }) {
  const canChange = useCanChange();
  const [value, setValue] = useState(offer.access || 'public');
  const action = useAction();
  const save = (e) => {
    e.preventDefault();
    action.run(
      () =>
        admin('PATCH', `/offers/${offer.offer_id}`, { body: { access: value }, version: offer.version }).then(onSaved),
      'Access saved.',
    );
  };
  return html`<form onSubmit=${save} aria-labelledby="access-setting">
    <h2 id="access-setting">Who may run this offer</h2>
    <label for="offer-access">Access <select id="offer-access" disabled=${!canChange} onChange=${(e) => setValue(e.target.value)}>
      ${ACCESS_SETTINGS.map(([v, label]) => html`<option value=${v} selected=${value === v}>${label}</option>`)}</select></label>
    <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />
    ${canChange ? html`<button type="submit" aria-busy=${action.busy}>Save access</button>` : null}
  </form>`;
}

/** Give a partner access without an application (how a private offer is given). */
function GiveAccess({ offerId, partners, given, onGiven }) {
  const [partnerId, setPartnerId] = useState('');
  const [note, setNote] = useState('');
  const action = useAction();
  const taken = new Set(given.map((a) => String(a.partner_id)));
  const free = partners.filter((p) => !taken.has(String(p.partner_id)));
  const give = (e) => {
    e.preventDefault();
    action.run(
      () =>
        admin('PUT', `/offers/${offerId}/access/${partnerId}`, { body: { state: 'approved', note } }).then(() => {
          setPartnerId('');
          setNote('');
          onGiven();
        }),
      'Access given.',
    );
  };
  return html`<form onSubmit=${give} aria-labelledby="give-access"><h3 id="give-access">Give a partner access</h3>
    <div class="grid-form">
      <label for="give-partner">Partner <select id="give-partner" required onChange=${(e) => setPartnerId(e.target.value)}>${options(free, 'partner_id', partnerId, 'Choose a partner')}</select></label>
      <label for="give-note">Note <input id="give-note" maxlength="500" value=${note} onInput=${(e) => setNote(e.target.value)} /></label>
    </div>
    <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />
    <button type="submit" aria-busy=${action.busy} disabled=${!partnerId}>Give access</button>
  </form>`;
}

/** The portal's word for where the partner stands on an offer. */
export function portalAccess(o) {
  if (o.may_run) return o.access === 'public' ? 'Open to all' : 'Approved';
  if (o.access_state === 'applied') return 'Applied: waiting for approval';
  if (o.access_state) return STATE_TEXT[o.access_state] || o.access_state;
  return 'Requires approval';
}

/** On a portal offer the partner may not run yet: where it stands, and the application. */
export function PortalApplication({ offer, onApplied }) {
  const [note, setNote] = useState('');
  const action = useAction();
  const apply = (e) => {
    e.preventDefault();
    action.run(
      () => partner('POST', `/offers/${offer.offer_id}/application`, { body: { note } }).then(onApplied),
      'Application sent.',
    );
  };
  return html`<article aria-labelledby="offer-access-h">
    <h2 id="offer-access-h">Access</h2>
    <p data-testid="portal-access">${portalAccess(offer)}</p>
    <p class="muted">Your tracking link appears here once the network approves you; until then your clicks do not reach this offer.</p>
    ${
      offer.access === 'requires_approval' && !offer.access_state
        ? html`<form onSubmit=${apply} aria-labelledby="apply-h"><h3 id="apply-h">Apply for this offer</h3>
        <label for="apply-note">Note for the network (your traffic, your audience) <textarea id="apply-note" maxlength="500" value=${note} onInput=${(e) => setNote(e.target.value)}></textarea></label>
        <${ErrorNote} error=${action.error} />
        <button type="submit" aria-busy=${action.busy}>Apply</button></form>`
        : html`<${Done} message=${action.done} />`
    }
  </article>`;
}
