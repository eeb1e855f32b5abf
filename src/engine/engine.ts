import { generateText, jsonSchema, type ModelMessage, type ToolSet, tool, zodSchema } from 'ai';
import type { z } from 'zod';
import { describeError, isAgentryError } from '../errors.js';
import { costUsd, type ResolvedModel, resolveModel, toModelError } from '../models/index.js';
import { WORKSPACE_DIFF } from '../sandbox/artifacts.js';
import type { Sandbox, SandboxDriver } from '../sandbox/driver.js';
import { Redactor } from '../secrets/redactor.js';
import { durationMs } from '../spec/duration.js';
import type { LoadedAgent, Project } from '../spec/index.js';
import { DuplicateRunError } from '../store/errors.js';
import type { RunStore } from '../store/run-store.js';
import {
  type FailureReason,
  type RunOutput,
  type RunRecord,
  type RunStatus,
  type RunTrigger,
  TERMINAL_STATUSES,
  type Usage,
} from '../store/types.js';
import { ToolExecutor } from '../tools/executor.js';
import type { ToolRegistry } from '../tools/registry.js';
import { builtinToolRegistry } from '../tools/registry.js';
import { RunResources } from '../tools/run-resources.js';
import { addUsage, Budget } from './budget.js';
import { AgentNotFoundError, RunStateError } from './errors.js';
import type { RunEventPayloads } from './events.js';
import { currentOwner } from './owner.js';
import { PromptCache } from './prompt-cache.js';
import { type RunEventListener, RunRecorder } from './recorder.js';
import { openRunNotifier, type RunNotifier } from './run-notifier.js';
import { type ChildRunner, Squad, type SquadLimits } from './squad.js';
import { parseStructuredOutput } from './structured-output.js';
import { buildSystemPrompt } from './system-prompt.js';

export interface EngineOptions {
  project: Project;
  store: RunStore;
  sandbox: SandboxDriver;
  tools?: ToolRegistry;
  /** Defaults to one built from the project's config and `env`. */
  redactor?: Redactor;
  env?: NodeJS.ProcessEnv;
  /** `host:pid` written on runs this engine executes. */
  owner?: string;
  /** How often a running run writes a heartbeat and looks for a cancel request from elsewhere. */
  heartbeatMs?: number;
}

export interface TriggerOptions {
  trigger?: RunTrigger;
  /** Commit-ish the workspace is made from; `HEAD` when absent. */
  baseRef?: string;
  parentRunId?: string;
  /** Aborting it cancels the run (Ctrl-C, a cancel request); a string `reason` is recorded. */
  signal?: AbortSignal;
  /** The first turn's message, stored (redacted) with the run so `executeRun` can start it later. */
  message?: string;
  /** How long `trigger.idempotencyKey` holds; 24 hours when absent. */
  idempotencyWindowMs?: number;
}

/** Why the engine stopped a turn before the model finished. */
class RunStop extends Error {
  constructor(
    readonly status: Exclude<RunStatus, 'PENDING' | 'RUNNING' | 'COMPLETED'>,
    readonly reason: FailureReason | null,
    message: string,
  ) {
    super(message);
  }
}

type AbortCause = { kind: 'cancelled'; by: string } | { kind: 'timeout'; afterMs: number };

/** A turn of a child run: it spends from its parent's budget and sits one level below it. */
interface ChildTurn {
  parentBudget: Budget;
  depth: number;
}

const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

/**
 * Runs agents: the run state machine, the model↔tool loop, limits and cancellation. Every trigger
 * (CLI, API, cron, webhook, another agent) ends in `triggerRun`.
 */
export class Engine {
  private readonly project: Project;
  private readonly store: RunStore;
  private readonly sandboxDriver: SandboxDriver;
  private readonly tools: ToolRegistry;
  private readonly redactor: Redactor;
  private readonly env: NodeJS.ProcessEnv;
  private readonly owner: string;
  private readonly heartbeatMs: number;
  private readonly listeners = new Set<RunEventListener>();
  /** Models that built once build again: config and env are fixed for this engine's life. */
  private readonly buildableModels = new Set<string>();

