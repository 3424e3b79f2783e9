// Offers and their goals: the screens of offer-goals.txt (Payout panel, Multiple Conversion
// Goals switch, Add Goal, the goal's page with its tracking links, Manage goals, Partner Payouts).
import { useState } from 'preact/hooks';
import { admin, downloadCsv } from './api.js';
import { CurrencyInput } from './rates.js';
import {
  Check,
  ConflictNote,
  CopyField,
  Done,
  ErrorNote,
  everything,
  html,
  ListTable,
  Loaded,
  named,
  options,
  Page,
  patchOf,
  rate,
  RateInput,
  Table,
  Tabs,
  useAction,
  useCanChange,
  useLoad,
  useNames,
  useVersionedSave,
  yesNo,
} from './ui.js';

const STATUSES = ['active', 'paused', 'pending', 'expired', 'deleted'];

export function OffersScreen() {
  const canChange = useCanChange();
  const offers = useLoad(() => everything(admin, '/offers'), []);
  const advertisers = useLoad(() => everything(admin, '/advertisers'), []);
  const byId = Object.fromEntries((advertisers.data || []).map((a) => [a.advertiser_id, a.name]));
  return html`<${Page} title="Offers">
    <${Loaded} state=${offers} what="offers">${(items) => html`<${ListTable}
      id="offers"
      what="offers"
      caption="Every offer of the network"
      rows=${items}
      rowKey=${(o) => o.offer_id}
      searchText=${(o) => `${o.offer_id} ${o.name} ${byId[o.advertiser_id] || ''}`}
      empty="No offers yet: create the first one below."
      columns=${[
        ['ID', (o) => o.offer_id, { sort: (o) => o.offer_id }],
        ['Name', (o) => html`<a href=${`#/offers/${o.offer_id}`}>${o.name}</a>`, { sort: (o) => o.name }],
        [
          'Advertiser',
          (o) => named(byId[o.advertiser_id], o.advertiser_id),
          { sort: (o) => byId[o.advertiser_id] || '' },
        ],
        ['Status', (o) => o.status, { sort: (o) => o.status }],
        ['Goals', (o) => (o.goals_enabled ? 'Multiple' : 'Default only')],
        ['Default payout', (o) => rate(o.default_goal.payout, o.currency)],
      ]} />`}<//>
    ${canChange ? html`<${NewOffer} advertisers=${advertisers.data || []} onCreated=${offers.reload} />` : null}
  <//>`;
}

function NewOffer({ advertisers, onCreated }) {
  const empty = {
    name: '',
    advertiser_id: '',
    offer_url: '',
    goalName: 'Conversion',
    payout: { flat: '0', percent: '0' },
    revenue: { flat: '0', percent: '0' },
  };
  const [form, setForm] = useState(empty);
  const action = useAction();
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const created = await admin('POST', '/offers', {
        body: {
          name: form.name,
          advertiser_id: form.advertiser_id,
          offer_url: form.offer_url,
          default_goal: { name: form.goalName, payout: form.payout, revenue: form.revenue },
        },
      });
      setForm(empty);
      onCreated();
      location.hash = `#/offers/${created.offer_id}`;
    }, 'Offer created.');
  };
  return html`<form onSubmit=${submit} aria-labelledby="new-offer">
    <h2 id="new-offer">New offer</h2>
    <div class="grid-form">
      <label for="offer-name">Name <input id="offer-name" required value=${form.name} onInput=${set('name')} /></label>
      <label for="offer-advertiser">Advertiser
        <select id="offer-advertiser" required onChange=${set('advertiser_id')}>${options(advertisers, 'advertiser_id', form.advertiser_id, 'Choose…')}</select>
      </label>
    </div>
    <label for="offer-url">Offer URL (where clicks land; macros such as {transaction_id} are filled in)
      <input id="offer-url" type="url" required value=${form.offer_url} onInput=${set('offer_url')} placeholder="https://shop.example.com/?tid={transaction_id}" />
    </label>
    <label for="offer-goal-name">Default goal name <input id="offer-goal-name" required value=${form.goalName} onInput=${set('goalName')} /></label>
    <div class="grid">
      <${RateInput} legend="Default goal payout" idPrefix="offer-payout" value=${form.payout} onInput=${(v) => setForm({ ...form, payout: v })} />
      <${RateInput} legend="Default goal revenue" idPrefix="offer-revenue" value=${form.revenue} onInput=${(v) => setForm({ ...form, revenue: v })} />
    </div>
    <${ErrorNote} error=${action.error} />
    <button type="submit" aria-busy=${action.busy}>Create offer</button>
  </form>`;
}

export function offerTabs(offerId) {
  const base = `#/offers/${offerId}`;
  return [
    [base, 'Overview'],
    [`${base}/goals`, 'Goals'],
    [`${base}/payouts`, 'Partner payouts'],
    [`${base}/links`, 'Tracking links'],
    [`${base}/access`, 'Access'],
    [`${base}/postbacks`, 'Partner postbacks'],
    [`${base}/pending`, 'Pending'],
    [`${base}/funnel`, 'Funnel'],
    [`#/history/offer/${offerId}`, 'History'],
  ];
}

/** The offer page: its Payout panel, the Multiple Conversion Goals switch, settings and caps. */
export function OfferScreen({ offerId }) {
  const offer = useLoad(() => admin('GET', `/offers/${offerId}`), [offerId]);
  const network = useLoad(() => admin('GET', '/network'), []);
  const saved = (doc) => (doc && doc.offer_id ? offer.replace(doc) : offer.reload());
  return html`<${Loaded} state=${offer} what="the offer">${(
    data,
  ) => html`<${Page} title=${`Offer ${data.offer_id}: ${data.name}`}>
    <${Tabs} items=${offerTabs(offerId)} current=${`#/offers/${offerId}`} />
    ${network.data && !network.data.goals_enabled ? html`<p class="notice-error" role="note">Offer goals are disabled for the whole network (Network settings): only default goals convert.</p>` : null}
    <${GoalsSwitch} offer=${data} onSaved=${saved} />
    <${PayoutPanel} offer=${data} onSaved=${saved} />
    <${OfferSettings} offer=${data} onSaved=${saved} />
    <${DefaultGoalLinks} offer=${data} />
    <${Caps} offer=${data} onSaved=${saved} />
  <//>`}<//>`;
}

