// The labelled errors the evaluation plants, per style. Each mutation takes the correct rendered
// reference ({text, item, kind}) and returns {input, expected?} — the reference with one error,
// and (only when the fix needs data the reference lacks) the correction a perfect checker gives —
// or null when the error does not apply to that reference. Every type is an error by its
// style's manual; `fixable: false` marks the types whose exact correction needs a placeholder.

const MINOR = new Set(['a', 'an', 'the', 'and', 'but', 'or', 'nor', 'for', 'of', 'in', 'on',
                       'at', 'to', 'by', 'with', 'from', 'as', 'among', 'during']);

// A sentence-case title written in Title Case, the way people mistype APA titles.
function toTitleCase(title) {
  let start = true;
  return title.split(' ').map((word) => {
    const keep = /[A-Z]/.test(word.slice(1));  // "iPhone", "COVID-19": written on purpose.
    const out = !keep && (start || !MINOR.has(word.toLowerCase()))
      ? word.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('-')
      : word;
    start = /[:?!]$/.test(word);
    return out;
  }).join(' ');
}

const replaceOnce = (text, from, to) => {
  const at = text.indexOf(from);
  return at < 0 ? null : text.slice(0, at) + to + text.slice(at + from.length);
};
const persons = (item) => item.author || item.editor || [];
const isPerson = (name) => name && name.family && name.given;
const firstYear = (item) => item.issued && item.issued['date-parts'][0].length === 1
  ? String(item.issued['date-parts'][0][0]) : null;