  constructor(options: EngineOptions) {
    this.project = options.project;
    this.store = options.store;
    this.sandboxDriver = options.sandbox;
    this.tools = options.tools ?? builtinToolRegistry();
    this.env = options.env ?? process.env;
    this.redactor = options.redactor ?? Redactor.fromConfig(options.project.config, this.env);
    this.owner = options.owner ?? currentOwner();
    this.heartbeatMs = options.heartbeatMs ?? 1000;
  }

  /** Listen to every event of every run this engine records. Returns the unsubscribe function. */
  on(listener: RunEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Create a run and execute its first turn to the end. */
  async triggerRun(agentName: string, message: string, options: TriggerOptions = {}): Promise<RunRecord> {
    const run = await this.createRun(agentName, { ...options, message });
    return this.executeTurn(run.id, message, options.signal, 'first');
  }

  /**
   * Create a PENDING run. Fails before any side effect when the agent is unknown or its model
   * cannot be built (a missing key), so a bad trigger leaves nothing behind. With an idempotency
   * key already held by a run of the agent, returns that run.
   */
  async createRun(agentName: string, options: TriggerOptions = {}): Promise<RunRecord> {
    return (await this.createRunOnce(agentName, options)).run;
  }

  /**
   * Like `createRun`, saying whether the run is new (`created`) or the one that already holds
   * `trigger.idempotencyKey` for this agent within the window (no second run, no second event).
   */
  async createRunOnce(
    agentName: string,
    options: TriggerOptions = {},
  ): Promise<{ run: RunRecord; created: boolean }> {
    const agent = this.agent(agentName);
    if (!this.buildableModels.has(agent.spec.model)) {
      resolveModel(agent.spec.model, this.project.config, this.env);
      this.buildableModels.add(agent.spec.model);
    }
    const trigger = options.trigger ?? { kind: 'cli' };
    let run: RunRecord;
    try {
      run = await this.store.createRun({
        agent: agent.name,
        agentHash: agent.hash,
        baseRef: options.baseRef ?? 'HEAD',
        trigger,
        parentRunId: options.parentRunId ?? null,
        message: options.message === undefined ? null : this.redactor.redactText(options.message),
        owner: this.owner,
        idempotencyWindowMs: options.idempotencyWindowMs,
      });
    } catch (error) {
      if (error instanceof DuplicateRunError) return { run: error.existing, created: false };
      throw error;
    }
    await this.recorder(run.id).event('run.created', {
      agent: agent.name,
      agentHash: agent.hash,
      agentVersion: agent.spec.version,
      trigger,
      baseRef: run.baseRef,
      parentRunId: run.parentRunId,
    });
    return { run, created: true };
  }

  /**
   * Execute the first turn of a PENDING run made by `createRun`, with the message stored on it:
   * what a queue's worker calls. Throws `RunStateError` when the run has started or ended.
   */
  async executeRun(runId: string, options: { signal?: AbortSignal } = {}): Promise<RunRecord> {
    const run = await this.store.getRun(runId);
    if (!run) throw new RunStateError(`no run ${runId}: list runs with 'agentry runs list'`);
    if (run.message === null) {
      throw new RunStateError(`run ${runId} has no stored message to start with: trigger a new run`);
    }
    return this.executeTurn(runId, run.message, options.signal, 'first');
  }

  /** Continue a finished run with a follow-up message: a new turn in the same conversation. */
  async reply(runId: string, message: string, options: { signal?: AbortSignal } = {}): Promise<RunRecord> {
    return this.executeTurn(runId, message, options.signal, 'follow-up');
  }

  /**
   * Ask for a run to stop. A PENDING run is cancelled at once; a RUNNING one is aborted by its
   * owner (this process or another) at its next heartbeat. `by` and `reason` say who and why
   * (a PENDING run keeps `reason` as its error).
   */
  async requestCancel(
    runId: string,
    options: { by?: string; reason?: string } = {},
  ): Promise<RunRecord | undefined> {
    const now = new Date().toISOString();
    const pending = await this.store.updateRun(runId, ['PENDING'], {
      status: 'CANCELLED',
      endedAt: now,
      cancelRequestedAt: now,
      ...(options.reason ? { error: options.reason } : {}),
    });
    if (pending) {
      await this.recorder(runId).event('run.cancelled', {
        by: options.by ?? 'request',
        turn: pending.turns,
        ...(options.reason ? { reason: options.reason } : {}),
      });
      return (await this.store.getRun(runId)) ?? pending;
    }
    return this.store.updateRun(runId, ['RUNNING'], { cancelRequestedAt: now });
  }

  private agent(name: string): LoadedAgent {
    const agent = this.project.agents.get(name);
    if (!agent) throw new AgentNotFoundError(name, [...this.project.agents.keys()].sort());
    return agent;
  }

  private recorder(runId: string): RunRecorder {
    return new RunRecorder(this.store, this.redactor, runId, this.listeners);
  }

  /** Run one turn (the first or a follow-up) from RUNNING to a terminal state. */
  private async executeTurn(
    runId: string,
    message: string,
    signal: AbortSignal | undefined,
    kind: 'first' | 'follow-up',
    child?: ChildTurn,
  ): Promise<RunRecord> {
    const existing = await this.store.getRun(runId);
    if (!existing) throw new RunStateError(`no run ${runId}: list runs with 'agentry runs list'`);
    const agent = this.agent(existing.agent);
    const model = resolveModel(agent.spec.model, this.project.config, this.env);
    const isFirst = kind === 'first';
    const now = new Date().toISOString();
    const run = await this.store.updateRun(runId, isFirst ? ['PENDING'] : TERMINAL_STATUSES, {
      status: 'RUNNING',
      startedAt: isFirst ? now : existing.startedAt,
      endedAt: null,
      failureReason: null,
      error: null,
      owner: this.owner,
      heartbeatAt: now,
      cancelRequestedAt: null,
      turns: existing.turns + 1,
    });
    if (!run) {
      throw new RunStateError(
        `run ${runId} is ${existing.status}: ` +
          (isFirst
            ? 'it has started already'
            : existing.status === 'PENDING'
              ? 'it has not started yet; reply once it has finished'
              : 'wait for it to finish, or cancel it, before replying'),
      );
    }
    const turn = new Turn(this, agent, model, run, message, this.recorder(runId), child);
    return turn.execute(signal);
  }

  /** Create and run a child run for a parent's `invoke_agent` call, within the parent's limits. */
  private readonly runChild: ChildRunner = async (agent, message, { parent, depth, signal, onCreated }) => {
    const run = await this.createRun(agent, {
      trigger: {
        kind: 'agent',
        source: parent.agent.name,
        metadata: { parent_run_id: parent.run.id, parent_agent: parent.agent.name, depth },
      },
      parentRunId: parent.run.id,
      baseRef: parent.baseCommit,
      message,
    });
    await onCreated(run);
    return this.executeTurn(run.id, message, signal, 'first', { parentBudget: parent.budget, depth });
  };

  /** @internal Pieces a turn needs; kept here so the turn holds no configuration of its own. */
  get internals() {
    return {
      store: this.store,
      sandboxDriver: this.sandboxDriver,
      tools: this.tools,
      redactor: this.redactor,
      project: this.project,
      heartbeatMs: this.heartbeatMs,
      owner: this.owner,
      env: this.env,
      runChild: this.runChild,
      squadLimits: {
        maxDepth: this.project.config.squads.max_depth,
        maxParallel: this.project.config.squads.max_parallel,
      },
    };
  }
}

/** One turn of one run: provision, loop model↔tools within the limits, tear down, record the end. */
class Turn {
  private readonly controller = new AbortController();
  private readonly resources = new RunResources();
  private readonly startedAt = performance.now();
  private usage: Usage;
  private budget: Budget;
  private notifier: RunNotifier | undefined;
  private step = 0;
  /** The conversation as the provider got it, so each step's call validates only what is new. */
  private prompt: PromptCache | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly agent: LoadedAgent,
    private readonly model: ResolvedModel,
    private readonly run: RunRecord,
    private readonly message: string,
    private readonly recorder: RunRecorder,
    private readonly child?: ChildTurn,
  ) {
    this.usage = { ...(run.usage ?? ZERO_USAGE) };
    this.budget = this.newBudget(this.usage);
  }