function GoalsSwitch({ offer, onSaved }) {
  const canChange = useCanChange();
  const [enabled, setEnabled] = useState(offer.goals_enabled);
  const saving = useVersionedSave(() => admin('GET', `/offers/${offer.offer_id}`));
  const toggle = (wanted) => {
    setEnabled(wanted); // shown at once; put back if the save fails
    saving
      .save(
        offer,
        (base) =>
          admin('PATCH', `/offers/${offer.offer_id}`, { body: { goals_enabled: wanted }, version: base.version }),
        wanted ? 'Multiple Conversion Goals on.' : 'Multiple Conversion Goals off.',
      )
      .then((saved) => (saved ? onSaved(saved) : setEnabled(offer.goals_enabled)));
  };
  return html`<article aria-labelledby="goals-switch">
    <h2 id="goals-switch">Multiple Conversion Goals</h2>
    <${Check} id="goals-enabled" switchRole label="Multiple Conversion Goals" checked=${enabled}
      hint="On: the offer converts on its goals besides the default goal." onChange=${canChange ? toggle : () => setEnabled(offer.goals_enabled)} />
    <${ErrorNote} error=${saving.error} /><${Done} message=${saving.done} />
    <${ConflictNote} conflict=${saving.conflict} onApply=${() => {
      saving.dropConflict();
      onSaved();
    }} onDiscard=${() => {
      saving.dropConflict();
      onSaved();
    }} />
  </article>`;
}

/** Payout panel: the default goal's payout and revenue, with its Edit button. */
function PayoutPanel({ offer, onSaved }) {
  const canChange = useCanChange();
  const goal = offer.default_goal;
  const [editing, setEditing] = useState(null);
  const saving = useVersionedSave(() => admin('GET', `/offers/${offer.offer_id}`));
  const lists = useLoad(
    async () => ({
      tiers: await everything(admin, '/tiers'),
      structures: await everything(admin, '/payout-structures'),
    }),
    [],
  );
  const structureName = Object.fromEntries(
    ((lists.data || {}).structures || []).map((st) => [st.structure_id, st.name]),
  );
  const tierName = Object.fromEntries(((lists.data || {}).tiers || []).map((t) => [t.tier_id, t.name]));
  // the patch is what the user changed from what they opened; a conflict's latest only lends its version
  const submit = (versioned, edited) =>
    saving
      .save(versioned, (latest) =>
        admin('PATCH', `/offers/${offer.offer_id}`, {
          body: { default_goal: patchOf(editing.base.default_goal, edited) },
          version: latest.version,
        }),
      )
      .then((saved) => {
        if (saved) {
          setEditing(null);
          onSaved(saved);
        }
      });
  return html`<article aria-labelledby="payout-panel">
    <header class="actions" style="justify-content: space-between">
      <h2 id="payout-panel" style="margin:0">Payout</h2>
      ${
        canChange && !editing
          ? html`<button type="button" class="secondary" onClick=${() => {
              saving.clear();
              setEditing({
                base: offer,
                form: {
                  name: goal.name,
                  payout: goal.payout,
                  revenue: goal.revenue,
                  tiers_enabled: Boolean(goal.tiers_enabled),
                  tier_payouts: goal.tier_payouts || {},
                  tier_revenues: goal.tier_revenues || {},
                  payout_structure_ids: goal.payout_structure_ids || [],
                  allow_multiple: goal.allow_multiple,
                  approve: goal.approve,
                  encrypted: goal.encrypted,
                  protocol: goal.protocol,
                  ref_id: goal.ref_id,
                },
              });
            }}>Edit</button>`
          : null
      }
    </header>
    ${
      editing
        ? html`<form onSubmit=${(e) => {
            e.preventDefault();
            submit(saving.conflict ? saving.conflict.latest : editing.base, editing.form);
          }}>
        <label for="dg-name">Default goal name <input id="dg-name" required value=${editing.form.name} onInput=${(e) => setEditing({ ...editing, form: { ...editing.form, name: e.target.value } })} /></label>
        <div class="grid">
          <${RateInput} legend="Payout" idPrefix="dg-payout" currency=${offer.currency} value=${editing.form.payout} onInput=${(v) => setEditing({ ...editing, form: { ...editing.form, payout: v } })} />
          <${RateInput} legend="Revenue" idPrefix="dg-revenue" currency=${offer.currency} value=${editing.form.revenue} onInput=${(v) => setEditing({ ...editing, form: { ...editing.form, revenue: v } })} />
        </div>
        ${lists.data ? html`<${PayoutRules} form=${editing.form} prefix="dg" currency=${offer.currency} lists=${lists.data} onInput=${(patch) => setEditing({ ...editing, form: { ...editing.form, ...patch } })} />` : html`<p aria-busy="true">Loading tiers and payout structures…</p>`}
        <${GoalBehaviour} form=${editing.form} prefix="dg" onInput=${(patch) => setEditing({ ...editing, form: { ...editing.form, ...patch } })} />
        <${ErrorNote} error=${saving.error} />
        <${ConflictNote} conflict=${saving.conflict}
          onApply=${() => submit(saving.conflict.latest, editing.form)}
          onDiscard=${() => {
            saving.dropConflict();
            setEditing(null);
            onSaved();
          }} />
        <div class="actions">
          <button type="submit" aria-busy=${saving.busy}>Save payout</button>
          <button type="button" class="secondary" onClick=${() => {
            saving.dropConflict();
            setEditing(null);
          }}>Cancel</button>
        </div>
      </form>`
        : html`<dl class="grid-form">
        <div><dt>Default goal</dt><dd>${goal.name} <span class="muted">(${goal.slug})</span> <a href=${`#/offers/${offer.offer_id}/goals/0`}>Conversion URLs</a></dd></div>
        <div><dt>Payout</dt><dd data-testid="default-payout">${rate(goal.payout, offer.currency)}</dd></div>
        <div><dt>Revenue</dt><dd>${rate(goal.revenue, offer.currency)}</dd></div>
        <div><dt>Multiple conversions</dt><dd>${yesNo(goal.allow_multiple)}</dd></div>
        <div><dt>Approval</dt><dd>${goal.approve ? 'Required' : 'Automatic'}</dd></div>
        <div><dt>Tiered payouts</dt><dd data-testid="default-tiers">${
          goal.tiers_enabled
            ? Object.entries(goal.tier_payouts || {})
                .map(([id, r]) => `${tierName[id] || id}: ${rate(r, offer.currency)}`)
                .join(', ') || 'On (no tier rates)'
            : 'Off'
        }</dd></div>
        <div><dt>Payout structures</dt><dd data-testid="default-structures">${(goal.payout_structure_ids || []).map((id) => structureName[id] || id).join(', ') || 'None'}</dd></div>
      </dl>`
    }
    <${Done} message=${saving.done} />
  </article>`;
}

