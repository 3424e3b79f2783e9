// The partner's tracking link builder: a plain module (no imports), so the tests run this very
// code against the click it must agree with (tests/integration/test_partner_links.py).

/**
 * The partner's tracking link with its sub ids filled in, or why the click would refuse it:
 * ``rules`` is the click's own rule, as the partner API hands it out (link_rules), so the
 * portal never builds a link that answers 400.
 */
export function buildLink(link, subs, rules) {
  const allowed = new RegExp(`^(?:${rules.allowed})$`);
  const problems = [];
  const url = new URL(link);
  for (const [key, value] of Object.entries(subs)) {
    if (!value) continue;
    if ([...value].length > rules.max_chars) problems.push(`${key} is longer than ${rules.max_chars} characters.`);
    else if (!allowed.test(value))
      problems.push(`${key} has characters a tracking link cannot carry: control characters or < > " ' \` \\.`);
    else url.searchParams.set(key, value);
  }
  if (url.search.length - 1 > rules.max_query_chars)
    problems.push(`The link is longer than ${rules.max_query_chars} characters after its query: shorten the sub ids.`);
  return problems.length ? { problems } : { link: url.toString() };
}