  private newBudget(used: Usage): Budget {
    const { limits } = this.agent.spec;
    return new Budget(
      this.run.id,
      this.agent.name,
      { maxTokens: limits.max_tokens, maxCostUsd: limits.max_cost_usd },
      used,
      this.child?.parentBudget,
    );
  }

  /** How far below a top-level run this one is: 0 for a run a person or system started. */
  private get depth(): number {
    if (this.child) return this.child.depth;
    const depth = Number(this.run.trigger.metadata?.['depth'] ?? 0);
    return Number.isFinite(depth) ? depth : 0;
  }

  /** A follow-up turn's budget starts from what the run and its children have spent before. */
  private async countChildrenSpend(): Promise<void> {
    if (this.turnNumber === 1) return;
    const children = await this.engine.internals.store.listRuns({ parentRunId: this.run.id, limit: 10_000 });
    if (children.length === 0) return;
    this.budget = this.newBudget(children.reduce((sum, child) => addUsage(sum, child.usage), this.usage));
  }

  private get turnNumber(): number {
    return this.run.turns;
  }

  async execute(signal: AbortSignal | undefined): Promise<RunRecord> {
    const { spec } = this.agent;
    const timeoutMs = durationMs(spec.limits.timeout);
    const stopWatching = this.watch(signal, timeoutMs);
    let sandbox: Sandbox | undefined;
    let outcome: {
      status: RunStatus;
      reason: FailureReason | null;
      error: string | null;
      output: RunOutput | null;
    };
    try {
      if (this.turnNumber === 1) this.recordStart();
      await this.countChildrenSpend();
      await this.recorder.event('turn.started', { turn: this.turnNumber, message: this.message });
      await this.openNotifier();
      sandbox = await this.provision();
      const output = await this.loop(sandbox);
      outcome = { status: 'COMPLETED', reason: null, error: null, output };
    } catch (error) {
      outcome = { ...this.classify(error, timeoutMs), output: null };
    } finally {
      stopWatching();
      await this.resources.closeAll();
    }
    if (sandbox) await this.destroy(sandbox, await this.keepArtifacts(sandbox));
    return this.finish(outcome);
  }