/** Tiered payouts and revenues, and payout structures: every goal's, the default goal's too
 * (offer-goals.txt: "selecting Edit on the default goal and enabling the tiered payouts"). */
function PayoutRules({ form, prefix, currency, lists, onInput }) {
  const tierRate = (kind, tierId) => (value) => onInput({ [kind]: { ...(form[kind] || {}), [tierId]: value } });
  const structures = form.payout_structure_ids || [];
  return html`<${Check} id=${prefix + '-tiers'} label="Tiered payouts" hint="a payout and revenue per partner tier" checked=${form.tiers_enabled} onChange=${(v) => onInput({ tiers_enabled: v })} />
    ${
      form.tiers_enabled
        ? lists.tiers.length
          ? lists.tiers.map(
              (tier) => html`<div class="grid">
        <${RateInput} legend=${`Payout for tier ${tier.name}`} idPrefix=${`${prefix}-tier-${tier.tier_id}-payout`} currency=${currency} value=${(form.tier_payouts || {})[tier.tier_id]} onInput=${tierRate('tier_payouts', tier.tier_id)} />
        <${RateInput} legend=${`Revenue for tier ${tier.name}`} idPrefix=${`${prefix}-tier-${tier.tier_id}-revenue`} currency=${currency} value=${(form.tier_revenues || {})[tier.tier_id]} onInput=${tierRate('tier_revenues', tier.tier_id)} />
      </div>`,
            )
          : html`<p class="muted">No tiers yet: create them in Network settings.</p>`
        : null
    }
    <label for=${prefix + '-structures'}>Payout structures (rules by sale amount, country, sub ids…)
      <select id=${prefix + '-structures'} multiple size=${Math.min(4, Math.max(2, lists.structures.length))}
        onChange=${(e) => onInput({ payout_structure_ids: [...e.target.selectedOptions].map((o) => o.value) })}>
        ${lists.structures.map((st) => html`<option value=${st.structure_id} selected=${structures.includes(st.structure_id)}>${st.name}</option>`)}
      </select>
    </label>
    <p class="muted"><a href="#/payout-structures">Create or edit payout structures</a></p>`;
}

/** Settings every goal has (default goal included). */
function GoalBehaviour({ form, prefix, onInput }) {
  return html`<div class="grid-form">
    <${Check} id=${prefix + '-multiple'} label="Allow multiple conversions per session" checked=${form.allow_multiple} onChange=${(v) => onInput({ allow_multiple: v })} />
    <${Check} id=${prefix + '-approve'} label="Approve conversions before payment" checked=${form.approve} onChange=${(v) => onInput({ approve: v })} />
    <${Check} id=${prefix + '-encrypted'} label="Encrypted tracking" hint="links carry a signed goal id" checked=${form.encrypted} onChange=${(v) => onInput({ encrypted: v })} />
    <label for=${prefix + '-protocol'}>Tracking pixel type
      <select id=${prefix + '-protocol'} onChange=${(e) => onInput({ protocol: e.target.value })}>
        ${[
          ['server', 'Server postback'],
          ['image', 'Image pixel'],
          ['iframe', 'iFrame pixel'],
        ].map(([v, l]) => html`<option value=${v} selected=${form.protocol === v}>${l}</option>`)}
      </select>
    </label>
    <label for=${prefix + '-ref'}>Reference ID <input id=${prefix + '-ref'} maxlength="100" value=${form.ref_id} onInput=${(e) => onInput({ ref_id: e.target.value })} /></label>
  </div>`;
}

