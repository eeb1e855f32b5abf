import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_BLOCKS,
  type RunReport,
  renderBlocksAsText,
  renderRunReport,
  reportOwnerEmails,
  type SlackBlock,
  SlackClient,
} from '../../src/integrations/slack/index.js';
import { FAKE_SLACK_TOKEN } from '../../src/testing/fake-slack.js';
import { allText, Fixture } from './helpers.js';

const fixture = new Fixture();
afterEach(() => fixture.cleanup());

const base: RunReport = {
  agent: 'incident-commander',
  runId: '01JREPORT0000000000000000',
  status: 'COMPLETED',
  failureReason: null,
  error: null,
  output: null,
  usage: { inputTokens: 12_000, outputTokens: 800, costUsd: 0.4213 },
  durationMs: 363_000,
};

const incident = {
  title: 'orders_daily failed: orders has duplicate order_id',
  severity: 'high',
  summary: 'The 03:00 load of orders failed its unique test.',
  root_cause: 'A replayed Stripe webhook inserted 42 payments twice.',
  affected_models: ['stg_payments', 'orders', { name: 'customer_ltv', reason: 'downstream of orders' }],
  owner: { name: 'Jane Doe', email: 'jane.doe@acme.test' },
  suggested_fix: 'Deduplicate on payment_id in stg_payments.',
  evidence: ['dbt test unique_orders_order_id failed: 42 rows', { source: 'airflow', line: 'Task failed' }],
  blast_radius: { dashboards: 3, teams: ['finance'] },
};

/** The text of every section and field, in order. */
function texts(blocks: readonly SlackBlock[]): string[] {
  return blocks.flatMap((block) => {
    if (block.type === 'section')
      return [block.text?.text ?? '', ...(block.fields ?? []).map((field) => field.text)];
    if (block.type === 'header') return [block.text.text];
    if (block.type === 'context') return block.elements.map((element) => element.text);
    return [];
  });
}

async function postToFakeSlack(message: { text: string; blocks: SlackBlock[] }) {
  const slack = await fixture.slack();
  const client = new SlackClient({ token: FAKE_SLACK_TOKEN, apiUrl: slack.url, retries: 0 });
  await client.postMessage({ channel: 'C0INCIDENT1', ...message });
  return slack;
}