  /** The run's Slack thread (or outbox), when its agent or trigger names a channel. Never throws. */
  private async openNotifier(): Promise<void> {
    // A child reports through its parent's thread (its progress line), not a thread of its own.
    if (this.run.parentRunId) return;
    const { project, env, redactor, store } = this.engine.internals;
    this.notifier = await openRunNotifier({
      config: project.config,
      env,
      redactor,
      store,
      agent: this.agent,
      run: this.run,
      record: async (type, payload) => {
        await this.recorder.event(type, payload as never);
      },
    });
    await this.notifier?.started(this.message);
  }

  /** Staged: it goes to the store with `turn.started`, which follows at once. */
  private recordStart(): void {
    const { spec } = this.agent;
    const internals = this.engine.internals;
    this.recorder.stage('run.started', {
      agent: this.agent.name,
      agentHash: this.agent.hash,
      model: { name: this.model.name, provider: this.model.provider, id: this.model.modelId },
      tools: internals.tools.allowedFor(spec.tools),
      limits: spec.limits,
      sandbox: internals.sandboxDriver.name,
      owner: internals.owner,
    });
  }

  /** Aborts the turn on the caller's signal, the timeout, or a cancel request seen in the store. */
  private watch(signal: AbortSignal | undefined, timeoutMs: number): () => void {
    const abort = (cause: AbortCause) => {
      if (!this.controller.signal.aborted) this.controller.abort(cause);
    };
    const onSignal = () =>
      abort({ kind: 'cancelled', by: typeof signal?.reason === 'string' ? signal.reason : 'signal' });
    if (signal?.aborted) onSignal();
    signal?.addEventListener('abort', onSignal, { once: true });
    const timeout = setTimeout(() => abort({ kind: 'timeout', afterMs: timeoutMs }), timeoutMs);
    const { store, heartbeatMs } = this.engine.internals;
    const heartbeat = setInterval(async () => {
      try {
        const current = await store.updateRun(this.run.id, ['RUNNING'], {
          heartbeatAt: new Date().toISOString(),
        });
        if (current?.cancelRequestedAt) abort({ kind: 'cancelled', by: 'request' });
      } catch {
        // A missed heartbeat is retried at the next tick; the run itself goes on.
      }
    }, heartbeatMs);
    return () => {
      clearTimeout(timeout);
      clearInterval(heartbeat);
      signal?.removeEventListener('abort', onSignal);
    };
  }

