import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/store/canonical-json.js';
import {
  chainHead,
  computeEventHash,
  computeEventHashOfText,
  computeMessageHash,
  GENESIS_HASH,
  verifyChain,
  verifyMessageChain,
} from '../../src/store/hash-chain.js';
import { computeLedgerHash, type LedgerEntry, verifyLedger } from '../../src/store/ledger.js';
import type { RunEvent, RunEventType, RunMessage } from '../../src/store/types.js';

describe('canonicalJson', () => {
  it('sorts keys recursively and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 0, y: 1 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":1,"z":0}]},"b":1}',
    );
  });

  it('sorts integer-like keys as strings, by UTF-16 code unit', () => {
    expect(canonicalJson({ b: 1, 10: 2, 9: 3, B: 4, é: 5, '😀': 6, '\uff61': 7 })).toBe(
      '{"10":2,"9":3,"B":4,"b":1,"é":5,"😀":6,"｡":7}',
    );
  });

  it('drops undefined, functions and symbols from objects and nulls them in arrays, like JSON.stringify', () => {
    const value = { keep: 1, gone: undefined, fn: () => 1, sym: Symbol('s'), list: [undefined, () => 1, 2] };
    expect(canonicalJson(value)).toBe('{"keep":1,"list":[null,null,2]}');
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });

  it('writes numbers, strings and escapes as JSON.stringify does', () => {
    const value = {
      flags: [true, false, null],
      numbers: [0, -0, 1.5, 1e21, 5e-7, -123456789.125, Number.NaN, Number.POSITIVE_INFINITY],
      text: 'quote " backslash \\ newline \n control \u0001 emoji 🧪 lone \ud800',
    };
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
    expect(canonicalJson(value)).toContain('[0,0,1.5,1e+21,5e-7,-123456789.125,null,null]');
  });

  it('honours toJSON and unboxes String, Number and Boolean objects', () => {
    const value = {
      when: new Date('2025-01-02T03:04:05.006Z'),
      custom: { toJSON: (key: string) => `custom:${key}` },
      boxed: [new String('s'), new Number(2), new Boolean(false)],
    };
    expect(canonicalJson(value)).toBe(
      '{"boxed":["s",2,false],"custom":"custom:custom","when":"2025-01-02T03:04:05.006Z"}',
    );
  });

  it('reads back to what JSON.stringify reads back to, for a mixed value', () => {
    const value = { z: [{ b: [1, { d: null, c: 'x' }], a: {} }], y: 'é', x: { '2': 2, '1': 1 }, w: -0.25 };
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value));
  });

  it('refuses what JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
    expect(() => canonicalJson({ n: 10n })).toThrow(/bigint/);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });

  it('allows the same object twice when it is not its own ancestor', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"k":1},"b":[{"k":1}]}');
  });
});

const RUN_ID = '01JGZ8Q6X4N3V7T2R5K9M1P0AB';

function buildChain(count: number, runId = RUN_ID): RunEvent[] {
  const events: RunEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const fields = {
      runId,
      seq,
      time: `2025-01-06T06:00:0${seq}.000Z`,
      type: 'model.request' as RunEventType,
      payload: { step: seq },
    };
    const hash = computeEventHash(prevHash, fields);
    events.push({ ...fields, prevHash, hash });
    prevHash = hash;
  }
  return events;
}

