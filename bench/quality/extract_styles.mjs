// Copies the official CSL styles and the en-US locale out of the npm packages that ship them
// into styles/ (committed as test data, CC BY-SA 3.0; see styles/README.md), and checks that
// each style's <info><title> names the edition the evaluation is about.
//
//   node extract_styles.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const cslPlugin = dirname(require.resolve('@citation-js/plugin-csl/package.json'));
const rehype = join(here, 'node_modules', 'rehype-citation');
const styles = JSON.parse(readFileSync(join(cslPlugin, 'lib/styles.json'), 'utf8'));
const locales = JSON.parse(readFileSync(join(cslPlugin, 'lib/locales.json'), 'utf8'));
const fromModule = async (file) =>
  (await import(pathToFileURL(join(rehype, 'dist/node/styles', file)).href)).default;

const files = [
  ['apa.csl', styles.apa, 'APA Style 7th edition'],
  ['modern-language-association.csl', await fromModule('mla.js'),
   'Modern Language Association 9th edition'],
  ['chicago-author-date.csl', await fromModule('chicago.js'),
   'Chicago Manual of Style 17th edition (author-date)'],
  ['locales-en-US.xml', locales['en-US'], null],
];
for (const [name, xml, title] of files) {
  if (title !== null) {
    const found = /<info>\s*<title>([^<]*)<\/title>/.exec(xml);
    if (!found || found[1] !== title) {
      throw new Error(`${name}: <info><title> is "${found && found[1]}", expected "${title}"`);
    }
  }
  if (!xml.includes('creativecommons.org/licenses/by-sa/3.0')) {
    throw new Error(`${name}: no CC BY-SA 3.0 rights statement`);
  }
  writeFileSync(join(here, 'styles', name), xml);
  console.log(`styles/${name}${title ? `: ${title}` : ''}`);
}