  private async provision(): Promise<Sandbox> {
    const { sandboxDriver, store, project } = this.engine.internals;
    const started = performance.now();
    const baseRef = this.run.repoCommit ?? this.run.baseRef ?? 'HEAD';
    // A follow-up turn starts where the last one ended: its workspace diff is re-applied.
    const restoreDiff =
      this.turnNumber > 1 ? await store.getArtifactContent(this.run.id, WORKSPACE_DIFF) : undefined;
    const sandbox = await sandboxDriver.provision({
      runId: this.run.id,
      repoRoot: project.root,
      baseRef,
      network: this.agent.spec.sandbox?.network,
      restoreDiff,
    });
    if (!this.run.repoCommit) this.recorder.stageUpdate({ repoCommit: sandbox.baseCommit });
    await this.recorder.event('sandbox.provisioned', {
      driver: sandbox.driver,
      method: sandbox.method,
      baseCommit: sandbox.baseCommit,
      branch: sandbox.branch,
      durationMs: elapsedMs(started),
      isolation: sandbox.isolation,
      ...(restoreDiff?.length ? { restoredDiff: true } : {}),
    });
    return sandbox;
  }

  /**
   * Store the files the agent kept and the workspace diff before the sandbox goes. Returns why
   * that failed, if it did: the run's outcome stands either way.
   */
  private async keepArtifacts(sandbox: Sandbox): Promise<string | undefined> {
    const { store } = this.engine.internals;
    try {
      for (const artifact of await sandbox.collectArtifacts()) {
        const stored = await store.putArtifact(
          this.run.id,
          artifact.name,
          artifact.mediaType,
          artifact.content,
        );
        await this.recorder.event('artifact.created', {
          ...artifact.details,
          name: stored.name,
          mediaType: stored.mediaType,
          size: stored.size,
          sha256: stored.sha256,
          turn: this.turnNumber,
        });
      }
      return undefined;
    } catch (error) {
      return describeError(error);
    }
  }

  private async destroy(sandbox: Sandbox, artifactsError?: string): Promise<void> {
    const started = performance.now();
    const extra = artifactsError ? { artifactsError } : {};
    try {
      await sandbox.destroy();
      await this.recorder.event('sandbox.destroyed', { durationMs: elapsedMs(started), ...extra });
    } catch (error) {
      await this.recorder.event('sandbox.destroyed', {
        durationMs: elapsedMs(started),
        error: describeError(error),
        ...extra,
      });
    }
  }

  /** The model↔tool loop. Returns the final answer, or throws a RunStop. */
  private async loop(sandbox: Sandbox): Promise<RunOutput> {
    const { spec } = this.agent;
    const { tools: registry } = this.engine.internals;
    const allowed = registry.allowedFor(spec.tools);
    const executor = new ToolExecutor(registry, allowed, this.agent.name);
    const offered = this.offeredTools(allowed);
    const squad = allowed.includes('invoke_agent') ? this.squad(sandbox) : undefined;
    const { system, history } = await this.conversation(sandbox, allowed);
    const userMessage: ModelMessage = { role: 'user', content: this.message };
    const messages: ModelMessage[] = [...history, userMessage];
    this.recorder.stageMessages(this.turnNumber, [userMessage]);

    // Each step writes twice: the request (with what the last step staged) before the model is
    // called, and the answer, usage and conversation with the first tool call before it runs.
    for (let step = 1; step <= spec.limits.max_steps; step++) {
      this.step = step;
      this.throwIfAborted();
      await this.recorder.event('model.request', {
        turn: this.turnNumber,
        step,
        model: this.model.name,
        tools: allowed,
        messageCount: messages.length,
        ...(step === 1 ? { system } : {}),
      });
      const started = performance.now();
      const result = await this.callModel(system, messages, offered);
      const stepUsage = {
        inputTokens: result.usage.inputTokens ?? 0,
        outputTokens: result.usage.outputTokens ?? 0,
      };
      this.addUsage(stepUsage.inputTokens, stepUsage.outputTokens);
      const toolCalls = result.content.filter((part) => part.type === 'tool-call');
      const { text } = this.recorder.stage('model.response', {
        turn: this.turnNumber,
        step,
        text: result.text,
        toolCalls: toolCalls.map((call) => ({ id: call.toolCallId, tool: call.toolName, input: call.input })),
        finishReason: result.finishReason,
        usage: stepUsage,
        durationMs: elapsedMs(started),
      });
      this.recorder.stageUpdate({ usage: this.usage });
      const assistant = result.response.messages.filter((message) => message.role === 'assistant');
      messages.push(...assistant);
      this.recorder.stageMessages(this.turnNumber, assistant);
      this.checkBudget();

      if (toolCalls.length === 0) {
        const final = this.finalAnswer(text);
        if (final.ok) return final.output;
        const retry: ModelMessage = { role: 'user', content: final.retryMessage };
        messages.push(retry);
        this.recorder.stageMessages(this.turnNumber, [retry]);
        continue;
      }

      const outputs = await this.callTools(executor, sandbox, squad, toolCalls);
      const toolMessage: ModelMessage = {
        role: 'tool',
        content: toolCalls.map((call, index) => ({
          type: 'tool-result' as const,
          toolCallId: call.toolCallId,
          toolName: call.toolName,
          output: outputs[index]!,
        })),
      };
      messages.push(toolMessage);
      this.recorder.stageMessages(this.turnNumber, [toolMessage]);
      // Child runs spend from this run's budget: stop before the next model call if they spent it.
      this.checkBudget();
    }
    throw new RunStop(
      'FAILED',
      'max-steps',
      `stopped after ${spec.limits.max_steps} steps without a final answer: raise limits.max_steps in .agentry/agents/${this.agent.name}.yml or narrow the goal`,
    );
  }