describe('renderRunReport', () => {
  it('lays out the structured fields an incident reader looks for', () => {
    const report = renderRunReport({
      ...base,
      output: { text: JSON.stringify(incident), object: incident },
      mentions: new Map([['jane.doe@acme.test', 'U0JANE0001']]),
    });
    const lines = texts(report.blocks);
    expect(report.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: `:white_check_mark: ${incident.title}`, emoji: true },
    });
    const facts = report.blocks[1];
    expect(facts?.type === 'section' && facts.fields?.map((field) => field.text)).toEqual([
      '*Agent*\nincident-commander',
      '*Status*\n:white_check_mark: completed',
      '*Duration*\n6m 3s',
      '*Cost*\n$0.42 · 12.8k tokens',
      '*Severity*\n:red_circle: high',
      '*Owner*\n<@U0JANE0001> (Jane Doe · jane.doe@acme.test)',
    ]);
    expect(lines).toContain('*Summary*\nThe 03:00 load of orders failed its unique test.');
    expect(lines).toContain('*Root cause*\nA replayed Stripe webhook inserted 42 payments twice.');
    expect(lines).toContain(
      '*Affected models*\n• `stg_payments`\n• `orders`\n• `customer_ltv` — reason: downstream of orders',
    );
    expect(lines).toContain('*Suggested fix*\nDeduplicate on payment_id in stg_payments.');
    expect(lines).toContain(
      '*Evidence*\n• dbt test unique_orders_order_id failed: 42 rows\n• *source:* airflow · *line:* Task failed',
    );
    expect(lines).toContain('*Blast radius*\n*Dashboards:* 3\n*Teams:* ["finance"]');
    // Leading fields in their order, the rest after them.
    const order = [
      '*Summary*',
      '*Root cause*',
      '*Affected models*',
      '*Suggested fix*',
      '*Evidence*',
      '*Blast radius*',
    ];
    expect(order.map((label) => lines.findIndex((line) => line.startsWith(label)))).toEqual(
      [...order.map((label) => lines.findIndex((line) => line.startsWith(label)))].sort((a, b) => a - b),
    );
    expect(lines.at(-1)).toBe(
      'Run `01JREPORT0000000000000000` · details: `agentry runs show 01JREPORT0000000000000000`',
    );
    expect(report.text).toContain('The 03:00 load of orders failed its unique test.');
    expect(reportOwnerEmails({ object: incident })).toEqual(['jane.doe@acme.test']);
  });

  it('shows an owner whose email was not found as text, never as a mention the model wrote', () => {
    const object = { summary: 's', owner: { name: 'Mallory', email: 'm@evil.test', slack: 'U0BOSS0001' } };
    const report = renderRunReport({ ...base, output: { text: '', object } });
    expect(allText(report)).not.toContain('<@');
    expect(allText(report)).toContain('Mallory · m@evil.test · U0BOSS0001');
  });

  it('escapes every string the model wrote: no broadcasts, fake mentions or disguised links', async () => {
    const hostile =
      '<!channel> wake up <@U0CEO00001|ceo> see <https://evil.test/phish|Grafana> & @here <!subteam^S01>';
    const object = {
      title: `<!here> ${hostile}`,
      summary: hostile,
      root_cause: hostile,
      affected_models: [hostile],
      owner: hostile,
      evidence: [hostile, { [`<!everyone>`]: hostile }],
      [`<!channel>key`]: hostile,
    };
    const report = renderRunReport({ ...base, agent: 'incident-commander', output: { text: '', object } });
    const everything = allText(report);
    expect(everything).not.toMatch(/<[!@#]/);
    expect(everything).not.toContain('<https://');
    expect(everything).toContain('&lt;!channel&gt; wake up &lt;@U0CEO00001|ceo&gt;');
    expect(everything).toContain('&amp; @\u2060here');
    // Slack's own view of the message: it accepts it, and it parses no mention out of it.
    const slack = await postToFakeSlack(report);
    const posted = slack.messages[0]!;
    expect(allText(posted)).not.toMatch(/<[!@#]/);
    // And a plain text answer the same.
    const plain = renderRunReport({ ...base, output: { text: `# Done\n${hostile}` } });
    expect(allText(plain)).not.toMatch(/<[!@#]/);
  });

  it('keeps a huge answer within Slack limits, saying what was cut', async () => {
    const paragraph = `${'The orders model failed because '.repeat(40)}\n`;
    const long = renderRunReport({ ...base, output: { text: paragraph.repeat(200) } });
    expect(long.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
    expect(texts(long.blocks).join('\n')).toMatch(
      /more sections cut: the whole answer is in `agentry runs show/,
    );
    await postToFakeSlack(long);

    const object = {
      summary: 'x'.repeat(20_000),
      evidence: Array.from({ length: 5000 }, (_, index) => `line ${index} <&> of the log`),
      ...Object.fromEntries(Array.from({ length: 60 }, (_, index) => [`field_${index}`, `value ${index}`])),
    };
    const structured = renderRunReport({ ...base, output: { text: '', object } });
    expect(structured.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
    const cuts = texts(structured.blocks).filter((text) => text.includes('… cut: the whole answer is in'));
    // The summary (one long line) and the evidence (many short lines) are each cut with a note.
    expect(cuts.map((text) => text.length <= 3000)).toEqual([true, true]);
    expect(cuts[1]).toMatch(/• line \d+ &lt;&amp;&gt; of the log\n_… cut/);
    await postToFakeSlack(structured);

    const longTitle = renderRunReport({ ...base, output: { text: '', object: { title: '&'.repeat(400) } } });
    await postToFakeSlack(longTitle);
  });

  it('reports a failed run with its reason and error', () => {
    const report = renderRunReport({
      ...base,
      status: 'FAILED',
      failureReason: 'timeout',
      error: 'the run took longer than limits.timeout 10m',
      output: null,
    });
    expect(report.blocks[0]).toMatchObject({ text: { text: ':x: incident-commander failed (timeout)' } });
    expect(texts(report.blocks)).toContain('*Failed*\ntimeout: the run took longer than limits.timeout 10m');
    expect(report.text).toBe(
      'incident-commander failed (timeout): the run took longer than limits.timeout 10m',
    );
  });
});

describe('renderBlocksAsText', () => {
  it('renders a report for a terminal', () => {
    const report = renderRunReport({
      ...base,
      output: { text: '', object: { ...incident, summary: 'a < b & c' } },
      mentions: new Map([['jane.doe@acme.test', 'U0JANE0001']]),
    });
    const text = renderBlocksAsText(report.blocks);
    expect(text.split('\n')[0]).toBe(`✅ ${incident.title}`);
    expect(text).toContain('Agent: incident-commander\nStatus: ✅ completed\nDuration: 6m 3s');
    expect(text).toContain('Owner: @U0JANE0001 (Jane Doe · jane.doe@acme.test)');
    expect(text).toContain('*Summary*\na < b & c');
    expect(text).toContain('• `orders`');
    expect(text).toContain('agentry runs show 01JREPORT0000000000000000');
    expect(
      renderBlocksAsText([{ type: 'section', text: { type: 'mrkdwn', text: 'bell\u0007 \u001b[31mred' } }]),
    ).toBe('bell [31mred');
  });
});