function OfferSettings({ offer, onSaved }) {
  const canChange = useCanChange();
  const names = useNames();
  const pick = (o) => ({
    name: o.name,
    offer_url: o.offer_url,
    status: o.status,
    session_hours: o.session_hours,
    currency: o.currency,
    accepts_other_currencies: o.accepts_other_currencies !== false,
    timezone: o.timezone,
    cap_action: o.cap_action,
  });
  const [form, setForm] = useState(null);
  const saving = useVersionedSave(() => admin('GET', `/offers/${offer.offer_id}`));
  const submit = (versioned) =>
    saving
      .save(
        versioned,
        (latest) =>
          admin('PATCH', `/offers/${offer.offer_id}`, { body: patchOf(pick(offer), form), version: latest.version }),
        'Offer saved.',
      )
      .then((saved) => {
        if (saved) {
          setForm(null);
          onSaved(saved);
        }
      });
  const set = (key, number) => (e) => setForm({ ...form, [key]: number ? Number(e.target.value) : e.target.value });
  if (!form) {
    return html`<article aria-labelledby="offer-settings">
      <header class="actions" style="justify-content: space-between"><h2 id="offer-settings" style="margin:0">Settings</h2>
        ${canChange ? html`<button type="button" class="secondary" onClick=${() => setForm(pick(offer))}>Edit settings</button>` : null}</header>
      <dl class="grid-form">
        <div><dt>Status</dt><dd>${offer.status}</dd></div>
        <div><dt>Offer URL</dt><dd class="secret">${offer.offer_url}</dd></div>
        <div><dt>Session lifespan</dt><dd>${offer.session_hours} h</dd></div>
        <div><dt>Currency</dt><dd>${offer.currency}${offer.accepts_other_currencies === false ? ' only' : ' (other currencies converted)'}</dd></div>
        <div><dt>Time zone (caps)</dt><dd>${offer.timezone}</dd></div>
        <div><dt>Advertiser</dt><dd data-testid="offer-advertiser">${names.advertiser(offer.advertiser_id)}</dd></div>
      </dl>
      <${Done} message=${saving.done} />
    </article>`;
  }
  return html`<form onSubmit=${(e) => {
    e.preventDefault();
    submit(saving.conflict ? saving.conflict.latest : offer);
  }} aria-labelledby="offer-settings-edit">
    <h2 id="offer-settings-edit">Edit settings</h2>
    <div class="grid-form">
      <label for="os-name">Name <input id="os-name" required value=${form.name} onInput=${set('name')} /></label>
      <label for="os-status">Status <select id="os-status" onChange=${set('status')}>${STATUSES.map((s) => html`<option selected=${form.status === s}>${s}</option>`)}</select></label>
      <label for="os-hours">Session lifespan (hours) <input id="os-hours" type="number" min="1" max="8760" value=${form.session_hours} onInput=${set('session_hours', true)} /></label>
      <${CurrencyInput} id="os-currency" label="Currency" required value=${form.currency} onInput=${(v) => setForm({ ...form, currency: v })} />
      <label for="os-tz">Time zone (caps) <input id="os-tz" value=${form.timezone} onInput=${set('timezone')} /></label>
      <label for="os-capaction">Over a cap <select id="os-capaction" onChange=${set('cap_action')}>
        <option value="refuse" selected=${form.cap_action === 'refuse'}>Refuse the conversion</option>
        <option value="pending" selected=${form.cap_action === 'pending'}>Record it pending for review</option></select></label>
    </div>
    <${Check} id="os-other-currencies" label="Convert amounts sent in other currencies" hint="off: a postback in another currency is refused (currency_mismatch)" checked=${form.accepts_other_currencies} onChange=${(v) => setForm({ ...form, accepts_other_currencies: v })} />
    <label for="os-url">Offer URL <input id="os-url" type="url" required value=${form.offer_url} onInput=${set('offer_url')} /></label>
    <${ErrorNote} error=${saving.error} />
    <${ConflictNote} conflict=${saving.conflict} onApply=${() => submit(saving.conflict.latest)} onDiscard=${() => {
      saving.dropConflict();
      setForm(null);
      onSaved();
    }} />
    <div class="actions"><button type="submit" aria-busy=${saving.busy}>Save settings</button>
      <button type="button" class="secondary" onClick=${() => {
        saving.dropConflict();
        setForm(null);
      }}>Cancel</button></div>
  </form>`;
}

const CAP_PERIODS = ['day', 'week', 'month', 'lifetime'];
/** clicks: a click cap (a click over it goes to the offer's fallback, README: Click caps). */
const CAP_MEASURES = ['conversions', 'payout', 'revenue', 'clicks'];
const WHOLE = ['conversions', 'clicks'];
const capScope = (partnerId, names) =>
  partnerId === '*' ? 'Each partner' : partnerId ? `Partner ${names.partner(partnerId)}` : 'Offer';

/** Caps: what each counted this period; add, change or remove one (the offer's caps, saved
 * with its version). */