  /** The system prompt and earlier turns' messages (a follow-up keeps the first turn's system prompt). */
  private async conversation(
    sandbox: Sandbox,
    allowed: string[],
  ): Promise<{ system: string; history: ModelMessage[] }> {
    const stored = this.turnNumber > 1 ? await this.engine.internals.store.listMessages(this.run.id) : [];
    const storedSystem = stored.find((message) => message.role === 'system');
    const history = stored
      .filter((message) => message.role !== 'system')
      .map((message) => ({ role: message.role, content: message.content }) as ModelMessage);
    if (storedSystem) return { system: storedSystem.content as string, history };
    const system = await buildSystemPrompt({
      spec: this.agent.spec,
      workspaceRoot: sandbox.session.root,
      baseCommit: sandbox.baseCommit,
      toolNames: allowed,
    });
    this.recorder.stageMessages(this.turnNumber, [{ role: 'system', content: system }]);
    return { system, history };
  }

  /** The tools the model is offered: only allowed ones, schemas only (the engine executes them). */
  private offeredTools(allowed: readonly string[]): ToolSet {
    const { tools: registry } = this.engine.internals;
    const { project } = this.engine.internals;
    const offer = { spec: this.agent.spec, agent: (name: string) => project.agents.get(name)?.spec };
    const offered: ToolSet = {};
    for (const name of allowed) {
      const definition = registry.get(name)!;
      const description = definition.describeFor?.(offer) ?? definition.description;
      offered[name] = tool({ description, inputSchema: offeredSchema(definition.inputSchema) });
    }
    return offered;
  }

  /** The squad behind this turn's `invoke_agent` calls. */
  private squad(sandbox: Sandbox): Squad {
    const { runChild, squadLimits } = this.engine.internals;
    const limits: SquadLimits = { ...squadLimits, maxChildRuns: this.agent.spec.limits.max_child_runs };
    return new Squad(
      {
        run: this.run,
        agent: this.agent,
        recorder: this.recorder,
        budget: this.budget,
        signal: this.controller.signal,
        depth: this.depth,
        baseCommit: sandbox.baseCommit,
        onChild: this.notifier && {
          started: (child) => this.notifier!.childStarted(child),
          ended: (child) => this.notifier!.childEnded(child),
        },
      },
      limits,
      runChild,
    );
  }

