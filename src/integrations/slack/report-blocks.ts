/**
 * A run's final answer as a Block Kit report. A structured answer (the agent's `output.schema`)
 * gets the fields an incident reader looks for first — title, severity, owner, summary, root
 * cause, affected models, suggested fix, evidence — then every other field; a text answer becomes
 * sections. Every string the model wrote is escaped; the only mentions are owners we looked up.
 */
import {
  contextBlock,
  DIVIDER_BLOCK,
  fieldsBlock,
  headerBlock,
  MAX_BLOCKS,
  MAX_SECTION_TEXT,
  type SectionBlock,
  type SlackBlock,
  type SlackMessage,
  sectionBlock,
} from './block-kit.js';
import { cutText, escapeSlackText, markdownToMrkdwn, splitText, titleCase } from './mrkdwn.js';
import { formatCost, formatDuration, runLink, statusEmoji, statusWord } from './run-format.js';

/** What a report needs of a finished run (a `RunRecord` and its outcome fit). */
export interface RunReport {
  agent: string;
  runId: string;
  /** `COMPLETED`, `FAILED`, `CANCELLED`, … */
  status: string;
  failureReason: string | null;
  error: string | null;
  /** The final answer; `object` is the validated `output.schema` value when the agent has one. */
  output: { text: string; object?: unknown } | null;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  durationMs: number;
  /**
   * Slack user ids of owner emails, from `users.lookupByEmail` ({@link reportOwnerEmails} says
   * which to look up). An email without an id here is shown as text.
   */
  mentions?: ReadonlyMap<string, string>;
}

/** Fields laid out before the rest, in this order; `title`, `severity` and `owner` go to the top. */
const LEADING_FIELDS = ['summary', 'root_cause', 'affected_models', 'suggested_fix', 'evidence'] as const;
const TOP_FIELDS = new Set(['title', 'severity', 'owner']);
/** Blocks one structured field may take (about 8,700 characters); a text answer may use the rest. */
const MAX_BLOCKS_PER_FIELD = 3;
/** Owners looked up at most, so a hostile answer cannot make a report ping a crowd. */
const MAX_MENTIONS = 3;
const MAX_FALLBACK_TEXT = 1000;
const INLINE_JSON_CHARS = 300;
const EMAIL = /[^\s@<>()[\]",;:]+@[^\s@<>()[\]",;:]+\.[A-Za-z]{2,}/;

interface Piece {
  label?: string;
  /** Escaped mrkdwn. */
  body: string;
  maxBlocks: number;
}

/** The Block Kit message reporting `report`, within Slack's limits, with a text fallback. */
export function renderRunReport(report: RunReport): SlackMessage {
  const object = plainObject(report.output?.object);
  const title = typeof object?.title === 'string' && object.title.trim() ? object.title.trim() : undefined;
  const emoji = statusEmoji(report.status);
  const status = statusWord(report.status, report.failureReason);
  const agent = escapeSlackText(report.agent);

  const facts = [
    { label: 'Agent', value: agent },
    { label: 'Status', value: `${emoji} ${escapeSlackText(status)}` },
    { label: 'Duration', value: formatDuration(report.durationMs) },
    { label: 'Cost', value: formatCost(report.usage) },
  ];
  if (object?.severity !== undefined && object.severity !== null) {
    facts.push({ label: 'Severity', value: severityText(object.severity) });
  }
  if (object?.owner !== undefined && object.owner !== null) {
    facts.push({ label: 'Owner', value: ownerText(object.owner, report.mentions) });
  }

  const pieces: Piece[] = [];
  if (report.status !== 'COMPLETED') pieces.push(failurePiece(report));
  if (object) {
    pieces.push(...structuredPieces(object, report.mentions));
  } else if (report.output?.text.trim()) {
    const text =
      report.output.object !== undefined ? inlineJson(report.output.object, Infinity) : report.output.text;
    pieces.push({ body: markdownToMrkdwn(text.trim()), maxBlocks: MAX_BLOCKS });
  } else if (report.status === 'COMPLETED') {
    pieces.push({ body: '_The run ended without an answer._', maxBlocks: 1 });
  }

  const headline = title ? escapeSlackText(title) : `${agent} ${escapeSlackText(status)}`;
  const footer = contextBlock(runLink(report.runId));
  const fixed: SlackBlock[] = [headerBlock(`${emoji} ${headline}`), fieldsBlock(facts)];
  const room = MAX_BLOCKS - fixed.length - 2; // the divider and the footer
  const blocks = [...fixed, ...layOut(pieces, room, report.runId), DIVIDER_BLOCK, footer];
  return { text: fallbackText(report, title, object), blocks };
}