function Caps({ offer, onSaved }) {
  const offerId = offer.offer_id;
  const canChange = useCanChange();
  const names = useNames();
  const caps = useLoad(() => admin('GET', `/offers/${offerId}/caps`), [offerId, offer.version]);
  const empty = { index: -1, scope: 'offer', partner_id: '', period: 'day', measure: 'conversions', limit: '' };
  const [form, setForm] = useState(null);
  const saving = useVersionedSave(() => admin('GET', `/offers/${offerId}`));
  const current = (offer.caps || []).map((c) => ({
    partner_id: c.partner_id || '',
    period: c.period,
    measure: c.measure,
    limit: String(c.limit),
  }));
  const store = (next, message) =>
    saving
      .save(
        offer,
        (latest) => admin('PATCH', `/offers/${offerId}`, { body: { caps: next }, version: latest.version }),
        message,
      )
      .then((saved) => {
        if (saved) {
          setForm(null);
          onSaved(saved);
        }
      });
  const submit = (e) => {
    e.preventDefault();
    const partnerId = form.scope === 'offer' ? '' : form.scope === 'each' ? '*' : form.partner_id;
    const cap = { partner_id: partnerId, period: form.period, measure: form.measure, limit: form.limit };
    const next = form.index < 0 ? [...current, cap] : current.map((c, i) => (i === form.index ? cap : c));
    store(next, form.index < 0 ? 'Cap added.' : 'Cap saved.');
  };
  const edit = (cap, index) =>
    setForm({
      index,
      scope: cap.partner_id === '*' ? 'each' : cap.partner_id ? 'partner' : 'offer',
      partner_id: cap.partner_id === '*' ? '' : cap.partner_id,
      period: cap.period,
      measure: cap.measure,
      limit: cap.limit,
    });
  const used = (cap) =>
    ((caps.data || {}).caps || []).find(
      (c) => (c.partner_id || '') === cap.partner_id && c.period === cap.period && c.measure === cap.measure,
    ) || {};
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  return html`<article aria-labelledby="caps"><h2 id="caps">Caps</h2>
    <${Table} caption="Each cap, what its current period counted and what is left"
      rows=${current} empty="No caps on this offer."
      columns=${[
        ['Scope', (c) => capScope(c.partner_id, names)],
        ['Period', (c) => c.period],
        ['Measure', (c) => c.measure],
        ['Limit', (c) => c.limit, { num: true }],
        ['Used', (c) => used(c).used ?? '', { num: true }],
        ['Left', (c) => used(c).remaining ?? '', { num: true }],
        [
          '',
          (c) =>
            canChange
              ? html`<span class="actions">
          <button type="button" class="secondary outline" aria-label=${`Edit ${c.measure} cap ${capScope(c.partner_id, names)} per ${c.period}`} onClick=${() => edit(c, current.indexOf(c))}>Edit</button>
          <button type="button" class="secondary outline" aria-label=${`Remove ${c.measure} cap ${capScope(c.partner_id, names)} per ${c.period}`}
            onClick=${() =>
              store(
                current.filter((x) => x !== c),
                'Cap removed.',
              )}>Remove</button></span>`
              : null,
        ],
      ]} />
    <${ErrorNote} error=${saving.error} /><${Done} message=${saving.done} />
    <${ConflictNote} conflict=${saving.conflict} onApply=${() => {
      saving.dropConflict();
      onSaved();
    }} onDiscard=${() => {
      saving.dropConflict();
      onSaved();
    }} />
    ${
      canChange && !form
        ? html`<button type="button" class="secondary" onClick=${() => setForm(empty)}>Add cap</button>`
        : null
    }
    ${
      form
        ? html`<form onSubmit=${submit} aria-labelledby="cap-form"><h3 id="cap-form">${form.index < 0 ? 'New cap' : 'Edit cap'}</h3>
      <div class="grid-form">
        <label for="cap-scope">Applies to <select id="cap-scope" onChange=${set('scope')}>
          <option value="offer" selected=${form.scope === 'offer'}>The offer as a whole</option>
          <option value="each" selected=${form.scope === 'each'}>Each partner</option>
          <option value="partner" selected=${form.scope === 'partner'}>One partner</option></select></label>
        ${
          form.scope === 'partner'
            ? html`<label for="cap-partner">Partner <select id="cap-partner" required onChange=${set('partner_id')}>${options((names.lists || {}).partners || [], 'partner_id', form.partner_id, 'Choose…')}</select></label>`
            : null
        }
        <label for="cap-period">Period <select id="cap-period" onChange=${set('period')}>${CAP_PERIODS.map((p) => html`<option selected=${form.period === p}>${p}</option>`)}</select></label>
        <label for="cap-measure">Measure <select id="cap-measure" onChange=${set('measure')}>${CAP_MEASURES.map((m) => html`<option selected=${form.measure === m}>${m}</option>`)}</select></label>
        <label for="cap-limit">Limit (${WHOLE.includes(form.measure) ? form.measure : offer.currency}) <input id="cap-limit" required inputmode=${WHOLE.includes(form.measure) ? 'numeric' : 'decimal'} pattern=${WHOLE.includes(form.measure) ? '[0-9]+' : '[0-9]+(\\.[0-9]{1,6})?'} value=${form.limit} onInput=${set('limit')} /></label>
      </div>
      <div class="actions"><button type="submit" aria-busy=${saving.busy}>Save cap</button>
        <button type="button" class="secondary" onClick=${() => setForm(null)}>Cancel</button></div>
    </form>`
        : null
    }
  </article>`;
}

/** The default goal's conversion tracking links (the other goals have them on their page). */
function DefaultGoalLinks({ offer }) {
  const goal = useLoad(() => admin('GET', `/offers/${offer.offer_id}/goals/0`), [offer.offer_id, offer.version]);
  return html`<article aria-labelledby="default-links"><h2 id="default-links">Conversion tracking (default goal)</h2>
    <p class="muted">Give the advertiser one of these; the server postback is the most reliable.</p>
    <${Loaded} state=${goal} what="the links">${(g) =>
      Object.entries(g.links || {}).map(
        ([kind, link]) =>
          html`<${CopyField} id=${'default-link-' + kind} label=${LINK_LABELS[kind] || kind} value=${link} multiline=${link.startsWith('<')} />`,
      )}<//>
  </article>`;
}

