// The quality evaluation's data: a seeded generator of realistic CSL-JSON items, rendered by
// citeproc-js with the official CSL styles in styles/ (APA 7th, MLA 9th, Chicago 17th
// author-date; en-US locale), then copied with one labelled error planted per copy
// (mutations.mjs). Writes one JSON object per line:
//
//   {"style": "apa7", "item": "i0042", "source_type": "journal article", "error": "none",
//    "input": "<reference as a user would paste it>", "expected": "<the correct reference>"}
//
// `error` is "none" for the correct reference, else the error type; `expected` is what a perfect
// checker's corrected citation is (the rendered reference, or for error types whose fix needs
// data the citation lacks, the rendered reference with a "[MISSING: …]" placeholder). Italics are
// written `_x_`, as the server writes them after its HTML conversion.
//
//   node generate.mjs [--seed N] [--items N] [--out FILE] [--one-error-per-item] [--as-list]
//
// --as-list renders the items as one reference list (sorted, "2020a", "———." for repeated
// authors) instead of each on its own.
//
// By default every applicable error type is planted in its own copy of each reference; with
// --one-error-per-item, one applicable type chosen at random (the fixed slice the unit tests
// run is made that way: tests/server/checking/data/quality_slice.jsonl).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { MUTATIONS } from './mutations.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const CSL = require('citeproc');

// ---- Seeded randomness -----------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  constructor(seed) { this.next = mulberry32(seed); }
  int(lo, hi) { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  chance(p) { return this.next() < p; }
  pick(list) { return list[Math.floor(this.next() * list.length)]; }
  // `weights` maps a value to its weight.
  weighted(weights) {
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    let r = this.next() * total;
    for (const [value, weight] of Object.entries(weights)) {
      r -= weight;
      if (r < 0) return value;
    }
    return Object.keys(weights)[0];
  }
}

// ---- Vocabulary ------------------------------------------------------------------------------

const GIVEN = [
  'John', 'Mary', 'Wei', 'Aisha', 'José', 'Zoë', 'Björn', 'Jean-Paul', 'Anne-Marie', 'Søren',
  'Łukasz', 'Chloé', 'François', 'Hiroshi', 'Priya', 'Olufemi', 'Kateřina', 'Mohammed', 'Elena',
  'Rachel', 'David', 'Sarah', 'Michael', 'Laura', 'Thomas', 'Ana', 'Pedro', 'Ingrid', 'Yuki',
  'Fatima', 'Kwame', 'Siobhán', 'Dmitri', 'Emily', 'Carlos', 'Mei', 'Rahul', 'Noah', 'Lena',
  'Oscar', 'Hannah', 'Matteo', 'Amara', 'Jonas', 'Isabel', 'Tomás', 'Nadia', 'Samuel', 'Grace',
];
const MIDDLE = ['A.', 'B.', 'J.', 'M.', 'R.', 'Lee', 'Marie', 'Ann', 'Paul', 'K.', 'E.'];
const FAMILY = [
  'Smith', 'García', 'Müller', 'Nguyen', "O'Brien", 'McAllister', 'Kowalski', 'Johansson',
  'Chen', 'Patel', 'Okafor', 'Rossi', 'Dubois', 'Novák', 'Yılmaz', 'Kim', 'Haddad',
  'Fernández-López', 'Al-Sayed', 'MacDonald', 'Schmidt', 'Ivanova', 'Ng', 'Brown', 'Williams',
  'Martin', 'Tanaka', 'Silva', 'Andersen', 'Kaur', 'Mensah', 'Lopez', 'Becker', 'Hughes',
  'Sørensen', 'Wójcik', 'Davies', 'Moreau', 'Costa', 'Ahmed', 'Park', 'Fischer', 'Li', 'Evans',
];
const PARTICLE_NAMES = [
  { family: 'Berg', 'non-dropping-particle': 'van der' },
  { family: 'Meer', 'non-dropping-particle': 'van der' },
  { family: 'Dijk', 'non-dropping-particle': 'van' },
  { family: 'Silva', 'non-dropping-particle': 'da' },
  { family: 'Souza', 'non-dropping-particle': 'de' },
  { family: 'Broek', 'non-dropping-particle': 'van den' },
  { family: 'Fuente', 'non-dropping-particle': 'de la' },
  { family: 'Humboldt', 'dropping-particle': 'von' },
  { family: 'Beethoven', 'dropping-particle': 'van' },
];
const SUFFIXES = ['Jr.', 'III', 'Sr.', 'II'];
const GROUPS = [
  'World Health Organization', 'American Psychological Association',
  'National Institute of Mental Health', 'Pew Research Center', 'U.S. Census Bureau',
  'Centers for Disease Control and Prevention', 'European Commission', 'UNESCO', 'OECD',
  'Intergovernmental Panel on Climate Change', 'National Academies of Sciences',
  'Australian Bureau of Statistics', 'Food and Agriculture Organization of the United Nations',
];