/**
 * The owner emails of a structured answer to look up with `users.lookupByEmail`: from `owner`
 * given as an email, `Name <email>`, `{email}`, or a list of those. At most three.
 */
export function reportOwnerEmails(output: { object?: unknown } | null | undefined): string[] {
  const owner = plainObject(output?.object)?.owner;
  const owners = Array.isArray(owner) ? owner : [owner];
  const emails: string[] = [];
  for (const item of owners) {
    const email = emailOf(item);
    if (email && !emails.includes(email)) emails.push(email);
    if (emails.length >= MAX_MENTIONS) break;
  }
  return emails;
}

function structuredPieces(
  object: Record<string, unknown>,
  mentions: ReadonlyMap<string, string> | undefined,
) {
  const pieces: Piece[] = [];
  for (const key of LEADING_FIELDS) {
    const value = object[key];
    if (value === undefined || value === null || value === '') continue;
    const body =
      key === 'affected_models'
        ? modelList(value)
        : key === 'evidence'
          ? bulletList(Array.isArray(value) ? value : [value])
          : valueText(value);
    pieces.push({ label: titleCase(key), body, maxBlocks: MAX_BLOCKS_PER_FIELD });
  }
  const known = new Set<string>([...LEADING_FIELDS, ...TOP_FIELDS]);
  for (const [key, value] of Object.entries(object)) {
    if (known.has(key) || value === undefined || value === null || value === '') continue;
    pieces.push({
      label: escapeSlackText(titleCase(key)),
      body: valueText(value),
      maxBlocks: MAX_BLOCKS_PER_FIELD,
    });
  }
  // An owner that is a list or object gets its own section beside the short field at the top.
  if (Array.isArray(object.owner)) {
    pieces.push({
      label: 'Owners',
      body: object.owner.map((owner) => `• ${ownerText(owner, mentions)}`).join('\n'),
      maxBlocks: 1,
    });
  }
  return pieces;
}

function failurePiece(report: RunReport): Piece {
  const label =
    report.status === 'CANCELLED' ? 'Cancelled' : report.status === 'FAILED' ? 'Failed' : 'Status';
  const why = report.failureReason ? `${escapeSlackText(report.failureReason)}: ` : '';
  const error = report.error ? escapeSlackText(report.error) : 'no error was recorded';
  return { label, body: `${why}${error}`, maxBlocks: 1 };
}

/** Pieces as sections within `room` blocks; what does not fit is cut with a note naming the run. */
function layOut(pieces: readonly Piece[], room: number, runId: string): SectionBlock[] {
  const where = `the whole answer is in \`agentry runs show ${escapeSlackText(runId)}\``;
  const blocks: SectionBlock[] = [];
  for (const piece of pieces) {
    const labelled = piece.label ? `*${piece.label}*\n${piece.body}` : piece.body;
    let chunks = splitText(labelled, MAX_SECTION_TEXT);
    if (chunks.length > piece.maxBlocks) {
      const note = `_… cut: ${where}_`;
      const kept = chunks.slice(0, piece.maxBlocks);
      kept[kept.length - 1] = `${cutText(kept.at(-1)!, MAX_SECTION_TEXT - note.length - 1, '', '')}\n${note}`;
      chunks = kept;
    }
    blocks.push(...chunks.map((chunk) => sectionBlock(chunk)));
  }
  if (blocks.length <= room) return blocks;
  const kept = blocks.slice(0, room - 1);
  kept.push(sectionBlock(`_… ${blocks.length - kept.length} more sections cut: ${where}_`));
  return kept;
}

/** Any JSON value as mrkdwn: text as written, lists as bullets, objects as `key: value` lines. */
function valueText(value: unknown): string {
  if (typeof value === 'string') return markdownToMrkdwn(value.trim());
  if (Array.isArray(value)) return bulletList(value);
  const object = plainObject(value);
  if (object) {
    return Object.entries(object)
      .map(([key, item]) => `*${escapeSlackText(titleCase(key))}:* ${inlineText(item)}`)
      .join('\n');
  }
  return escapeSlackText(String(value));
}