/** Manage goals: ID, Name, Status, Advertiser, Tracking Pixel Type, Endpoint, Private, Allow Multiples, Payout, Revenue. */
export function GoalsScreen({ offerId }) {
  const canChange = useCanChange();
  const names = useNames();
  const offer = useLoad(() => admin('GET', `/offers/${offerId}`), [offerId]);
  const rows = useLoad(() => admin('GET', `/offers/${offerId}/goals/manage`), [offerId]);
  const action = useAction();
  const name = offer.data ? `Offer ${offerId}: ${offer.data.name}` : `Offer ${offerId}`;
  return html`<${Page} title=${`Manage goals — ${name}`} actions=${canChange ? html`<a role="button" href=${`#/offers/${offerId}/goals/new`}>Add Goal</a>` : null}>
    <${Tabs} items=${offerTabs(offerId)} current=${`#/offers/${offerId}/goals`} />
    ${offer.data && !offer.data.goals_enabled ? html`<p role="note" class="notice-error">Multiple Conversion Goals is off for this offer: only the default goal converts. Turn it on in Overview.</p>` : null}
    <${Loaded} state=${rows} what="goals">${(
      data,
    ) => html`<${Table} caption="Goals of this offer (0 is the default goal)" rows=${data.items} rowKey=${(r) => r.ID}
      columns=${[
        ['ID', (r) => r.ID],
        ['Name', (r) => r.Name],
        ['Status', (r) => r.Status],
        ['Advertiser', (r) => names.advertiser(r.Advertiser)],
        ['Tracking Pixel Type', (r) => r['Tracking Pixel Type']],
        ['Endpoint', (r) => yesNo(r.Endpoint)],
        ['Private', (r) => yesNo(r.Private)],
        ['Allow Multiples', (r) => yesNo(r['Allow Multiples'])],
        ['Payout', (r) => r.Payout, { num: true }],
        ['Revenue', (r) => r.Revenue, { num: true }],
        [
          '',
          (r) => html`<span class="actions">
          <a href=${r.ID === '0' ? `#/offers/${offerId}` : `#/offers/${offerId}/goals/${r.ID}`} aria-label=${`View goal ${r.Name}`}>View</a>
          ${canChange ? html`<a href=${r.ID === '0' ? `#/offers/${offerId}` : `#/offers/${offerId}/goals/${r.ID}/edit`} aria-label=${`Edit goal ${r.Name}`}>Edit</a>` : null}
          ${r.Private ? null : html`<a href=${`#/offers/${offerId}/payouts?goal=${r.ID}`} aria-label=${`Payout: partner payouts of goal ${r.Name}`}>Payout</a>`}
          <a href=${`#/offers/${offerId}/goals/${r.ID}`} aria-label=${`Conversion URLs of goal ${r.Name}`}>Conversion URLs</a></span>`,
        ],
      ]} />`}<//>
    <button type="button" class="secondary" onClick=${() => action.run(() => downloadCsv(admin, `/offers/${offerId}/goals/manage`, {}, `offer-${offerId}-goals.csv`))}>Download CSV</button>
    <${ErrorNote} error=${action.error} />
  <//>`;
}

const NEW_GOAL = {
  name: '',
  description: '',
  status: 'active',
  advertiser_id: '',
  private: false,
  end_point: false,
  payout: { flat: '0', percent: '0' },
  revenue: { flat: '0', percent: '0' },
  tiers_enabled: false,
  tier_payouts: {},
  tier_revenues: {},
  payout_structure_ids: [],
  allow_multiple: false,
  approve: false,
  encrypted: false,
  protocol: 'server',
  ref_id: '',
};

function goalForm(goal) {
  const form = {};
  for (const key of Object.keys(NEW_GOAL)) form[key] = goal[key] ?? NEW_GOAL[key];
  form.advertiser_id = goal.advertiser_id || '';
  return form;
}

/** Add Goal, and Edit of an existing goal (with the version it was read at). */
export function GoalFormScreen({ offerId, goalId }) {
  const offer = useLoad(() => admin('GET', `/offers/${offerId}`), [offerId]);
  const goal = useLoad(
    () => (goalId ? admin('GET', `/offers/${offerId}/goals/${goalId}`) : Promise.resolve(null)),
    [offerId, goalId],
  );
  const lists = useLoad(
    async () => ({
      advertisers: await everything(admin, '/advertisers'),
      tiers: await everything(admin, '/tiers'),
      structures: await everything(admin, '/payout-structures'),
    }),
    [],
  );
  if (offer.error || goal.error || lists.error)
    return html`<${ErrorNote} error=${offer.error || goal.error || lists.error} />`;
  if (!offer.data || !lists.data || (goalId && !goal.data)) return html`<p aria-busy="true">Loading…</p>`;
  return html`<${GoalForm} key=${goalId || 'new'} offer=${offer.data} goal=${goal.data} lists=${lists.data} />`;
}

function GoalForm({ offer, goal, lists }) {
  const offerId = offer.offer_id;
  const [form, setForm] = useState(goal ? goalForm(goal) : { ...NEW_GOAL });
  const saving = useVersionedSave(() => admin('GET', `/offers/${offerId}/goals/${goal.goal_id}`));
  const set = (patch) => setForm({ ...form, ...patch });
  const text = (key) => (e) => set({ [key]: e.target.value });
  const body = (base) => {
    const sent = { ...form, advertiser_id: form.advertiser_id || null };
    return base ? patchOf(goalForm(base), sent) : sent;
  };
  const submit = (versioned) =>
    saving.save(versioned, async (latest) => {
      const saved = goal
        ? await admin('PATCH', `/offers/${offerId}/goals/${goal.goal_id}`, {
            body: body(goal),
            version: latest.version,
          })
        : await admin('POST', `/offers/${offerId}/goals`, { body: body(null) });
      location.hash = `#/offers/${offerId}/goals/${saved.goal_id}`;
      return saved;
    });
  const title = goal ? `Edit goal ${goal.goal_id}: ${goal.name}` : `Add Goal — ${offer.name}`;
  return html`<${Page} title=${title}>
    <form onSubmit=${(e) => {
      e.preventDefault();
      submit(saving.conflict ? saving.conflict.latest : goal);
    }}>
      <div class="grid-form">
        <label for="goal-name">Name <input id="goal-name" required maxlength="100" value=${form.name} onInput=${text('name')} /></label>
        <label for="goal-status">Status <select id="goal-status" onChange=${text('status')}>${['active', 'paused', 'deleted'].map((s) => html`<option selected=${form.status === s}>${s}</option>`)}</select></label>
        <label for="goal-advertiser">Advertiser <select id="goal-advertiser" onChange=${text('advertiser_id')}>${options(lists.advertisers, 'advertiser_id', form.advertiser_id, "The offer's advertiser")}</select></label>
      </div>
      <label for="goal-description">Description <textarea id="goal-description" maxlength="2000" onInput=${text('description')}>${form.description}</textarea></label>
      <fieldset>
        <legend>Kind of goal</legend>
        <${Check} id="goal-private" label="Private" hint="tracked for you only: partners never see it, it pays no partner" checked=${form.private} onChange=${(v) => set({ private: v })} />
        <${Check} id="goal-endpoint" label="End point" hint="a conversion on it closes the session" checked=${form.end_point} onChange=${(v) => set({ end_point: v })} />
      </fieldset>
      <div class="grid">
        <${RateInput} legend="Payout" idPrefix="goal-payout" currency=${offer.currency} value=${form.payout} onInput=${(v) => set({ payout: v })} />
        <${RateInput} legend="Revenue" idPrefix="goal-revenue" currency=${offer.currency} value=${form.revenue} onInput=${(v) => set({ revenue: v })} />
      </div>
      <${PayoutRules} form=${form} prefix="goal" currency=${offer.currency} lists=${lists} onInput=${set} />
      <${GoalBehaviour} form=${form} prefix="goal" onInput=${set} />
      <${ErrorNote} error=${saving.error} />
      <${ConflictNote} conflict=${saving.conflict} onApply=${() => submit(saving.conflict.latest)}
        onDiscard=${() => {
          saving.dropConflict();
          location.hash = `#/offers/${offerId}/goals/${goal.goal_id}`;
        }} />
      <div class="actions">
        <button type="submit" aria-busy=${saving.busy}>${goal ? 'Save goal' : 'Add goal'}</button>
        <a href=${`#/offers/${offerId}/goals`} role="button" class="secondary">Cancel</a>
      </div>
    </form>
  <//>`;
}

