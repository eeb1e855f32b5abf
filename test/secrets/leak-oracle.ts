/**
 * An independent judge of redacted text: it does not use the redactor's list of forms, it tries to
 * get the secret back. Line breaks are dropped, `%XX` and `+` are decoded, then every run of hex
 * digits and every run of base64 characters is decoded at every offset, and the result (and the
 * text reversed) is searched for any `window`-byte piece of the secret.
 */
export function findLeaks(text: string, secret: string, window = 8): string[] {
  const pieces = new Set<string>();
  const bytes = Buffer.from(secret, 'utf8').toString('latin1');
  for (let start = 0; start + window <= bytes.length; start++) pieces.add(bytes.slice(start, start + window));

  // Every view is a string of bytes, one character each, like `bytes` above.
  const joined = text.replace(/[\r\n]/g, '');
  const asBytes = (value: string) => Buffer.from(value, 'utf8').toString('latin1');
  const percentDecoded = asBytes(joined).replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
  const views = [
    asBytes(joined),
    asBytes([...joined].reverse().join('')),
    percentDecoded,
    percentDecoded.replaceAll('+', ' '),
  ];

  const leaks: string[] = [];
  const check = (how: string, decoded: string) => {
    for (const piece of pieces) if (decoded.includes(piece)) leaks.push(`${how}: ${JSON.stringify(piece)}`);
  };
  for (const view of views) {
    check('plain', view);
    for (const run of view.match(/[0-9A-Fa-f]{16,}/g) ?? []) {
      for (let offset = 0; offset < 2; offset++)
        check('hex', Buffer.from(run.slice(offset), 'hex').toString('latin1'));
    }
    for (const run of view.match(/[A-Za-z0-9+/_-]{11,}/g) ?? []) {
      const standard = run.replaceAll('-', '+').replaceAll('_', '/');
      for (let offset = 0; offset < 4; offset++) {
        const chars = standard.slice(offset);
        const whole = chars.slice(0, chars.length - (chars.length % 4));
        check('base64', Buffer.from(whole, 'base64').toString('latin1'));
      }
    }
  }
  return [...new Set(leaks)];
}
