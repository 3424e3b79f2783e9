// Payout structures: rules over a conversion's fields that set its payout or revenue. Created,
// edited and put in order here (the first rule whose conditions all hold wins); goals pick them.
import { useState } from 'preact/hooks';
import { admin } from './api.js';
import {
  ConflictNote,
  Done,
  ErrorNote,
  everything,
  html,
  ListTable,
  Loaded,
  Page,
  rate,
  RateInput,
  useCanChange,
  useLoad,
  useVersionedSave,
} from './ui.js';

const FIELDS = [
  'amount',
  'adv_sub',
  'adv_sub2',
  'adv_sub3',
  'adv_sub4',
  'adv_sub5',
  'aff_sub',
  'aff_sub2',
  'aff_sub3',
  'aff_sub4',
  'aff_sub5',
  'source',
];
const OPERATORS = ['equals', 'in', 'like', '=', '<', '<=', '>', '>=', 'between'];
const NEW_RULE = () => ({
  conditions: [{ field: 'amount', operator: '>=', values: '' }],
  payout: { flat: '0', percent: '0' },
  revenue: null,
});

const describe = (rule) =>
  rule.conditions.map((c) => `${c.field} ${c.operator} ${c.values.join(', ')}`).join(' and ') +
  ' → ' +
  [rule.payout ? `payout ${rate(rule.payout)}` : '', rule.revenue ? `revenue ${rate(rule.revenue)}` : '']
    .filter(Boolean)
    .join(', ');

/** The API's rules as the form edits them (values as one comma-separated text). */
const toForm = (structure) => ({
  name: structure.name,
  rules: structure.rules.map((r) => ({
    conditions: r.conditions.map((c) => ({ ...c, values: c.values.join(', ') })),
    payout: r.payout || null,
    revenue: r.revenue || null,
  })),
});

const toBody = (form) => ({
  name: form.name,
  rules: form.rules.map((r) => ({
    conditions: r.conditions.map((c) => ({
      field: c.field,
      operator: c.operator,
      values: c.values
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    })),
    ...(r.payout ? { payout: r.payout } : {}),
    ...(r.revenue ? { revenue: r.revenue } : {}),
  })),
});

export function StructuresScreen() {
  const canChange = useCanChange();
  const list = useLoad(() => everything(admin, '/payout-structures'), []);
  const [editing, setEditing] = useState(null); // null, 'new', or a structure
  const [done, setDone] = useState('');
  return html`<${Page} title="Payout structures">
    <p class="muted">A goal that uses structures pays by the first rule, over its structures in order, whose conditions all hold; otherwise by its tiers or its own payout.</p>
    <${Loaded} state=${list} what="payout structures">${(
      items,
    ) => html`<${ListTable} id="structures" what="payout structures"
      caption="Payout structures of the network" rows=${items} rowKey=${(st) => st.structure_id}
      searchText=${(st) => `${st.structure_id} ${st.name}`} empty="No payout structures yet."
      columns=${[
        ['ID', (st) => st.structure_id, { sort: (st) => st.structure_id }],
        ['Name', (st) => st.name, { sort: (st) => st.name }],
        [
          'Rules, in order',
          (st) => html`<ol class="changes">${st.rules.map((r) => html`<li>${describe(r)}</li>`)}</ol>`,
        ],
        [
          '',
          (st) =>
            html`<span class="actions">${
              canChange
                ? html`<button type="button" class="secondary outline" aria-label=${`Edit structure ${st.name}`} onClick=${() => setEditing(st)}>Edit</button>`
                : null
            }<a href=${`#/history/structure/${st.structure_id}`}>History</a></span>`,
        ],
      ]} />`}<//>
    ${
      canChange && !editing
        ? html`<button type="button" onClick=${() => {
            setDone('');
            setEditing('new');
          }}>New payout structure</button>`
        : null
    }
    ${
      editing
        ? html`<${StructureForm} key=${editing === 'new' ? 'new' : editing.structure_id + '@' + editing.version}
        structure=${editing === 'new' ? null : editing}
        onDone=${(message) => {
          setEditing(null);
          setDone(message || '');
          list.reload();
        }} />`
        : null
    }
    <${Done} message=${done} />
  <//>`;
}