describe('computeEventHash', () => {
  it('is sha256 of the previous hash and the canonical JSON of the event', async () => {
    const { createHash } = await import('node:crypto');
    const fields = { runId: 'R', seq: 1, time: 't', type: 'run.created' as const, payload: { b: 2, a: 1 } };
    const expected = createHash('sha256')
      .update(`${GENESIS_HASH}{"payload":{"a":1,"b":2},"runId":"R","seq":1,"time":"t","type":"run.created"}`)
      .digest('hex');
    expect(computeEventHash(GENESIS_HASH, fields)).toBe(expected);
  });

  it('ignores fields outside the hashed ones', () => {
    const [event] = buildChain(1);
    const relabelled: RunEvent = { ...event!, hash: 'other', prevHash: 'other' };
    expect(computeEventHash(GENESIS_HASH, relabelled)).toBe(event!.hash);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and an empty one', () => {
    expect(verifyChain(buildChain(6))).toEqual({ ok: true, count: 6 });
    expect(verifyChain([])).toEqual({ ok: true, count: 0 });
  });

  it.each([
    ['payload', (event: RunEvent) => ({ ...event, payload: { step: 99 } })],
    ['type', (event: RunEvent) => ({ ...event, type: 'tool-call.denied' as const })],
    ['time', (event: RunEvent) => ({ ...event, time: '2030-01-01T00:00:00.000Z' })],
    ['hash', (event: RunEvent) => ({ ...event, hash: 'f'.repeat(64) })],
  ])('finds an altered %s', (_, alter) => {
    const events = buildChain(5);
    events[2] = alter(events[2]!);
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 3 });
  });

  it('finds a broken prev link', () => {
    const events = buildChain(5);
    const relinked = { ...events[3]!, prevHash: events[1]!.hash };
    events[3] = { ...relinked, hash: computeEventHash(relinked.prevHash, relinked) };
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/link/) });
  });

  it('finds a deleted event in the middle, a gap and a reorder', () => {
    const events = buildChain(5);
    expect(verifyChain([...events.slice(0, 2), ...events.slice(3)])).toMatchObject({ ok: false, seq: 3 });
    expect(verifyChain([events[0]!, events[2]!, events[1]!])).toMatchObject({ ok: false, seq: 2 });
    expect(verifyChain(events.slice(1))).toMatchObject({ ok: false, seq: 1 });
  });

  it('finds an event of another run spliced in', () => {
    const events = buildChain(3);
    const foreign = buildChain(3, '01JGZ8Q6X4N3V7T2R5K9M1P0ZZ');
    expect(verifyChain([events[0]!, foreign[1]!, events[2]!])).toMatchObject({ ok: false, seq: 2 });
  });

  it('cannot see a deleted tail without an anchor, which chainHead provides', () => {
    const events = buildChain(5);
    expect(verifyChain(events.slice(0, 3))).toEqual({ ok: true, count: 3 });
    expect(chainHead(events)).toEqual({ eventCount: 5, headHash: events[4]!.hash });
    expect(chainHead(events.slice(0, 3))).not.toEqual(chainHead(events));
    expect(chainHead([])).toEqual({ eventCount: 0, headHash: GENESIS_HASH });
  });
});

describe('hash format v1 (fixed corpus)', () => {
  const fixture = JSON.parse(
    readFileSync(new URL('../fixtures/store/events-v1.json', import.meta.url), 'utf8'),
  ) as { events: RunEvent[] };

  it('still verifies the events written by format v1', () => {
    expect(verifyChain(fixture.events)).toEqual({ ok: true, count: 8 });
  });

  it('still ends at the same head, so the fixture itself was not regenerated', () => {
    expect(chainHead(fixture.events)).toEqual({
      eventCount: 8,
      headHash: '100c1b2a480c0804cdd7de13cc1ecb4ed9dab35568aee8f68c95e0845136e50e',
    });
  });

  it('still recomputes every stored hash', () => {
    for (const event of fixture.events) expect(computeEventHash(event.prevHash, event)).toBe(event.hash);
  });
});