  /**
   * Run one step's tool calls. Consecutive calls of concurrent tools (readers, `invoke_agent`) run
   * at once; any other call runs alone, in the order the model gave. Outputs keep the calls' order.
   */
  private async callTools(
    executor: ToolExecutor,
    sandbox: Sandbox,
    squad: Squad | undefined,
    calls: readonly { toolCallId: string; toolName: string; input: unknown }[],
  ): Promise<ToolOutput[]> {
    const { tools: registry } = this.engine.internals;
    const concurrent = (index: number) => registry.get(calls[index]!.toolName)?.concurrent === true;
    const outputs: ToolOutput[] = [];
    let index = 0;
    while (index < calls.length) {
      this.throwIfAborted();
      let end = index + 1;
      if (concurrent(index)) while (end < calls.length && concurrent(end)) end += 1;
      const batch = calls.slice(index, end);
      // A lone call's outcome waits for the next write (a few microseconds); in a batch each is
      // written as it ends, so a slow sibling does not hold back what the trail says.
      const stageEnd = batch.length === 1;
      const results = await Promise.all(
        batch.map((call) =>
          this.callTool(executor, sandbox, squad, call.toolCallId, call.toolName, call.input, stageEnd),
        ),
      );
      outputs.push(...results);
      index = end;
    }
    return outputs;
  }

  private async callModel(system: string, messages: ModelMessage[], tools: ToolSet) {
    this.prompt ??= new PromptCache(this.model.model);
    try {
      const result = await generateText({
        model: this.prompt.model,
        system,
        messages: this.prompt.messagesFor(messages),
        tools,
        abortSignal: this.controller.signal,
        maxOutputTokens: this.model.maxOutputTokens,
        temperature: this.model.temperature,
        maxRetries: 2,
      });
      this.prompt.keep(messages);
      return result;
    } catch (error) {
      this.throwIfAborted();
      throw toModelError(error, this.model);
    }
  }

  private async callTool(
    executor: ToolExecutor,
    sandbox: Sandbox,
    squad: Squad | undefined,
    callId: string,
    name: string,
    input: unknown,
    stageEnd: boolean,
  ): Promise<ToolOutput> {
    const record = async <Type extends 'tool-call.denied' | 'tool-call.failed' | 'tool-call.completed'>(
      type: Type,
      payload: RunEventPayloads[Type],
    ): Promise<RunEventPayloads[Type]> => {
      const stored = this.recorder.stage(type, payload);
      if (!stageEnd) await this.recorder.flush();
      return stored;
    };
    await this.recorder.event('tool-call.started', { step: this.step, callId, tool: name, input });
    const { project, env } = this.engine.internals;
    const outcome = await executor.call(name, input, {
      runId: this.run.id,
      agent: this.agent.name,
      spec: this.agent.spec,
      config: project.config,
      projectRoot: project.root,
      env,
      resources: this.resources,
      session: sandbox.session,
      signal: this.controller.signal,
      callId,
      squad,
      store: this.engine.internals.store,
    });
    if (outcome.status === 'denied') {
      await record('tool-call.denied', {
        step: this.step,
        callId,
        tool: name,
        input,
        reason: outcome.error,
      });
      return { type: 'error-text', value: outcome.error };
    }
    if (outcome.status === 'failed') {
      const failed = await record('tool-call.failed', {
        step: this.step,
        callId,
        tool: name,
        code: outcome.code,
        error: outcome.error,
        durationMs: outcome.durationMs,
      });
      return { type: 'error-text', value: failed.error };
    }
    // The model never sees a secret either: a committed .env is masked before it reaches the prompt.
    // The output is redacted once, as stored, and the model is given that same value.
    const { output } = await record('tool-call.completed', {
      step: this.step,
      callId,
      tool: name,
      summary: outcome.summary,
      truncated: outcome.truncated,
      output: outcome.output,
      durationMs: outcome.durationMs,
    });
    return typeof output === 'string'
      ? { type: 'text', value: output }
      : { type: 'json', value: output as never };
  }

  private finalAnswer(text: string): { ok: true; output: RunOutput } | { ok: false; retryMessage: string } {
    const schema = this.agent.spec.output?.schema;
    if (!schema) return { ok: true, output: { text } };
    const parsed = parseStructuredOutput(text, schema);
    if (parsed.ok) return { ok: true, output: { text, object: parsed.value } };
    return {
      ok: false,
      retryMessage: `Your reply does not match the required output schema (${parsed.problem}). Reply again with only the JSON value.`,
    };
  }

  private addUsage(inputTokens: number, outputTokens: number): void {
    const delta = {
      inputTokens,
      outputTokens,
      costUsd: costUsd(this.model.pricing, inputTokens, outputTokens),
    };
    this.usage = addUsage(this.usage, delta);
    this.budget.add(delta);
  }