const TOPICS = [
  'social media use', 'adolescent sleep', 'teacher burnout', 'urban heat islands',
  'language acquisition', 'remote work', 'gene expression', 'housing policy',
  'student motivation', 'coral reef decline', 'income inequality', 'machine translation',
  'voter turnout', 'maternal health', 'soil erosion', 'working memory', 'migrant labor',
  'public trust', 'early literacy', 'antibiotic resistance', 'water scarcity', 'peer review',
  'carbon pricing', 'chronic pain', 'citizen science', 'food insecurity', 'academic writing',
  // A second vocabulary, so that no rule is tuned to one word list.
  'vaccine hesitancy', 'wage growth', 'the gig economy', 'women’s suffrage', 'data privacy',
  'U.S. foreign policy', 'bird migration', 'opioid use', 'school choice', 'heat stress',
  'open access publishing', 'rent control', 'sea-level rise', 'dementia care', 'fake news',
];
const PLACES = [
  'Andalusia', 'Kenya', 'the United States', 'Brazil', 'New Zealand', 'Tokyo', 'Lagos',
  'the European Union', 'Latin America', 'the Amazon', 'Scotland', 'Ontario', 'Bangladesh',
  'rural India', 'South Africa', 'the Arctic', 'Mexico City', 'Norway', 'the Mediterranean',
  'Kerala', 'Chiapas', 'Valparaíso', 'the Niger Delta',
  'Ghana', 'Peru', 'the U.S. Midwest', 'Sweden', 'Bavaria', 'Quebec', 'Vietnam', 'the Sahel',
  'Appalachia', 'Sri Lanka', 'Nigeria', 'Chile',
];
const PEOPLE = ['Shakespeare', 'Darwin', 'Freud', 'Jane Austen', 'Toni Morrison', 'Kant',
                'Virginia Woolf', 'Marx', 'Simone de Beauvoir', 'Confucius',
                // Names the checker's list of proper nouns does not hold (its misses show).
                'Margaret Atwood', 'Chimamanda Ngozi Adichie', 'Octavia Butler', 'Rabindranath Tagore',
                'Dickens', 'Nietzsche', 'Foucault', 'Adam Smith', 'Hannah Arendt', 'W. E. B. Du Bois',
                'Mary Shelley', 'Ibn Khaldun'];
const ACRONYMS = ['COVID-19', 'DNA', 'fMRI', 'ADHD', 'HIV', 'NGOs', 'AI', 'GDP', 'STEM',
                  'mRNA', 'iPhone', 'YouTube', 'PTSD', 'UN', 'NATO', 'eHealth'];
const GROUPS_OF = ['adolescents', 'older adults', 'nurses', 'first-year students',
                   'small farmers', 'refugees', 'software developers', 'primary school teachers'];
const STUDY = ['longitudinal study', 'meta-analysis', 'case study', 'mixed-methods study',
               'randomized controlled trial', 'qualitative study', 'comparative analysis'];
