/**
 * The worker thread that matches a {@link SearchPattern} with RE2 (re2js), so that even a slow
 * pattern never holds the process's event loop: the run's timeout, a cancel and `/healthz` go on,
 * and stopping the search is `worker.terminate()`.
 *
 * Imports only packages (no relative modules at run time), so Node can also start it from its
 * TypeScript source when Agentry runs unbuilt (the tests).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RE2JS } from 're2js';
import type { MatchReply, MatchRequest, PatternWorkerData } from './pattern-matcher.js';

const { source, flags, prefilter, caseSensitive } = workerData as PatternWorkerData;
const pattern = RE2JS.compile(source, flags);
/**
 * Texts one of which every matching line contains, as a V8 expression of literal alternatives
 * (no quantifier, no group: it cannot backtrack). With the `u` flag V8 folds case as RE2 does.
 */
const required = prefilter
  ? new RegExp(
      prefilter.map((text) => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('|'),
      caseSensitive ? 'u' : 'iu',
    )
  : undefined;
const port = parentPort!;
/**
 * Time per batch spent finding where matches start. `test` runs on RE2's DFA; `exec` needs the
 * NFA, which costs the pattern's size per character: a large pattern that matches a thousand long
 * lines would spend seconds there. Past the budget a long line is shown from its start.
 */
const POSITION_BUDGET_MS = 100;

port.on('message', (request: MatchRequest) => {
  const hits: number[] = [];
  const positions: number[] = [];
  const positionsUntil = performance.now() + POSITION_BUDGET_MS;
  for (let index = 0; index < request.lines.length && hits.length < request.limit; index++) {
    const line = request.lines[index]!;
    if (required && !required.test(line)) continue;
    if (!pattern.test(line)) continue;
    hits.push(index);
    const wanted = line.length > request.positionsOver && performance.now() < positionsUntil;
    positions.push(wanted ? ((pattern.exec(line) as RegExpExecArray | null)?.index ?? 0) : 0);
  }
  const reply: MatchReply = { id: request.id, hits, positions };
  port.postMessage(reply);
});