/** A goal's page: its settings and its conversion tracking links. */
export function GoalScreen({ offerId, goalId }) {
  const canChange = useCanChange();
  const goal = useLoad(() => admin('GET', `/offers/${offerId}/goals/${goalId}`), [offerId, goalId]);
  return html`<${Loaded} state=${goal} what="the goal">${(g) => html`<${Page} title=${`Goal ${g.goal_id}: ${g.name}`}
      actions=${html`${canChange ? html`<a role="button" href=${goalId === '0' ? `#/offers/${offerId}` : `#/offers/${offerId}/goals/${goalId}/edit`}>Edit</a>` : null}
        <a role="button" class="secondary" href=${`#/history/goal/${offerId}/${goalId}`}>History</a>`}>
    <p><a href=${`#/offers/${offerId}/goals`}>← Manage goals</a></p>
    <dl class="grid-form">
      <div><dt>Status</dt><dd>${g.status}</dd></div>
      <div><dt>Goal name in links</dt><dd><code>${g.slug}</code></dd></div>
      <div><dt>Payout</dt><dd>${rate(g.payout)}</dd></div>
      <div><dt>Revenue</dt><dd>${rate(g.revenue)}</dd></div>
      <div><dt>Private</dt><dd>${yesNo(g.private)}</dd></div>
      <div><dt>End point</dt><dd>${yesNo(g.end_point)}</dd></div>
      <div><dt>Allow multiples</dt><dd>${yesNo(g.allow_multiple)}</dd></div>
      <div><dt>Approval</dt><dd>${g.approve ? 'Required' : 'Automatic'}</dd></div>
      <div><dt>Encrypted</dt><dd>${yesNo(g.encrypted)}</dd></div>
      <div><dt>Tracking pixel type</dt><dd>${g.protocol}</dd></div>
    </dl>
    <h2>Conversion tracking</h2>
    <p class="muted">Give the advertiser one of these; the server postback is the most reliable.</p>
    ${Object.entries(g.links || {}).map(([kind, link]) => html`<${CopyField} id=${'link-' + kind} label=${LINK_LABELS[kind] || kind} value=${link} multiline=${link.startsWith('<')} />`)}
  <//>`}<//>`;
}

const LINK_LABELS = {
  postback: 'Server postback URL (encrypted: the only form this goal accepts)',
  postback_by_name: 'Server postback URL (by goal name)',
  postback_by_id: 'Server postback URL (by goal id)',
  image_pixel: 'Image pixel (HTTPS, by cookie)',
  iframe_pixel: 'iFrame pixel (by cookie)',
  click_pixel: 'Goal click pixel (counts a click on this goal)',
};

/** Partner Payouts: a custom payout per partner and goal. */
export function PartnerPayoutsScreen({ offerId, goalFilter }) {
  const canChange = useCanChange();
  const data = useLoad(
    async () => ({
      payouts: await everything(admin, `/offers/${offerId}/partner-payouts`),
      goals: await everything(admin, `/offers/${offerId}/goals`),
      partners: await everything(admin, '/partners'),
      offer: await admin('GET', `/offers/${offerId}`),
    }),
    [offerId],
  );
  const empty = { partner_id: '', goal_id: goalFilter || '0', payout: { flat: '0', percent: '0' }, version: 0 };
  const [form, setForm] = useState(empty);
  const saving = useVersionedSave(() =>
    everything(admin, `/offers/${offerId}/partner-payouts`).then(
      (items) => items.find((p) => p.partner_id === form.partner_id && p.goal_id === form.goal_id) || { version: 0 },
    ),
  );
  const remove = useAction();
  const submit = (e) => {
    e.preventDefault();
    saving
      .save(
        form,
        (base) =>
          admin('PUT', `/offers/${offerId}/partner-payouts/${form.partner_id}/${form.goal_id}`, {
            body: { payout: form.payout },
            version: base.version,
          }),
        'Custom payout saved.',
      )
      .then((saved) => {
        if (saved) {
          setForm(empty);
          data.reload();
        }
      });
  };
  return html`<${Page} title=${`Partner payouts — offer ${offerId}`}>
    <${Tabs} items=${offerTabs(offerId)} current=${`#/offers/${offerId}/payouts`} />
    <${Loaded} state=${data} what="payouts">${(d) => {
      const partnerName = Object.fromEntries(d.partners.map((p) => [p.partner_id, p.name]));
      const goalName = Object.fromEntries(d.goals.map((g) => [g.goal_id, g.name]));
      const payable = d.goals.filter((g) => !g.private);
      const rows = d.payouts.filter((p) => !goalFilter || p.goal_id === goalFilter);
      return html`
        <${Table} caption="Custom payouts: they win over tiers and the goal's payout" rows=${rows} rowKey=${(p) => p.partner_id + '#' + p.goal_id}
          empty="No custom payouts."
          columns=${[
            ['Partner', (p) => `${partnerName[p.partner_id] || ''} (${p.partner_id})`],
            ['Goal', (p) => `${goalName[p.goal_id] || ''} (${p.goal_id})`],
            ['Payout', (p) => rate(p.payout, d.offer.currency), { num: true }],
            [
              '',
              (p) =>
                canChange
                  ? html`<span class="actions">
              <button type="button" class="secondary outline" onClick=${() => setForm({ partner_id: p.partner_id, goal_id: p.goal_id, payout: p.payout, version: p.version })}>Edit</button>
              <button type="button" class="secondary outline" onClick=${() => remove.run(() => admin('DELETE', `/offers/${offerId}/partner-payouts/${p.partner_id}/${p.goal_id}`, { version: p.version }).then(data.reload), 'Removed.')}>Remove</button></span>`
                  : null,
            ],
          ]} />
        <${ErrorNote} error=${remove.error} />
        ${
          canChange
            ? html`<form onSubmit=${submit} aria-labelledby="custom-payout">
          <h2 id="custom-payout">${form.version ? 'Edit custom payout' : 'Add custom payout'}</h2>
          <div class="grid-form">
            <label for="cp-partner">Partner <select id="cp-partner" required disabled=${Boolean(form.version)} onChange=${(e) => setForm({ ...form, partner_id: e.target.value })}>${options(d.partners, 'partner_id', form.partner_id, 'Choose…')}</select></label>
            <label for="cp-goal">Goal <select id="cp-goal" required disabled=${Boolean(form.version)} onChange=${(e) => setForm({ ...form, goal_id: e.target.value })}>${options(payable, 'goal_id', form.goal_id)}</select></label>
          </div>
          <${RateInput} legend="Payout for this partner" idPrefix="cp-payout" currency=${d.offer.currency} value=${form.payout} onInput=${(v) => setForm({ ...form, payout: v })} />
          <${ErrorNote} error=${saving.error} />
          <${ConflictNote} conflict=${saving.conflict} onApply=${() => {
            setForm({ ...form, version: saving.conflict.latest.version });
            saving.dropConflict();
          }} onDiscard=${() => {
            saving.dropConflict();
            setForm(empty);
            data.reload();
          }} />
          <div class="actions"><button type="submit" aria-busy=${saving.busy}>Save custom payout</button>
            ${form.version ? html`<button type="button" class="secondary" onClick=${() => setForm(empty)}>Cancel</button>` : null}</div>
          <${Done} message=${saving.done || remove.done} />
        </form>`
            : null
        }`;
    }}<//>
  <//>`;
}

/** Each active partner's tracking link for this offer. */
export function TrackingLinksScreen({ offerId }) {
  const links = useLoad(() => everything(admin, `/offers/${offerId}/tracking-links`), [offerId]);
  return html`<${Page} title=${`Tracking links — offer ${offerId}`}>
    <${Tabs} items=${offerTabs(offerId)} current=${`#/offers/${offerId}/links`} />
    <${Loaded} state=${links} what="links">${(items) => (items.length ? items.map((l) => html`<${CopyField} id=${'tl-' + l.partner_id} label=${`${l.name} (${l.partner_id})`} value=${l.tracking_link} />`) : html`<p class="muted">No active partners.</p>`)}<//>
    <${Loaded} state=${links} what="partners">${(items) => (items.length ? html`<${TestLinkForm} offerId=${offerId} partners=${items} />` : null)}<//>
  <//>`;
}

/** An admin's test link: every conversion of the sessions it opens is a test (employee_test,
 * TUNE's 21), never paid or counted; told to the partner only when asked (README, Conversion trace). */
function TestLinkForm({ offerId, partners }) {
  const [partnerId, setPartnerId] = useState(String(partners[0].partner_id));
  const [deliver, setDeliver] = useState(false);
  const [made, setMade] = useState(null);
  const action = useAction();
  const submit = (e) => {
    e.preventDefault();
    action.run(() =>
      admin('GET', `/offers/${offerId}/test-link`, {
        params: { partner_id: partnerId, test_delivery: String(deliver) },
      }).then(setMade),
    );
  };
  return html`<form onSubmit=${submit} aria-labelledby="test-link-heading">
    <h2 id="test-link-heading">Test link</h2>
    <p class="muted">Conversions after a click on this link are recorded as tests: traced, never paid, counted or capped.</p>
    <div class="grid-form">
      <label for="test-link-partner">Partner <select id="test-link-partner" onChange=${(e) => setPartnerId(e.target.value)}>
        ${partners.map((p) => html`<option value=${p.partner_id} selected=${String(p.partner_id) === partnerId}>${p.name} (${p.partner_id})</option>`)}</select></label>
      <label for="test-link-deliver"><input id="test-link-deliver" type="checkbox" checked=${deliver} onChange=${(e) => setDeliver(e.target.checked)} /> Tell the partner's postbacks (marked as tests)</label>
    </div>
    <${ErrorNote} error=${action.error} />
    <button type="submit" aria-busy=${action.busy}>Make test link</button>
    ${made ? html`<${CopyField} id="test-link" label="Test link" value=${made.tracking_link} />` : null}
  </form>`;
}