const ADJ = ['brief', 'critical', 'global', 'cultural', 'political', 'natural', 'hidden', 'new'];

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// A title in sentence case, proper nouns and acronyms capitalised as they are written.
function makeTitle(r) {
  const topic = () => r.pick(TOPICS);
  const place = () => r.pick(PLACES);
  const templates = [
    () => `${cap(topic())} and ${topic()} among ${r.pick(GROUPS_OF)} in ${place()}`,
    () => `Does ${topic()} predict ${topic()}? Evidence from ${place()}`,
    () => `${cap(topic())}: A ${r.pick(STUDY)} of ${topic()} in ${place()}`,
    () => `Rethinking ${topic()}: ${r.pick(ACRONYMS)} and the politics of ${topic()}`,
    () => `When ${topic()} meets ${topic()}: Lessons from ${place()}`,
    () => `The effect of ${topic()} on ${topic()} during ${r.pick(['COVID-19', 'the Cold War', 'the Great Depression'])}`,
    () => `${r.pick(PEOPLE)} and the ${r.pick(ADJ)} history of ${topic()}`,
    () => `A ${r.pick(ADJ)} history of ${topic()} in ${place()}`,
    () => `Is ${topic()} worth it? Evidence from ${place()}`,
    () => `Why do ${r.pick(GROUPS_OF)} resist ${topic()}?`,
    () => `${cap(topic())} in the age of ${r.pick(ACRONYMS)}`,
    () => `${r.pick(ACRONYMS)} and ${topic()}: Reading ${r.pick(PEOPLE)} in ${place()}`,
    () => `Measuring ${topic()} with ${r.pick(ACRONYMS)} data`,
    () => `${cap(topic())} and ${topic()} (${r.int(1950, 1990)}–${r.int(1991, 2020)})`,
    () => `What explains ${topic()}? A ${r.pick(STUDY)} & review`,
    () => `${cap(topic())}, ${topic()}, and ${topic()} in ${place()}`,
    () => `The 19th-century roots of ${topic()}`,
    () => `Children’s ${topic()} in the ${r.pick(['1990s', '20th century', '21st century'])}: ${cap(r.pick(STUDY))}`,
    () => `“${cap(topic())}” and its critics: ${cap(topic())} after ${r.int(1950, 2020)}`,
    () => `${cap(r.pick(ADJ))} ${topic()} and ${topic()}—A ${r.pick(STUDY)}`,
    () => `From ${topic()} to ${topic()}: ${r.int(2, 12)} lessons for ${r.pick(GROUPS_OF)}`,
  ];
  return r.pick(templates)();
}

const JOURNALS = [
  'Journal of Applied Psychology', 'Nature Climate Change', 'PLOS ONE', 'The Lancet',
  'American Economic Review', 'Journal of Informetrics', 'Child Development',
  'Social Science & Medicine', 'BMC Public Health', 'Language Learning', 'Psychological Science',
  'Urban Studies', 'Journal of Modern History', 'Review of Economic Studies',
  'New Literary History', 'Ecology and Society', 'Journal of the Royal Society Interface',
  'Annals of Tourism Research', 'Computers in Human Behavior', 'International Journal of Nursing Studies',
  'Nature', 'Science', 'Cell', 'The American Historical Review',
  'Journal of Economic Perspectives', 'Ecology Letters', 'New England Journal of Medicine',
  'Journal of Personality and Social Psychology', 'Past & Present',
  'Environmental Research Letters', 'eLife', 'BMJ Open',
];
const PROCEEDINGS = [
  'Proceedings of the ACM Conference on Digital Libraries',
  'Proceedings of the 2019 CHI Conference on Human Factors in Computing Systems',
  'Proceedings of the Annual Meeting of the Cognitive Science Society',
  'Proceedings of the International Conference on Learning Analytics',
];
const PUBLISHERS = [
  ['Oxford University Press', 'Oxford'], ['Cambridge University Press', 'Cambridge'],
  ['Routledge', 'New York'], ['Springer', 'Cham'], ['Sage', 'Thousand Oaks, CA'],
  ['MIT Press', 'Cambridge, MA'], ['University of Chicago Press', 'Chicago'],
  ['Penguin Books', 'London'], ['Palgrave Macmillan', 'London'],
  ['Princeton University Press', 'Princeton, NJ'], ['Wiley', 'Hoboken, NJ'],
  ['Bloomsbury Academic', 'London'], ['Harvard University Press', 'Cambridge, MA'],
  ['Polity', 'Cambridge'], ['Verso', 'London'], ['Elsevier', 'Amsterdam'],
  ['Yale University Press', 'New Haven, CT'], ['Duke University Press', 'Durham, NC'],
  ['Basic Books', 'New York'], ['Beacon Press', 'Boston'], ['Zed Books', 'London'],
  ['Edward Elgar', 'Cheltenham, UK'], ['Brill', 'Leiden'], ['De Gruyter', 'Berlin'],
];
const REPORT_PUBLISHERS = [
  ['RAND Corporation', 'Santa Monica, CA'], ['World Bank', 'Washington, DC'],
  ['Brookings Institution', 'Washington, DC'], ['National Bureau of Economic Research', 'Cambridge, MA'],
];
const UNIVERSITIES = ['University of Michigan', 'Stanford University', 'University of Toronto',
                      'University of Edinburgh', 'Universidad de Chile', 'McGill University'];