  /** Stops the run when its budget, or that of an ancestor covering it, is spent. */
  private checkBudget(): void {
    const overrun = this.budget.overrun();
    if (overrun) throw new RunStop('FAILED', 'budget', overrun.message);
  }

  private throwIfAborted(): void {
    if (!this.controller.signal.aborted) return;
    const cause = this.controller.signal.reason as AbortCause;
    if (cause.kind === 'timeout') {
      throw new RunStop(
        'FAILED',
        'timeout',
        `timed out after ${cause.afterMs / 1000}s: raise limits.timeout in .agentry/agents/${this.agent.name}.yml`,
      );
    }
    throw new RunStop('CANCELLED', null, `cancelled (${cause.by})`);
  }

  private classify(
    error: unknown,
    _timeoutMs: number,
  ): { status: RunStatus; reason: FailureReason | null; error: string | null } {
    // An abort can surface as any error from deep inside a call: the signal says what happened.
    if (!(error instanceof RunStop) && this.controller.signal.aborted) {
      try {
        this.throwIfAborted();
      } catch (stop) {
        error = stop;
      }
    }
    if (error instanceof RunStop) return { status: error.status, reason: error.reason, error: error.message };
    const message = isAgentryError(error) ? error.message : `internal error: ${describeError(error)}`;
    return { status: 'FAILED', reason: 'error', error: this.engine.internals.redactor.redactText(message) };
  }

  private async finish(outcome: {
    status: RunStatus;
    reason: FailureReason | null;
    error: string | null;
    output: RunOutput | null;
  }): Promise<RunRecord> {
    const { store } = this.engine.internals;
    // Whatever the step staged is written before anything leaves the process (the Slack report).
    await this.recorder.flush();
    const output = outcome.output ? this.recorder.redact(outcome.output) : null;
    // Reported before the run is marked ended, so its notification events precede the last one.
    await this.notifier?.finished({
      status: outcome.status,
      failureReason: outcome.reason,
      error: outcome.error,
      output,
      usage: this.usage,
      durationMs: elapsedMs(this.startedAt),
    });
    const patch = {
      status: outcome.status,
      failureReason: outcome.reason,
      error: outcome.error,
      endedAt: new Date().toISOString(),
      usage: this.usage,
      output: output ?? this.run.output,
      owner: null,
      heartbeatAt: null,
    };
    const common = {
      turn: this.turnNumber,
      steps: this.step,
      usage: this.usage,
      durationMs: elapsedMs(this.startedAt),
    };
    // The end and its event in one write, which the store seals in its ledger. When another
    // process resolved the run meanwhile (a restart marked it worker-lost), its record stands.
    const running = ['RUNNING'] as const;
    if (outcome.status === 'COMPLETED') {
      await this.recorder.end(running, patch, 'run.completed', { ...common, output });
    } else if (outcome.status === 'CANCELLED') {
      await this.recorder.end(running, patch, 'run.cancelled', { ...common, reason: outcome.error });
    } else {
      await this.recorder.end(running, patch, 'run.failed', {
        ...common,
        reason: outcome.reason,
        error: outcome.error,
      });
    }
    // Read back after the last event, so the record's eventCount and headHash include it.
    const final = await store.getRun(this.run.id);
    if (final === undefined) throw new RunStateError(`run ${this.run.id} is gone from the store`);
    return final;
  }
}

/** Tool input schemas as the model is offered them, made once per process. */
const OFFERED_SCHEMAS = new WeakMap<z.ZodType, ReturnType<typeof jsonSchema>>();

/**
 * The input schema the model is offered: the JSON Schema the AI SDK would send for the zod
 * schema, made once. Handed a zod schema, the SDK converts it again and validates every call's
 * input on every model call; the executor validates with zod itself (and answers the model when
 * the input is invalid), so the SDK needs only the JSON Schema.
 */
function offeredSchema(schema: z.ZodType): ReturnType<typeof jsonSchema> {
  let offered = OFFERED_SCHEMAS.get(schema);
  if (!offered) {
    offered = jsonSchema(zodSchema(schema as never).jsonSchema);
    OFFERED_SCHEMAS.set(schema, offered);
  }
  return offered;
}

/** A tool result as the AI SDK's tool message carries it. */
type ToolOutput = { type: 'json'; value: never } | { type: 'text' | 'error-text'; value: string };

function elapsedMs(since: number): number {
  return Math.round(performance.now() - since);
}