// The surname as citeproc prints it (particle first or not; typographic apostrophe).
const rendered = (name, ndpFirst) => `${name['non-dropping-particle'] && ndpFirst ? `${name['non-dropping-particle']} ` : ''}${name.family}`.replace(/'/g, '’');
const result = (input, expected) => (input === null ? null : { input, expected });

// APA initials as citeproc writes them: "John A." → "J. A.", "Jean-Paul" → "J.-P.".
function apaInitials(given) {
  return given.split(' ').map((word) => word.split('-')
    .map((part) => `${[...part][0]}.`).join('-')).join(' ');
}
const apaName = (name) => (name.literal ? name.literal
  : `${rendered(name, true)}, ${apaInitials(name.given)}` +
    `${name['dropping-particle'] ? ` ${name['dropping-particle']}` : ''}${name.suffix ? `, ${name.suffix}` : ''}`);

// The item's page range as the style rendered it: "101–115" (APA) or "101–15" (MLA,
// Chicago); not a range of years in a title.
const renderedRange = (text, item) => {
  const first = item && item.page && /^(\d+)-/.exec(item.page);
  if (!first) return null;
  const match = [...text.matchAll(/(\d+)–(\d+)/g)].filter((m) => m[1] === first[1]).pop();
  return match ? match[0] : null;
};

// Where the author list ends in an APA reference: at " (" of the date.
function apaAuthorEnd(text) {
  const match = / \((\d{4}[a-z]?|n\.d\.)(, [A-Z][a-z]+( \d{1,2})?)?\)\./.exec(text);
  return match ? match.index : -1;
}
const inAuthors = (text, end, from, to) => {
  if (end < 0) return null;
  const fixed = replaceOnce(text.slice(0, end), from, to);
  return fixed === null ? null : fixed + text.slice(end);
};

// Where the author list ends in an MLA or Chicago reference: before the title (or year).
function authorEnd(text) {
  const candidates = [text.indexOf('. “'), text.indexOf('. _'), text.search(/\. (\d{4}|n\.d\.)\. /)]
    .filter((i) => i > 0);
  return candidates.length ? Math.min(...candidates) : -1;
}

const common = {
  doiDx: (prefix) => ({
    name: `${prefix}-doi-dx`, fixable: true,
    apply: ({ text, item }) => (item.DOI ? result(replaceOnce(text, 'https://doi.org/', 'http://dx.doi.org/')) : null),
  }),
  noCommaBeforeAnd: (prefix) => ({
    name: `${prefix}-no-comma-before-and`, fixable: true,
    apply: ({ text, item }) => {
      if (persons(item).filter(isPerson).length < 2) return null;
      const end = authorEnd(text);
      if (end < 0) return null;
      const authors = text.slice(0, end);
      const at = authors.lastIndexOf(', and ');
      if (at < 0 || authors.includes(', editor')) return null;
      return result(authors.slice(0, at) + authors.slice(at + 1) + text.slice(end));
    },
  }),
  doiLabel: (prefix) => ({
    name: `${prefix}-doi-label`, fixable: true,
    apply: ({ text, item }) => (item.DOI ? result(replaceOnce(text, 'https://doi.org/', 'doi:')) : null),
  }),
  pageHyphen: (prefix, kinds) => ({
    name: `${prefix}-page-hyphen`, fixable: true,
    apply: ({ text, item, kind }) => {
      const range = renderedRange(text, item);
      if (!kinds.includes(kind) || !range) return null;
      return result(replaceOnce(text, range, range.replace('–', '-')));
    },
  }),
  titleNotItalic: (prefix, kinds) => ({
    name: `${prefix}-book-title-not-italic`, fixable: true,
    apply: ({ text, item, kind }) => {
      if (!kinds.includes(kind)) return null;
      const at = text.indexOf('_');
      const close = text.indexOf('_', at + 1);
      if (at < 0 || close < 0) return null;
      const italic = text.slice(at + 1, close);
      if (italic.toLowerCase() !== item.title.toLowerCase()) return null;
      return result(text.slice(0, at) + italic + text.slice(close + 1));
    },
  }),
  containerNotItalic: (prefix, kinds) => ({
    name: `${prefix}-container-not-italic`, fixable: true,
    apply: ({ text, item, kind }) => {
      if (!kinds.includes(kind) || !item['container-title']) return null;
      const italic = [...text.matchAll(/_([^_]+)_/g)].find(
        (m) => m[1].toLowerCase() === item['container-title'].toLowerCase());
      return italic ? result(replaceOnce(text, italic[0], italic[1])) : null;
    },
  }),
  // MLA and Chicago: the title-cased title written in sentence case.
  titleSentenceCase: (prefix) => ({
    name: `${prefix}-title-sentence-case`, fixable: true,
    apply: ({ text, item }) => {
      const match = /“([^”]+?)[.,]?”|_([^_]+)_/.exec(text);
      if (!match) return null;
      const shown = match[1] || match[2];
      if (shown.toLowerCase() !== item.title.toLowerCase() || shown === item.title) return null;
      return result(replaceOnce(text, shown, item.title));
    },
  }),
  titleNotQuoted: (prefix, kinds) => ({
    name: `${prefix}-title-not-quoted`, fixable: true,
    apply: ({ text, kind }) => {
      if (!kinds.includes(kind)) return null;
      const match = /“([^”]+)”/.exec(text);
      return match ? result(replaceOnce(text, match[0], match[1])) : null;
    },
  }),
  firstAuthorNotInverted: (prefix, ndpFirst) => ({
    name: `${prefix}-first-author-not-inverted`, fixable: true,
    apply: ({ text, item }) => {
      const first = persons(item)[0];
      if (!isPerson(first) || first.suffix || first['dropping-particle']) return null;
      const surname = rendered(first, ndpFirst);
      const trailingParticle = !ndpFirst && first['non-dropping-particle']
        ? ` ${first['non-dropping-particle']}` : '';
      const inverted = `${surname}, ${first.given}${trailingParticle}`;
      if (!text.startsWith(inverted)) return null;
      // "Haddad, Ingrid M. _Title_": the period of the initial also ends the author element.
      const rest = text.slice(inverted.length);
      const period = inverted.endsWith('.') && /^ [^,]/.test(rest) ? '.' : '';
      return result(`${first.given} ${rendered(first, true)}${period}${rest}`);
    },
  }),
  ampersandForAnd: (prefix) => ({
    name: `${prefix}-ampersand`, fixable: true,
    apply: ({ text, item }) => {
      if (persons(item).filter(isPerson).length < 2) return null;  // "Control and Prevention".
      const end = authorEnd(text);
      if (end < 0) return null;
      const authors = text.slice(0, end);
      const at = authors.lastIndexOf(' and ');
      if (at < 0 || authors.includes(', editor')) return null;
      const comma = authors[at - 1] === ',' ? 1 : 0;
      return result(authors.slice(0, at - comma) + ' & ' + authors.slice(at + 5) + text.slice(end));
    },
  }),
};

const APA = [
  { name: 'apa7-and-for-ampersand', fixable: true,
    apply: ({ text }) => result(inAuthors(text, apaAuthorEnd(text), ', & ', ', and ')) },
  { name: 'apa7-no-comma-before-ampersand', fixable: true,
    apply: ({ text }) => result(inAuthors(text, apaAuthorEnd(text), ', & ', ' & ')) },
  { name: 'apa7-full-given-names', fixable: true,
    apply: ({ text, item }) => {
      const first = persons(item)[0];
      if (!isPerson(first) || !/[a-z]{2}/.test(first.given) || item.editor && !item.author) return null;
      const written = apaName(first);
      if (!text.startsWith(written)) return null;
      const particle = first['dropping-particle'] ? ` ${first['dropping-particle']}` : '';
      const full = `${rendered(first, true)}, ${first.given}${particle}${first.suffix ? `, ${first.suffix}` : ''}`;
      return result(full + text.slice(written.length));
    } },
  { name: 'apa7-year-without-parentheses', fixable: true,
    apply: ({ text }) => {
      const end = apaAuthorEnd(text);
      if (end < 0) return null;
      const close = text.indexOf(').', end);
      return result(`${text.slice(0, end + 1)}${text.slice(end + 2, close)}${text.slice(close + 1)}`);
    } },
  { name: 'apa7-title-in-title-case', fixable: true,
    apply: ({ text, item }) => {
      const titled = toTitleCase(item.title);
      if (titled === item.title || !text.includes(item.title)) return null;
      return result(replaceOnce(text, item.title, titled));
    } },
  common.containerNotItalic('apa7', ['journal article', 'conference paper']),
  { name: 'apa7-volume-not-italic', fixable: true,
    apply: ({ text, item, kind }) => (kind === 'journal article'
      ? result(replaceOnce(text, `, _${item.volume}_`, `, ${item.volume}`)) : null) },
  common.pageHyphen('apa7', ['journal article', 'book chapter', 'conference paper']),
  common.doiLabel('apa7'),
  { name: 'apa7-period-after-link', fixable: true,
    apply: ({ text }) => (/(https?:\/\/\S+)$/.test(text) ? result(`${text}.`) : null) },
  { name: 'apa7-retrieved-from', fixable: true,
    apply: ({ text, kind }) => {
      if (kind !== 'webpage' || text.includes('Retrieved')) return null;
      const at = text.lastIndexOf(' https://');
      return at < 0 ? null : result(`${text.slice(0, at)} Retrieved from${text.slice(at)}`);
    } },
  { name: 'apa7-place-of-publication', fixable: true,
    apply: ({ text, item, kind }) => {
      if (!['book', 'edited book', 'book chapter', 'report'].includes(kind)) return null;
      if (!item['publisher-place'] || !text.includes(` ${item.publisher}.`)) return null;
      return result(replaceOnce(text, ` ${item.publisher}.`, ` ${item['publisher-place']}: ${item.publisher}.`));
    } },
  common.titleNotItalic('apa7', ['book', 'edited book', 'report']),
  { name: 'apa7-edition-inside-italics', fixable: true,
    apply: ({ text, kind }) => {
      if (kind !== 'book') return null;
      const match = /_([^_]+)_ \((\d+(st|nd|rd|th) ed\.)\)/.exec(text);
      return match ? result(replaceOnce(text, match[0], `_${match[1]} (${match[2]})_`)) : null;
    } },
  common.doiDx('apa7'),
  { name: 'apa7-initials-without-periods', fixable: true,
    apply: ({ text, item }) => {
      const first = persons(item)[0];
      if (!isPerson(first) || item.editor && !item.author) return null;
      const written = apaName(first);
      if (!text.startsWith(written) || first.suffix || first['dropping-particle']) return null;
      const bare = apaInitials(first.given).replace(/[.\s]/g, '');
      if (bare.includes('-')) return null;
      return result(`${rendered(first, true)}, ${bare}${text.slice(written.length)}`);
    } },
  { name: 'apa7-issue-italic', fixable: true,
    apply: ({ text, item, kind }) => (kind === 'journal article' && item.issue
      ? result(replaceOnce(text, `_${item.volume}_(${item.issue})`, `_${item.volume}(${item.issue})_`)) : null) },
  { name: 'apa7-all-authors-listed', fixable: true,
    apply: ({ text, item }) => {
      const names = item.author || [];
      const at = text.indexOf(', … ');
      if (names.length < 21 || at < 0) return null;
      let all = names.slice(0, -1).map(apaName).join(', ') + `, & ${apaName(names[names.length - 1])}`;
      if (!all.endsWith('.')) all += '.';  // "…, & Beethoven, H. van." ends the element.
      return result(all + text.slice(apaAuthorEnd(text)));
    } },
];

const MLA = [
  common.firstAuthorNotInverted('mla9', true),
  common.ampersandForAnd('mla9'),
  { name: 'mla9-all-authors-listed', fixable: true,
    apply: ({ text, item }) => {
      const names = item.author || [];
      if (names.length < 3 || names.length > 6 || !names.every(isPerson)) return null;
      const first = names[0];
      const lead = `${rendered(first, true)}, ${first.given}${first.suffix ? `, ${first.suffix}` : ''}, et al.`;
      if (!text.startsWith(lead)) return null;
      const given = (n) => `${n.given} ${n['dropping-particle'] ? `${n['dropping-particle']} ` : ''}${rendered(n, true)}${n.suffix ? ` ${n.suffix}` : ''}`;
      const rest = names.slice(1, -1).map(given).join(', ');
      const last = given(names[names.length - 1]);
      const listed = `${lead.slice(0, -', et al.'.length)}, ${rest}, and ${last}${last.endsWith('.') ? '' : '.'}`;
      return result(listed + text.slice(lead.length));
    } },
  common.titleNotQuoted('mla9', ['journal article', 'book chapter', 'webpage', 'conference paper']),
  common.titleSentenceCase('mla9'),
  common.containerNotItalic('mla9', ['journal article', 'book chapter', 'webpage', 'conference paper']),
  { name: 'mla9-volume-issue-unlabelled', fixable: true,
    apply: ({ text, kind }) => {
      if (kind !== 'journal article') return null;
      const match = /vol\. (\d+)(, no\. (\d+))?,/.exec(text);
      if (!match) return null;
      return result(replaceOnce(text, match[0], match[3] ? `${match[1]}(${match[3]}),` : `${match[1]},`));
    } },
  { name: 'mla9-pages-unlabelled', fixable: true,
    apply: ({ text }) => {
      const match = /, (pp?\. )(e?\d+(–\d+)?)/.exec(text);
      return match ? result(replaceOnce(text, match[0], `, ${match[2]}`)) : null;
    } },
  common.doiLabel('mla9'),
  { name: 'mla9-year-after-authors', fixable: true,
    apply: ({ text, item, kind }) => {
      const y = firstYear(item);
      if (!y || kind === 'webpage') return null;
      const end = authorEnd(text);
      const at = text.indexOf(`, ${y}`, end);
      if (end < 0 || at < 0) return null;
      const without = text.slice(0, at) + text.slice(at + y.length + 2);
      return result(`${without.slice(0, end)}. ${y}${without.slice(end)}`);
    } },
  common.titleNotItalic('mla9', ['book', 'edited book', 'report', 'thesis', 'dataset']),
  { name: 'mla9-period-outside-quotes', fixable: true,
    apply: ({ text }) => result(replaceOnce(text, '.” ', '”. ')) },
  { name: 'mla9-missing-final-period', fixable: true,
    apply: ({ text }) => (text.endsWith('.') ? result(text.slice(0, -1)) : null) },
  common.noCommaBeforeAnd('mla9'),
  { name: 'mla9-volume-label-capitalised', fixable: true,
    apply: ({ text, kind }) => (kind === 'journal article' ? result(replaceOnce(text, ', vol. ', ', Vol. ')) : null) },
  { name: 'mla9-editor-abbreviated', fixable: true,
    apply: ({ text, kind }) => {
      if (kind !== 'edited book') return null;
      return result(replaceOnce(text, ', editors.', ' (Eds.).') ?? replaceOnce(text, ', editor.', ' (Ed.).'));
    } },
];

const CHICAGO = [
  common.firstAuthorNotInverted('chicago17', false),
  common.ampersandForAnd('chicago17'),
  { name: 'chicago17-year-in-parentheses', fixable: true,
    apply: ({ text }) => {
      const match = /\. (\d{4}[a-z]?|n\.d\.)\. /.exec(text);
      return match ? result(replaceOnce(text, match[0], `. (${match[1]}). `)) : null;
    } },
  { name: 'chicago17-year-after-publisher', fixable: true,
    apply: ({ text, item, kind }) => {
      const y = firstYear(item);
      if (!y || !['book', 'edited book', 'book chapter'].includes(kind)) return null;
      const publisher = `: ${item.publisher}.`;
      if (!text.includes(publisher)) return null;
      const moved = replaceOnce(text, `. ${y}. `, '. ');
      return result(moved && replaceOnce(moved, publisher, `: ${item.publisher}, ${y}.`));
    } },
  { name: 'chicago17-year-after-pages', fixable: true,
    apply: ({ text, item, kind }) => {
      const y = firstYear(item);
      const range = renderedRange(text, item);
      if (!y || kind !== 'journal article' || !range) return null;
      const moved = replaceOnce(text, `. ${y}. `, '. ');
      return result(moved && replaceOnce(moved, `: ${range}`, `: ${range}, ${y}`));
    } },
  common.titleNotQuoted('chicago17', ['journal article', 'book chapter', 'webpage', 'conference paper']),
  common.titleSentenceCase('chicago17'),
  common.containerNotItalic('chicago17', ['journal article']),
  common.titleNotItalic('chicago17', ['book', 'edited book']),
  { name: 'chicago17-place-missing', fixable: false,
    apply: ({ text, item, kind }) => {
      if (!['book', 'edited book', 'book chapter'].includes(kind)) return null;
      const written = `${item['publisher-place']}: ${item.publisher}`;
      if (!text.includes(written)) return null;
      return result(replaceOnce(text, written, item.publisher),
                    replaceOnce(text, written, `[MISSING: place]: ${item.publisher}`));
    } },
  common.pageHyphen('chicago17', ['journal article', 'book chapter', 'conference paper']),
  common.doiLabel('chicago17'),
  common.doiDx('chicago17'),
  common.noCommaBeforeAnd('chicago17'),
  { name: 'chicago17-pp-before-pages', fixable: true,
    apply: ({ text, item, kind }) => {
      const range = renderedRange(text, item);
      if (kind !== 'journal article' || !range) return null;
      return result(replaceOnce(text, `: ${range}`, `: pp. ${range}`));
    } },
];

export const MUTATIONS = { apa7: APA, mla9: MLA, chicago17: CHICAGO };
