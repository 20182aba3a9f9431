// The public API report: every export of the root and /otel entry points, with its kind and
// signature, read from TypeDoc's JSON (reports/api/api.json, written by `npx typedoc`). The report
// is checked in (docs/api-report.md) so that a change to the surface shows in review:
//   node scripts/api-report.mjs          writes docs/api-report.md
//   node scripts/api-report.mjs --check  fails, naming the command, when it differs from the build
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportFile = path.join(root, 'docs', 'api-report.md');
const KIND = { 8: 'enum', 32: 'const', 64: 'function', 128: 'class', 256: 'interface', 2097152: 'type' };

/** A TypeDoc type as TypeScript would write it (short: object literals by their keys). */
function typeText(type) {
  if (type === undefined) return 'unknown';
  switch (type.type) {
    case 'intrinsic':
      return type.name;
    case 'literal':
      return type.value === null ? 'null' : JSON.stringify(type.value);
    case 'reference': {
      const args = type.typeArguments?.length ? `<${type.typeArguments.map(typeText).join(', ')}>` : '';
      return `${type.name}${args}`;
    }
    case 'array':
      return `${wrap(type.elementType)}[]`;
    case 'union':
      return type.types.map(typeText).join(' | ');
    case 'intersection':
      return type.types.map(wrap).join(' & ');
    case 'tuple':
      return `[${(type.elements ?? []).map(typeText).join(', ')}]`;
    case 'reflection':
      return reflectionText(type.declaration);
    case 'typeOperator':
      return `${type.operator} ${typeText(type.target)}`;
    case 'indexedAccess':
      return `${typeText(type.objectType)}[${typeText(type.indexType)}]`;
    case 'query':
      return `typeof ${typeText(type.queryType)}`;
    case 'templateLiteral':
      return 'string';
    default:
      return type.type;
  }
}

const wrap = (type) => (type.type === 'union' || type.type === 'reflection' ? `(${typeText(type)})` : typeText(type));

function reflectionText(declaration) {
  if (declaration?.signatures?.length) return declaration.signatures.map(signatureText).join(' | ');
  const keys = (declaration?.children ?? []).map((child) => `${child.name}${child.flags?.isOptional ? '?' : ''}`);
  return `{ ${keys.join('; ')} }`;
}

function paramsText(signature) {
  const params = (signature.parameters ?? []).map(
    (p) => `${p.flags?.isRest ? '...' : ''}${p.name}${p.flags?.isOptional ? '?' : ''}: ${typeText(p.type)}`,
  );
  return `(${params.join(', ')})`;
}

const signatureText = (signature) => `${paramsText(signature)} => ${typeText(signature.type)}`;

/** The lines of one export. */
function describe(item) {
  const kind = KIND[item.kind] ?? `kind ${item.kind}`;
  if (item.signatures)
    return item.signatures.map(
      (signature) => `- ${kind} \`${item.name}${paramsText(signature)}: ${typeText(signature.type)}\``,
    );
  if (item.kind === 2097152) return [`- ${kind} \`${item.name} = ${typeText(item.type)}\``];
  if (item.kind === 32) return [`- ${kind} \`${item.name}: ${typeText(item.type)}\``];
  const members = (item.children ?? [])
    .filter((child) => !child.flags?.isPrivate && !child.flags?.isProtected && child.inheritedFrom === undefined)
    .map((child) => {
      const static_ = child.flags?.isStatic ? 'static ' : '';
      const optional = child.flags?.isOptional ? '?' : '';
      const text = child.signatures
        ? child.signatures.map(signatureText).join(' | ')
        : typeText(child.type ?? child.getSignature?.type);
      return `  - ${static_}\`${child.name}${optional}: ${text}\``;
    });
  const heritage = item.extendedTypes?.length ? ` extends ${item.extendedTypes.map(typeText).join(', ')}` : '';
  return [`- ${kind} \`${item.name}\`${heritage}`, ...members];
}

function render() {
  const api = JSON.parse(readFileSync(path.join(root, 'reports', 'api', 'api.json'), 'utf8'));
  const entries = { src: '`temporal-lambda-worker`', otel: '`temporal-lambda-worker/otel`' };
  const ordered = [...api.children].sort(
    (a, b) => Object.keys(entries).indexOf(a.name) - Object.keys(entries).indexOf(b.name),
  );
  const sections = ordered.map((entry) => {
    const items = [...(entry.children ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    const values = items.filter((item) => [32, 64, 128, 8].includes(item.kind)).length;
    const header = `## ${entries[entry.name] ?? entry.name}: ${values} values, ${items.length - values} types`;
    return [header, '', ...items.flatMap(describe), ''].join('\n');
  });
  return [
    '# Public API report',
    '',
    'Written by `npm run api` (TypeDoc, then `scripts/api-report.mjs`) from the TSDoc of the entry points;',
    '`npm test` fails when the code and this file differ. Do not edit by hand.',
    '',
    ...sections,
  ].join('\n');
}

const report = render();
if (process.argv.includes('--check')) {
  const checkedIn = readFileSync(reportFile, 'utf8');
  if (checkedIn !== report) {
    process.stderr.write(
      'The public API differs from docs/api-report.md. If the change is meant, run `npm run api:update` and commit the report.\n',
    );
    process.exit(1);
  }
  process.stdout.write('Public API matches docs/api-report.md.\n');
} else {
  writeFileSync(reportFile, report);
  process.stdout.write(`Wrote ${path.relative(root, reportFile)}.\n`);
}