function bulletList(items: readonly unknown[]): string {
  if (items.length === 0) return '_none_';
  return items.map((item) => `• ${inlineText(item).replace(/\n/g, '\n   ')}`).join('\n');
}

/** dbt models as code: `orders`, or `{name: orders, reason: …}` as `orders` — reason. */
function modelList(value: unknown): string {
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) return '_none_';
  return items
    .map((item) => {
      const object = plainObject(item);
      const name = object ? (object.name ?? object.model ?? object.unique_id) : item;
      if (typeof name !== 'string') return `• ${inlineText(item)}`;
      const code = `\`${escapeSlackText(name.replace(/`/g, "'"))}\``;
      if (!object) return `• ${code}`;
      const rest = Object.entries(object).filter(([key]) => !['name', 'model', 'unique_id'].includes(key));
      return rest.length === 0
        ? `• ${code}`
        : `• ${code} — ${rest.map(([key, item]) => `${escapeSlackText(key)}: ${inlineText(item)}`).join(' · ')}`;
    })
    .join('\n');
}

/** One value on one line (or a few, for text): objects as `key: value · key: value`. */
function inlineText(value: unknown): string {
  if (typeof value === 'string') return markdownToMrkdwn(value.trim());
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'object') return escapeSlackText(String(value));
  const object = plainObject(value);
  if (object) {
    return Object.entries(object)
      .map(([key, item]) => {
        const text = typeof item === 'string' ? item : inlineJson(item, INLINE_JSON_CHARS);
        return `*${escapeSlackText(key)}:* ${escapeSlackText(text)}`;
      })
      .join(' · ');
  }
  return escapeSlackText(inlineJson(value, INLINE_JSON_CHARS));
}

function inlineJson(value: unknown, maxChars: number): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

function severityText(severity: unknown): string {
  const text = typeof severity === 'string' ? severity : inlineJson(severity, 40);
  const marks: Record<string, string> = {
    critical: ':rotating_light:',
    sev1: ':rotating_light:',
    high: ':red_circle:',
    sev2: ':red_circle:',
    medium: ':large_orange_circle:',
    sev3: ':large_orange_circle:',
    low: ':large_yellow_circle:',
    sev4: ':large_yellow_circle:',
  };
  const mark = marks[text.trim().toLowerCase()];
  return `${mark ? `${mark} ` : ''}${escapeSlackText(text)}`;
}

/** The owner as a mention when their email was looked up, else as the model wrote it. */
function ownerText(owner: unknown, mentions: ReadonlyMap<string, string> | undefined): string {
  if (Array.isArray(owner)) return owner.map((item) => ownerText(item, mentions)).join(', ');
  const email = emailOf(owner);
  const userId = email ? mentions?.get(email) : undefined;
  // A user id comes from users.lookupByEmail, never from the model: it is safe to build a mention.
  const mention = userId && /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : undefined;
  const object = plainObject(owner);
  if (object) {
    const parts = ['name', 'team', 'email', 'slack']
      .map((key) => object[key])
      .filter((part): part is string => typeof part === 'string' && part.trim() !== '')
      .map((part) => escapeSlackText(part));
    const shown = parts.length > 0 ? parts.join(' · ') : escapeSlackText(inlineJson(owner, 200));
    return mention ? `${mention} (${shown})` : shown;
  }
  const text = escapeSlackText(typeof owner === 'string' ? owner : inlineJson(owner, 200));
  if (!mention) return text;
  return typeof owner === 'string' && owner.trim().toLowerCase() === email ? mention : `${mention} (${text})`;
}

function emailOf(owner: unknown): string | undefined {
  const object = plainObject(owner);
  const text = object ? object.email : owner;
  if (typeof text !== 'string') return undefined;
  return EMAIL.exec(text)?.[0]?.toLowerCase();
}

function fallbackText(
  report: RunReport,
  title: string | undefined,
  object: Record<string, unknown> | undefined,
) {
  const status = `${report.agent} ${statusWord(report.status, report.failureReason)}`;
  const summary =
    typeof object?.summary === 'string'
      ? object.summary
      : object
        ? undefined
        : (report.output?.text ?? report.error ?? undefined);
  const parts = [status, title, summary?.trim()].filter((part): part is string => Boolean(part));
  return cutText(escapeSlackText(parts.join(': ')), MAX_FALLBACK_TEXT, '…');
}

function plainObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