describe('audit format 2: message and ledger hashes', () => {
  const message = {
    runId: RUN_ID,
    seq: 1,
    turn: 1,
    role: 'assistant' as const,
    content: [{ type: 'text', text: 'é 🧪', z: 1, a: null }],
    createdAt: '2025-01-06T06:00:01.000Z',
  };

  it('hashes an event from its payload text exactly as from the event', () => {
    for (const payload of [{}, { b: [1, { d: 'é', c: null }], a: '"quoted"\n' }, { ключ: 1e21, '😀': -0 }]) {
      const fields = {
        runId: RUN_ID,
        seq: 7,
        time: '2025-01-06T06:00:00.000Z',
        type: 'model.request' as const,
      };
      expect(computeEventHashOfText(GENESIS_HASH, fields, canonicalJson(payload))).toBe(
        computeEventHash(GENESIS_HASH, { ...fields, payload }),
      );
    }
  });

  it('pins the message hash: sha256(prevHash + canonical JSON of the message)', async () => {
    const { createHash } = await import('node:crypto');
    const text =
      '{"content":[{"a":null,"text":"é 🧪","type":"text","z":1}],"createdAt":"2025-01-06T06:00:01.000Z","role":"assistant","runId":"01JGZ8Q6X4N3V7T2R5K9M1P0AB","seq":1,"turn":1}';
    expect(computeMessageHash(GENESIS_HASH, message)).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + text)
        .digest('hex'),
    );
  });

  it('verifies a message chain and names the first altered, missing or foreign message', () => {
    const messages: RunMessage[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 4; seq++) {
      const fields = { ...message, seq, content: `message ${seq}` };
      prev = computeMessageHash(prev, fields);
      messages.push({ ...fields, hash: prev });
    }
    expect(verifyMessageChain(messages)).toMatchObject({ ok: true, count: 4, head: prev });
    expect(verifyMessageChain([])).toEqual({ ok: true, count: 0, head: GENESIS_HASH, hashes: [] });
    const altered = messages.map((m) => (m.seq === 3 ? { ...m, content: 'forged' } : m));
    expect(verifyMessageChain(altered)).toMatchObject({
      ok: false,
      seq: 3,
      reason: expect.stringMatching(/message 3 \(turn 1, assistant\)/),
    });
    expect(verifyMessageChain([messages[0]!, messages[2]!])).toMatchObject({
      ok: false,
      seq: 2,
      reason: expect.stringMatching(/deleted/),
    });
    expect(verifyMessageChain([messages[0]!, { ...messages[1]!, runId: 'other' }])).toMatchObject({
      ok: false,
      seq: 2,
    });
  });

  it('pins the ledger hash and finds an altered, unlinked or truncated ledger', async () => {
    const { createHash } = await import('node:crypto');
    const state = {
      run: { id: RUN_ID } as never,
      events: { count: 0, head: GENESIS_HASH },
      messages: { count: 0, head: GENESIS_HASH },
      artifacts: [],
    };
    const entry = {
      seq: 1,
      runId: RUN_ID,
      kind: 'created' as const,
      time: '2025-01-06T06:00:00.000Z',
      state,
    };
    const text = `{"kind":"created","runId":"${RUN_ID}","seq":1,"state":${canonicalJson(state)},"time":"2025-01-06T06:00:00.000Z"}`;
    const hash = computeLedgerHash(GENESIS_HASH, entry);
    expect(hash).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + text)
        .digest('hex'),
    );
    const first: LedgerEntry = { ...entry, prevHash: GENESIS_HASH, hash };
    const second: LedgerEntry = {
      ...entry,
      seq: 2,
      kind: 'sealed',
      prevHash: hash,
      hash: computeLedgerHash(hash, { ...entry, seq: 2, kind: 'sealed' }),
    };
    const head = { count: 2, hash: second.hash };
    expect(verifyLedger([first, second], head)).toEqual({ ok: true, head });
    expect(verifyLedger([{ ...first, kind: 'adopted' }, second], head)).toMatchObject({ ok: false, seq: 1 });
    expect(verifyLedger([second], head)).toMatchObject({
      ok: false,
      seq: 1,
      reason: expect.stringMatching(/deleted/),
    });
    expect(verifyLedger([first], head)).toMatchObject({
      ok: false,
      seq: 2,
      reason: expect.stringMatching(/last 1 were deleted/),
    });
    expect(verifyLedger([first, second], { count: 2, hash: 'f'.repeat(64) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/rewritten/),
    });
  });
});
