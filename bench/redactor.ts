/**
 * The redactor on 1 MB of command output with 10 secrets: before (plain values only, the redactor
 * of 0.1) and after (every encoding, across line breaks). It runs on every event and tool result,
 * so this is a cost every step pays. Run `npm run build` first, then
 * `./node_modules/.bin/node bench/redactor.ts [MB]`.
 *
 * The text is real: Airflow task logs and a GitHub webhook payload from ../shared/realdata,
 * repeated. Cases: no secret in the text (the common one), the secrets planted in several forms,
 * text full of `%XX` escapes (which adds a second, decoded view), and an event-sized payload of
 * many short strings (per-call overhead).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Redactor } from '../dist/secrets/index.js';

const megabytes = Number(process.argv[2] ?? 1);
const runs = 9;
const realdata = path.resolve(
  process.env.AGENTRY_REALDATA ?? path.join(import.meta.dirname, '../../shared/realdata'),
);
const sources = [
  'airflow_logs/kanton-bern_hellodata-be/k8s_pod_operator_connection_refused.log',
  'airflow_logs/kanton-bern_hellodata-be/k8s_pod_operator_startup_timeout.log',
  'octokit_webhooks/payload-examples/api.github.com/push/payload.json',
].map((file) => path.join(realdata, file));

const secrets = Array.from({ length: 10 }, (_, index) => ({
  name: `SECRET_${index}`,
  // Shapes of real credentials: API keys, tokens, passwords with punctuation.
  value: [
    `sk-proj-${index}4fQ2pLx9TzR8vW1nB7yK3mD6`,
    `xoxb-12345678${index}-0987654321-AbCdEfGhIjKlMnOp`,
    `ghp_16C7e42F292c6912E7710c838347Ae178B4${index}`,
    `p@ss/w0rd+${index}!`,
  ][index % 4]!,
}));

const base = sources.every(existsSync)
  ? sources.map((file) => readFileSync(file, 'utf8')).join('\n')
  : 'INFO - Task started\nWARNING - Pod not yet started: pending\n'.repeat(40);
const size = megabytes * 1024 * 1024;
const plain = base.repeat(Math.ceil(size / base.length)).slice(0, size);

// The secrets in the forms a model or command writes them, spread through the text.
const planted = (() => {
  const forms = secrets.flatMap(({ value }) => [
    value,
    Buffer.from(`TOKEN=${value}\n`)
      .toString('base64')
      .replace(/.{1,76}/g, '$&\n'),
    Buffer.from(value).toString('hex'),
    encodeURIComponent(value),
    [...value].reverse().join(''),
  ]);
  const lines = plain.split('\n');
  forms.forEach((form, index) => {
    const at = Math.floor(((index + 1) * lines.length) / (forms.length + 1));
    lines[at] = `${lines[at]} ${form}`;
  });
  return lines.join('\n');
})();
const escaped = encodeURIComponent(plain).slice(0, size);
const event = {
  step: 3,
  tool: 'run_terminal_command',
  output: Array.from({ length: 400 }, (_, index) => ({ line: index, text: `row ${index}: ok`, tag: 'INFO' })),
};

/** The redactor as it was before encodings: each plain value, replaced where it occurs. */
function legacyRedactor(known: { name: string; value: string }[]) {
  const longestFirst = [...known].sort((a, b) => b.value.length - a.value.length);
  return (text: string) => {
    let result = text;
    for (const { name, value } of longestFirst) {
      if (result.includes(value)) result = result.split(value).join(`[REDACTED:${name}]`);
    }
    return result;
  };
}
const before = legacyRedactor(secrets);
function beforeDeep(value: unknown): unknown {
  if (typeof value === 'string') return before(value);
  if (Array.isArray(value)) return value.map(beforeDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [before(key), beforeDeep(item)]));
  }
  return value;
}

const redactor = new Redactor(secrets);
const masks = (value: unknown) => JSON.stringify(value).split('[REDACTED:').length - 1;
const textCase = (name: string, text: string, old = before, current = redactor) => ({
  name,
  megabytes: text.length / 1024 / 1024,
  before: () => old(text),
  after: () => current.redactText(text),
});
// The worst case found: a periodic secret in a text made of it matches at every character.
const weak = [{ name: 'WEAK', value: 'aaaaaa' }];
const cases = [
  textCase('1 MB output, no secret', plain),
  textCase('1 MB output, 10 secrets × 5 forms', planted),
  textCase('1 MB of %XX escapes, no secret', escaped),
  textCase(
    "1 MB of 'a', secret 'aaaaaa' (worst case)",
    'a'.repeat(size),
    legacyRedactor(weak),
    new Redactor(weak),
  ),
  {
    name: 'event, 1,200 short strings',
    megabytes: 0,
    before: () => beforeDeep(event),
    after: () => redactor.redact(event),
  },
];

console.log(
  `${(plain.length / 1024 / 1024).toFixed(1)} MB of text, ${secrets.length} secrets; median CPU time of ${runs} runs\n`,
);
console.log('| case | before ms | after ms | after MB/s | masks before | masks after |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const { name, megabytes: mb, before: old, after: current } of cases) {
  const beforeMs = median(time(old));
  const afterMs = median(time(current));
  const rate = mb === 0 ? '' : (mb / (afterMs / 1000)).toFixed(0);
  console.log(
    `| ${name} | ${beforeMs.toFixed(2)} | ${afterMs.toFixed(2)} | ${rate} | ${masks(old())} | ${masks(current())} |`,
  );
}

/** CPU milliseconds of each run: steadier than wall time on a busy machine, and the same for sync code. */
function time(operation: () => unknown): number[] {
  operation(); // warm up
  return Array.from({ length: runs }, () => {
    const started = process.cpuUsage();
    operation();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000;
  });
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}
