import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PATH } from '../../src/sandbox/environment.js';
import { Redactor } from '../../src/secrets/index.js';
import { credentialFile, ENCODING_COMMANDS, SECRET, SECRET_NAME } from './encodings-fixture.js';
import { findLeaks } from './leak-oracle.js';

const MASK = `[REDACTED:${SECRET_NAME}]`;
const redactor = new Redactor([{ name: SECRET_NAME, value: SECRET }]);

let directory: string;
beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'agentry-redactor-'));
});
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** What `command` prints for a credential file with the password at byte offset `alignment`. */
function commandOutput(command: string, alignment: 0 | 1 | 2): string {
  const file = path.join(directory, `credentials-${alignment}.env`);
  writeFileSync(file, credentialFile(alignment));
  // The sandbox's PATH, as in a run (and no slow version-manager shims in front of python3).
  return execFileSync('sh', ['-c', command], { env: { PATH: SANDBOX_PATH, F: file }, encoding: 'utf8' });
}

describe('the fixture', () => {
  it('puts the password at each alignment, and base64 writes it with + or / that base64url does not', () => {
    for (const alignment of [0, 1, 2] as const) {
      expect(credentialFile(alignment).indexOf(SECRET) % 3).toBe(alignment);
    }
    const standard = Buffer.from(credentialFile(0)).toString('base64');
    expect(standard).toMatch(/[+/]/);
  });
});

describe('Redactor on command output', () => {
  for (const { name, command } of ENCODING_COMMANDS) {
    for (const alignment of [0, 1, 2] as const) {
      it(`masks ${name}, password at offset ${alignment} mod 3`, () => {
        const output = commandOutput(command, alignment);
        // The oracle must see the secret in the raw output, or this case proves nothing.
        expect(findLeaks(output, SECRET)).not.toEqual([]);
        const redacted = redactor.redactText(output);
        expect(findLeaks(redacted, SECRET)).toEqual([]);
        expect(redacted).toContain(MASK);
      });
    }
  }

  it('keeps the lines around a masked secret as they were', () => {
    const output = commandOutput('fold -w 10 "$F"', 0);
    const redacted = redactor.redactText(output);
    expect(redacted.startsWith('# rotated ')).toBe(true);
    expect(redacted).toContain(MASK);
    expect(redacted).toContain('DB_PORT=54');
    expect(redactor.redactText('abc\npg_Sup3r/S\necr3t+T0ken=7f?x&y~z!Q9vLm2>>?\r\ndef')).toBe(
      `abc\n${MASK}\r\ndef`,
    );
  });

  it('masks a secret encoded on its own whole, padding included', () => {
    const encoded = execFileSync('sh', ['-c', 'printf %s "$S" | base64 -w 0'], {
      env: { ...process.env, S: SECRET },
      encoding: 'utf8',
    });
    expect(encoded).toMatch(/=$/);
    expect(redactor.redactText(`token: ${encoded}.`)).toBe(`token: ${MASK}.`);
    expect(redactor.redactText(Buffer.from(SECRET).toString('hex'))).toBe(MASK);
  });

  it('masks a URL-encoded secret where it is, leaving the rest of the URL', () => {
    const url = `postgres://loader:${encodeURIComponent(SECRET)}@warehouse.internal:5432/analytics?sslmode=require`;
    expect(redactor.redactText(url)).toBe(
      `postgres://loader:${MASK}@warehouse.internal:5432/analytics?sslmode=require`,
    );
  });

  it('masks a JSON-escaped secret, as a command printing JSON writes it', () => {
    const quoted = new Redactor([{ name: 'TOKEN', value: 'ab"cd\\ef\tgh' }]);
    const printed = JSON.stringify({ token: 'ab"cd\\ef\tgh' });
    expect(quoted.redactText(printed)).toBe('{"token":"[REDACTED:TOKEN]"}');
  });

  it('masks a secret inside a longer one as the longer one', () => {
    const nested = new Redactor([
      { name: 'INNER', value: 'abcdef123456' },
      { name: 'OUTER', value: 'xoxb-abcdef123456-zz' },
    ]);
    const both = Buffer.from('xoxb-abcdef123456-zz and abcdef123456').toString('base64');
    expect(nested.redactText('xoxb-abcdef123456-zz and abcdef123456')).toBe(
      '[REDACTED:OUTER] and [REDACTED:INNER]',
    );
    expect(findLeaks(nested.redactText(both), 'abcdef123456', 6)).toEqual([]);
  });

  // The value's own line breaks are not part of what is searched: a trailing one stays in the text.
  it('masks a secret that has line breaks of its own, as printed and URL-encoded', () => {
    const key =
      '-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAq7\n-----END PRIVATE KEY-----\n';
    const pem = new Redactor([{ name: 'SIGNING_KEY', value: key }]);
    expect(pem.redactText(`key:\n${key}done`)).toBe('key:\n[REDACTED:SIGNING_KEY]\ndone');
    expect(pem.redactText(`key=${encodeURIComponent(key)}&x=1`)).toBe('key=[REDACTED:SIGNING_KEY]%0A&x=1');
    expect(pem.redactText(`crlf:\r\n${key.replaceAll('\n', '\r\n')}`)).toBe(
      'crlf:\r\n[REDACTED:SIGNING_KEY]\r\n',
    );
  });

  it('masks two secrets that overlap, the second starting inside the first', () => {
    const overlapping = new Redactor([
      { name: 'FIRST', value: 'abcdef12' },
      { name: 'SECOND', value: 'ef12ghijkl' },
    ]);
    expect(overlapping.redactText('x abcdef12ghijkl y')).toBe('x [REDACTED:FIRST] y');
  });

  it('masks base64 in a query string, its + / = percent-encoded', () => {
    const token = `access_token=${encodeURIComponent(Buffer.from(`user:${SECRET}`).toString('base64'))}`;
    expect(token).toMatch(/%2B|%2F|%3D/);
    expect(findLeaks(redactor.redactText(token), SECRET)).toEqual([]);
  });

  it('masks a non-ASCII secret in hex, base64 and percent-encoding', () => {
    const value = 'pässwörd-Ωmega-✓';
    const unicode = new Redactor([{ name: 'U', value }]);
    const bytes = Buffer.from(`KEY=${value};`);
    for (const encoded of [
      bytes.toString('hex'),
      bytes.toString('base64'),
      encodeURIComponent(bytes.toString()),
      value,
    ]) {
      expect(findLeaks(encoded, value)).not.toEqual([]);
      expect(findLeaks(unicode.redactText(encoded), value)).toEqual([]);
    }
    // JavaScript's escape(): Latin-1 bytes as %XX, the rest as %uXXXX.
    expect(unicode.redactText(`k=${escape(value)}&`)).toBe('k=[REDACTED:U]&');
  });
});