const SITES = ['BBC News', 'Pew Research Center', 'Mayo Clinic', 'National Geographic',
               'The Conversation', 'Smithsonian Magazine', 'NASA Earth Observatory', 'Healthline',
  'The Guardian', 'CDC', 'Our World in Data', 'Vox', 'Scientific American', 'NPR',
];
const REPOS = ['Zenodo', 'Harvard Dataverse', 'ICPSR', 'Figshare'];

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);

// ---- Items -----------------------------------------------------------------------------------

const COMPOUND_FAMILY = ['García Márquez', 'Lloyd Webber', 'Bonham Carter', 'Ortega y Gasset',
                         'Vargas Llosa', 'Day-Lewis', 'Lévi-Strauss'];

function makePerson(r) {
  if (r.chance(0.04)) return { family: r.pick(COMPOUND_FAMILY), given: r.pick(GIVEN) };
  if (r.chance(0.1)) {
    const particle = r.pick(PARTICLE_NAMES);
    return { ...particle, given: r.pick(GIVEN) };
  }
  const person = { family: r.pick(FAMILY), given: r.pick(GIVEN) };
  if (r.chance(0.3)) person.given += ` ${r.pick(MIDDLE)}`;
  if (r.chance(0.05)) person.suffix = r.pick(SUFFIXES);
  return person;
}

function makeAuthors(r, { groupChance = 0.05 } = {}) {
  if (r.chance(groupChance)) return [{ literal: r.pick(GROUPS) }];
  const count = Number(r.weighted({ 1: 30, 2: 25, 3: 15, 4: 8, 5: 5, 6: 4, 7: 3, 8: 2, 12: 2,
                                    20: 1, 21: 1, 23: 2, 30: 1 }));
  const names = [];
  const used = new Set();
  while (names.length < count) {
    const person = makePerson(r);
    const key = `${person.family}|${person.given}`;
    if (used.has(key)) continue;
    used.add(key);
    names.push(person);
  }
  return names;
}

const year = (r) => r.int(1975, 2024);
const doi = (r, prefix) => `10.${r.int(1000, 9999)}/${prefix}.${r.int(2000, 2024)}.${r.int(100, 99999)}`;

function pageRange(r) {
  const first = r.int(1, 900);
  return `${first}-${first + r.int(2, 40)}`;
}