function StructureForm({ structure, onDone }) {
  const [form, setForm] = useState(structure ? toForm(structure) : { name: '', rules: [NEW_RULE()] });
  const saving = useVersionedSave(() => admin('GET', `/payout-structures/${structure.structure_id}`));
  const setRule = (index, patch) =>
    setForm({ ...form, rules: form.rules.map((r, i) => (i === index ? { ...r, ...patch } : r)) });
  const setCondition = (index, at, patch) =>
    setRule(index, { conditions: form.rules[index].conditions.map((c, j) => (j === at ? { ...c, ...patch } : c)) });
  const move = (index, by) => {
    const rules = [...form.rules];
    [rules[index], rules[index + by]] = [rules[index + by], rules[index]];
    setForm({ ...form, rules });
  };
  const submit = (versioned) =>
    saving
      .save(
        versioned,
        (latest) =>
          structure
            ? admin('PUT', `/payout-structures/${structure.structure_id}`, {
                body: toBody(form),
                version: latest.version,
              })
            : admin('POST', '/payout-structures', { body: toBody(form) }),
        structure ? 'Payout structure saved.' : 'Payout structure created.',
      )
      .then((saved) => saved && onDone(structure ? 'Payout structure saved.' : 'Payout structure created.'));
  const title = structure ? `Edit ${structure.name}` : 'New payout structure';
  return html`<form aria-labelledby="structure-form" onSubmit=${(e) => {
    e.preventDefault();
    submit(saving.conflict ? saving.conflict.latest : structure);
  }}>
    <h2 id="structure-form">${title}</h2>
    <label for="structure-name">Name <input id="structure-name" required maxlength="100" value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} /></label>
    ${form.rules.map(
      (rule, index) => html`<fieldset class="rule" key=${index}>
      <legend>Rule ${index + 1}${index === 0 ? ' (tried first)' : ''}</legend>
      ${rule.conditions.map(
        (c, at) => html`<div class="grid-form">
        <label for=${`r${index}-c${at}-field`}>Field <select id=${`r${index}-c${at}-field`} onChange=${(e) => setCondition(index, at, { field: e.target.value })}>${FIELDS.map((f) => html`<option selected=${c.field === f}>${f}</option>`)}</select></label>
        <label for=${`r${index}-c${at}-operator`}>Operator <select id=${`r${index}-c${at}-operator`} onChange=${(e) => setCondition(index, at, { operator: e.target.value })}>${OPERATORS.map((o) => html`<option selected=${c.operator === o}>${o}</option>`)}</select></label>
        <label for=${`r${index}-c${at}-values`}>Values (comma-separated) <input id=${`r${index}-c${at}-values`} required value=${c.values} onInput=${(e) => setCondition(index, at, { values: e.target.value })} /></label>
      </div>`,
      )}
      <div class="actions">
        <button type="button" class="secondary outline" onClick=${() => setRule(index, { conditions: [...rule.conditions, { field: 'adv_sub', operator: 'equals', values: '' }] })}>Add condition</button>
        ${rule.conditions.length > 1 ? html`<button type="button" class="secondary outline" onClick=${() => setRule(index, { conditions: rule.conditions.slice(0, -1) })}>Remove last condition</button>` : null}
      </div>
      <div class="grid">
        <div>
          <label for=${`r${index}-sets-payout`}><input type="checkbox" id=${`r${index}-sets-payout`} checked=${Boolean(rule.payout)} onChange=${(e) => setRule(index, { payout: e.target.checked ? { flat: '0', percent: '0' } : null })} /> Sets the payout</label>
          ${rule.payout ? html`<${RateInput} legend="Payout" idPrefix=${`r${index}-payout`} value=${rule.payout} onInput=${(v) => setRule(index, { payout: v })} />` : null}
        </div>
        <div>
          <label for=${`r${index}-sets-revenue`}><input type="checkbox" id=${`r${index}-sets-revenue`} checked=${Boolean(rule.revenue)} onChange=${(e) => setRule(index, { revenue: e.target.checked ? { flat: '0', percent: '0' } : null })} /> Sets the revenue</label>
          ${rule.revenue ? html`<${RateInput} legend="Revenue" idPrefix=${`r${index}-revenue`} value=${rule.revenue} onInput=${(v) => setRule(index, { revenue: v })} />` : null}
        </div>
      </div>
      <div class="actions">
        <button type="button" class="secondary outline" disabled=${index === 0} aria-label=${`Move rule ${index + 1} up`} onClick=${() => move(index, -1)}>Move up</button>
        <button type="button" class="secondary outline" disabled=${index === form.rules.length - 1} aria-label=${`Move rule ${index + 1} down`} onClick=${() => move(index, 1)}>Move down</button>
        ${form.rules.length > 1 ? html`<button type="button" class="secondary outline" aria-label=${`Remove rule ${index + 1}`} onClick=${() => setForm({ ...form, rules: form.rules.filter((_, i) => i !== index) })}>Remove rule</button>` : null}
      </div>
    </fieldset>`,
    )}
    <button type="button" class="secondary" onClick=${() => setForm({ ...form, rules: [...form.rules, NEW_RULE()] })}>Add rule</button>
    <${ErrorNote} error=${saving.error} />
    <${ConflictNote} conflict=${saving.conflict} onApply=${() => submit(saving.conflict.latest)} onDiscard=${() => onDone('')} />
    <div class="actions">
      <button type="submit" aria-busy=${saving.busy}>${structure ? 'Save structure' : 'Create structure'}</button>
      <button type="button" class="secondary" onClick=${() => onDone('')}>Cancel</button>
    </div>
  </form>`;
}