describe('Redactor on random secrets, offsets and line widths', () => {
  // A fixed seed: a failure here is reproducible.
  let seed = 0x5eed;
  const random = (below: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % below;
  };
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./+=:@!?&%#~ ';
  const randomText = (length: number) =>
    Array.from({ length }, () => alphabet[random(alphabet.length)]).join('');
  const fold = (text: string, width: number) => text.match(new RegExp(`.{1,${width}}`, 'gs'))!.join('\n');
  const encoders: [string, (text: string) => string][] = [
    ['base64', (text) => Buffer.from(text).toString('base64')],
    ['base64url', (text) => Buffer.from(text).toString('base64url')],
    ['hex', (text) => Buffer.from(text).toString('hex')],
    ['HEX', (text) => Buffer.from(text).toString('hex').toUpperCase()],
    ['reversed', (text) => [...text].reverse().join('')],
    ['url', (text) => encodeURIComponent(text)],
    ['plain', (text) => text],
  ];

  it('leaves no 8-byte piece of the secret in 700 encoded, folded texts', () => {
    for (let round = 0; round < 100; round++) {
      const secret = randomText(12 + random(50))
        .trim()
        .padEnd(12, 'k');
      const randomRedactor = new Redactor([{ name: 'S', value: secret }]);
      const text = `${randomText(random(40))}${secret}${randomText(random(40))}`;
      for (const [name, encode] of encoders) {
        const width = 3 + random(80);
        const output = fold(encode(text), width);
        expect(findLeaks(output, secret)).not.toEqual([]);
        const leaks = findLeaks(randomRedactor.redactText(output), secret);
        expect(leaks, `${name}, width ${width}, secret ${JSON.stringify(secret)}`).toEqual([]);
      }
    }
  });
});

describe('Redactor false positives', () => {
  const realdata = path.resolve(import.meta.dirname, '../../../shared/realdata');
  const secrets = [
    { name: 'OPENAI_API_KEY', value: 'sk-proj-4fQ2pLx9TzR8vW1nB7yK3mD6' },
    { name: 'SLACK_BOT_TOKEN', value: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp' },
    { name: 'DB_PASSWORD', value: 'hunter22' },
    { name: 'GITHUB_TOKEN', value: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a' },
  ];

  it('leaves short values alone in every form', () => {
    const port = new Redactor([{ name: 'PORT', value: '5432' }]);
    const text = `port 5432 ${Buffer.from('5432').toString('hex')} ${Buffer.from('5432').toString('base64')} 2345`;
    expect(port.redactText(text)).toBe(text);
  });

  it.skipIf(!existsSync(realdata))(
    'changes nothing in real logs, webhook payloads and a dbt manifest',
    () => {
      const files = [
        ...readdirSync(path.join(realdata, 'airflow_logs/kanton-bern_hellodata-be')).map((name) =>
          path.join(realdata, 'airflow_logs/kanton-bern_hellodata-be', name),
        ),
        path.join(realdata, 'octokit_webhooks/payload-examples/api.github.com/push/payload.json'),
        path.join(
          realdata,
          'octokit_webhooks/payload-examples/api.github.com/pull_request/opened.payload.json',
        ),
        path.join(
          realdata,
          'yu-iskw_dbt-artifacts-parser/tests/resources/manifest/v12/jaffle_shop/manifest_1.11.json',
        ),
      ];
      const many = new Redactor(secrets);
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const view of [text, Buffer.from(text).toString('base64'), encodeURIComponent(text)]) {
          expect(many.redactText(view) === view, file).toBe(true);
        }
      }
    },
  );
});