function makeItem(r, id, type) {
  const item = { id, title: makeTitle(r), issued: { 'date-parts': [[year(r)]] } };
  switch (type) {
    case 'journal article': {
      Object.assign(item, { type: 'article-journal', author: makeAuthors(r, { groupChance: 0.02 }),
                            'container-title': r.pick(JOURNALS), volume: String(r.int(1, 120)) });
      if (r.chance(0.8)) item.issue = String(r.int(1, 12));
      const numbering = r.next();
      if (numbering < 0.75) item.page = pageRange(r);
      else if (numbering < 0.85) item.page = `e${r.int(1000, 99999)}`;
      else if (numbering < 0.93) item.number = String(r.int(100000, 999999));  // Article number.
      if (r.chance(0.75)) item.DOI = doi(r, 'j');
      else if (r.chance(0.4)) item.URL = `https://journals.example.org/${slug(item.title)}`;
      break;
    }
    case 'book': {
      const [publisher, place] = r.pick(PUBLISHERS);
      Object.assign(item, { type: 'book', author: makeAuthors(r, { groupChance: 0.05 }).slice(0, 4),
                            publisher, 'publisher-place': place });
      if (r.chance(0.25)) item.edition = String(r.int(2, 6));
      if (r.chance(0.2)) item.DOI = doi(r, 'b');
      break;
    }
    case 'edited book': {
      const [publisher, place] = r.pick(PUBLISHERS);
      Object.assign(item, { type: 'book', editor: makeAuthors(r, { groupChance: 0 }).slice(0, 3),
                            publisher, 'publisher-place': place });
      break;
    }
    case 'book chapter': {
      const [publisher, place] = r.pick(PUBLISHERS);
      Object.assign(item, { type: 'chapter', author: makeAuthors(r, { groupChance: 0 }).slice(0, 3),
                            editor: makeAuthors(r, { groupChance: 0 }).slice(0, 3),
                            'container-title': makeTitle(r), page: pageRange(r), publisher,
                            'publisher-place': place });
      if (r.chance(0.15)) item.edition = String(r.int(2, 4));
      if (r.chance(0.25)) item.DOI = doi(r, 'c');
      break;
    }
    case 'webpage': {
      Object.assign(item, { type: 'webpage', author: makeAuthors(r, { groupChance: 0.3 }).slice(0, 2),
                            'container-title': r.pick(SITES),
                            URL: `https://www.example.org/${slug(item.title)}` });
      if (r.chance(0.7)) {
        item.issued = { 'date-parts': [[year(r), r.int(1, 12), r.int(1, 28)]] };
      } else {
        delete item.issued;
        item.accessed = { 'date-parts': [[r.int(2019, 2024), r.int(1, 12), r.int(1, 28)]] };
      }
      if (r.chance(0.15)) delete item.author;  // The title then leads the reference.
      break;
    }
    case 'report': {
      const [publisher, place] = r.pick(REPORT_PUBLISHERS);
      Object.assign(item, { type: 'report', author: makeAuthors(r, { groupChance: 0.4 }).slice(0, 3),
                            publisher, 'publisher-place': place });
      if (r.chance(0.6)) item.number = `${r.pick(['RR', 'WP', 'No.'])}-${r.int(100, 9999)}`;
      if (r.chance(0.6)) item.URL = `https://www.example.org/reports/${slug(item.title)}`;
      break;
    }
    case 'thesis': {
      Object.assign(item, { type: 'thesis', author: [makePerson(r)],
                            genre: r.pick(['Doctoral dissertation', "Master's thesis"]),
                            publisher: r.pick(UNIVERSITIES) });
      if (r.chance(0.5)) {
        item.archive = 'ProQuest Dissertations and Theses Global';
        item.number = String(r.int(10000000, 99999999));
      }
      break;
    }
    case 'conference paper': {
      Object.assign(item, { type: 'paper-conference', author: makeAuthors(r, { groupChance: 0 }).slice(0, 6),
                            'container-title': r.pick(PROCEEDINGS), page: pageRange(r),
                            publisher: r.pick(['ACM', 'IEEE', 'Cognitive Science Society']) });
      if (r.chance(0.7)) item.DOI = doi(r, 'p');
      break;
    }
    case 'dataset': {
      Object.assign(item, { type: 'dataset', author: makeAuthors(r, { groupChance: 0.2 }).slice(0, 3),
                            publisher: r.pick(REPOS), DOI: doi(r, 'd') });
      break;
    }
    case 'software': {
      Object.assign(item, { type: 'software', author: makeAuthors(r, { groupChance: 0.1 }).slice(0, 3),
                            title: `${r.pick(['Tidy', 'Quick', 'Open'])}${r.pick(['Cite', 'Stats', 'Map'])}`,
                            version: `${r.int(1, 5)}.${r.int(0, 9)}`, publisher: 'GitHub',
                            URL: `https://github.com/example/tool${r.int(1, 999)}` });
      break;
    }
    default:
      throw new Error(`unknown type ${type}`);
  }
  return item;
}

const TYPE_WEIGHTS = {
  'journal article': 34, book: 14, 'edited book': 6, 'book chapter': 13, webpage: 12, report: 7,
  thesis: 5, 'conference paper': 5, dataset: 2, software: 2,
};

