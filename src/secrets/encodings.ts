/**
 * The forms a secret value takes once a model or a command re-encodes it. The redactor looks for
 * every one of them, so `base64 .env`, `xxd -p`, `rev` or a token pasted into a URL do not carry a
 * credential past it.
 */

/** How a secret was written in the text a form was found in. */
export type SecretEncoding =
  | 'plain'
  | 'reversed'
  | 'json-escaped'
  | 'form-encoded'
  | 'hex'
  | 'base64'
  | 'base64url'
  /** The UTF-8 bytes of a non-ASCII secret one character each, as percent-decoding yields them. */
  | 'utf8-bytes';

/** One string the redactor searches for, and what it stands for. */
export interface SecretForm {
  text: string;
  encoding: SecretEncoding;
}

/**
 * Every form of `value` worth searching for, without duplicates. URL encoding is not listed here:
 * the redactor decodes `%XX` escapes in the text instead, which catches every encoder's choice of
 * which characters to escape and either case of hex digit.
 *
 * base64 is listed once per alignment: a secret that starts at byte offset 0, 1 or 2 (mod 3) of a
 * longer stream (`KEY=secret` in a base64'd `.env`) is encoded to different characters each time.
 * For each alignment the form is only the characters that depend on the secret's bytes alone, so it
 * is found whatever comes before or after it; one or two characters on each side stay visible,
 * which tells a reader a few bits of the first and last byte and nothing more.
 */
export function secretForms(value: string): SecretForm[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: SecretForm[] = [];
  const seen = new Set<string>();
  const add = (text: string, encoding: SecretEncoding) => {
    if (text === '' || seen.has(text)) return;
    seen.add(text);
    forms.push({ text, encoding });
  };

  add(value, 'plain');
  add([...value].reverse().join(''), 'reversed');
  add(JSON.stringify(value).slice(1, -1), 'json-escaped');
  if (value.includes(' ')) add(value.replaceAll(' ', '+'), 'form-encoded');
  add(bytes.toString('latin1'), 'utf8-bytes');

  const hex = bytes.toString('hex');
  add(hex, 'hex');
  add(hex.toUpperCase(), 'hex');

  // The whole encoding first, padding included, so a secret encoded on its own is masked whole.
  add(bytes.toString('base64'), 'base64');
  add(bytes.toString('base64url'), 'base64url');
  for (let offset = 0; offset < 3; offset++) {
    const core = base64Core(bytes, offset);
    add(core, 'base64');
    add(core.replaceAll('+', '-').replaceAll('/', '_'), 'base64url');
  }
  return forms;
}

/**
 * The base64 characters that encode only `bytes` when they follow `offset` other bytes: a character
 * carries 6 bits, and only those wholly inside the secret's bits are the same in every stream.
 */
function base64Core(bytes: Buffer, offset: number): string {
  const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
  const first = Math.ceil((8 * offset) / 6);
  const end = Math.floor((8 * (offset + bytes.length)) / 6);
  return encoded.slice(first, end);
}