// ---- Rendering -------------------------------------------------------------------------------

export const STYLES = {
  apa7: 'apa.csl',
  mla9: 'modern-language-association.csl',
  chicago17: 'chicago-author-date.csl',
};

function decodeEntities(text) {
  return text.replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

// citeproc's HTML entry → the markdown the server works on (what ParseCitationHtml produces).
export function htmlToMarkdown(html) {
  const text = html.replace(/<\/?(i|em)>/g, '_').replace(/<\/?(b|strong)>/g, '**')
    .replace(/<[^>]+>/g, '');
  return decodeEntities(text).replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();
}

function makeRenderer(styleFile, items) {
  const locale = readFileSync(join(here, 'styles/locales-en-US.xml'), 'utf8');
  const style = readFileSync(join(here, 'styles', styleFile), 'utf8');
  const sys = { retrieveLocale: () => locale, retrieveItem: (id) => items.get(id) };
  const engine = new CSL.Engine(sys, style, 'en-US');
  // One item at a time: each reference is rendered alone, as if it were the only entry (no
  // year suffixes or repeated-author dashes from its neighbours).
  return (id) => {
    engine.updateItems([id]);
    const [, entries] = engine.makeBibliography();
    return htmlToMarkdown(entries[0]);
  };
}

// All items as one reference list: sorted, with year suffixes ("2020a") and the style's
// repeated-author dashes ("———.") where neighbours call for them. Returns id → reference.
function renderList(styleFile, items) {
  const locale = readFileSync(join(here, 'styles/locales-en-US.xml'), 'utf8');
  const style = readFileSync(join(here, 'styles', styleFile), 'utf8');
  const sys = { retrieveLocale: () => locale, retrieveItem: (id) => items.get(id) };
  const engine = new CSL.Engine(sys, style, 'en-US');
  engine.updateItems([...items.keys()]);
  const [params, entries] = engine.makeBibliography();
  const rendered = new Map();
  params.entry_ids.forEach((ids, i) => rendered.set(ids[0], htmlToMarkdown(entries[i])));
  return rendered;
}

// ---- Main ------------------------------------------------------------------------------------

function parseArgs(argv) {
  const args = { seed: 20261204, items: 400, out: join(here, 'data/eval.jsonl'), one: false,
                 list: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--one-error-per-item' || flag === '--as-list') {
      args[flag === '--as-list' ? 'list' : 'one'] = true;
      --i;
      continue;
    }
    if (flag === '--seed') args.seed = Number(value);
    else if (flag === '--items') args.items = Number(value);
    else if (flag === '--out') args.out = value;
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const r = new Random(args.seed);
  const items = new Map();
  const kinds = new Map();
  for (let n = 0; n < args.items; ++n) {
    const id = `i${String(n).padStart(4, '0')}`;
    const kind = r.weighted(TYPE_WEIGHTS);
    items.set(id, makeItem(r, id, kind));
    kinds.set(id, kind);
  }
  const lines = [];
  const counts = {};
  for (const [style, file] of Object.entries(STYLES)) {
    const listed = args.list ? renderList(file, items) : null;
    const render = listed ? (id) => listed.get(id) : makeRenderer(file, items);
    for (const [id, item] of items) {
      const kind = kinds.get(id);
      if (kind === 'software' && style !== 'apa7') continue;  // Only APA has rules for software.
      const correct = render(id);
      const base = { style, item: id, source_type: kind };
      lines.push({ ...base, error: 'none', input: correct, expected: correct });
      counts[style] = (counts[style] || 0) + 1;
      const copies = [];
      for (const mutation of MUTATIONS[style]) {
        const planted = mutation.apply({ text: correct, item, kind, rng: r });
        if (planted === null || planted.input === correct) continue;
        copies.push({ ...base, error: mutation.name, input: planted.input,
                      expected: planted.expected ?? correct });
      }
      if (args.one && copies.length > 0) lines.push(r.pick(copies));
      else if (!args.one) lines.push(...copies);
    }
  }
  writeFileSync(args.out, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  console.error(`wrote ${lines.length} cases to ${args.out} (references per style: ` +
                `${JSON.stringify(counts)})`);
}

main();
