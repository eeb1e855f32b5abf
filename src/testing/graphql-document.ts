/**
 * A small reader and executor of GraphQL operations for the test doubles that speak a GraphQL API
 * (the fake Linear). It reads one query or mutation with variables, aliases, arguments and nested
 * selections, resolves root fields against plain objects, and answers only the fields asked for,
 * so a client that reads a field it did not select fails in tests as it would against the real
 * API. Fragments and directives are refused: the fakes serve named operations, not every client.
 */

/** An error a GraphQL server puts in `errors[]`: message, `extensions` and the HTTP status it is sent with. */
export class FakeGraphQLError extends Error {
  constructor(
    message: string,
    readonly extensions: Record<string, unknown>,
    /** The HTTP status of the whole answer when this error ends the request. */
    readonly httpStatus: number,
    readonly path?: string[],
  ) {
    super(message);
    this.name = 'FakeGraphQLError';
  }
}

/** A document that breaks GraphQL's grammar or the schema: HTTP 400, as servers answer it. */
export function validationError(message: string): FakeGraphQLError {
  return new FakeGraphQLError(
    message,
    { type: 'graphql error', code: 'GRAPHQL_VALIDATION_FAILED', userError: true },
    400,
  );
}

/** An argument value as written in the document. */
export type GraphQLValue =
  | { kind: 'variable'; name: string }
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'enum'; value: string }
  | { kind: 'list'; items: GraphQLValue[] }
  | { kind: 'object'; fields: Record<string, GraphQLValue> };

/** One field of a selection set. */
export interface GraphQLField {
  /** The key the answer uses: the alias, or the field's name. */
  responseKey: string;
  name: string;
  arguments: Record<string, GraphQLValue>;
  /** Empty for a scalar field. */
  selections: GraphQLField[];
}

/** A declared variable, e.g. `$id: String!`. */
export interface GraphQLVariableDefinition {
  name: string;
  /** As written, e.g. `String!`, `[String!]`. */
  type: string;
  required: boolean;
  defaultValue?: GraphQLValue;
}

/** The one operation of a document. */
export interface GraphQLOperation {
  type: 'query' | 'mutation';
  name: string | undefined;
  variables: GraphQLVariableDefinition[];
  selections: GraphQLField[];
}

/**
 * A value the executor resolves. A function is a field with arguments (a connection, a root
 * field): it is called with the field's resolved arguments, lazily, only when it is selected.
 * Objects name their type in `__typename`, for error messages.
 */
export type Resolvable =
  | string
  | number
  | boolean
  | null
  | Resolvable[]
  | { [key: string]: Resolvable | undefined }
  | ((args: Record<string, unknown>) => Resolvable);

type Token =
  | { kind: 'punct'; value: string; at: number }
  | { kind: 'name'; value: string; at: number }
  | { kind: 'number'; value: number; at: number }
  | { kind: 'string'; value: string; at: number };

const PUNCTUATORS = new Set(['{', '}', '(', ')', '[', ']', ':', '!', '$', '=', '@', '|', '&']);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index]!;
    if (char === '#') {
      while (index < source.length && source[index] !== '\n') index++;
      continue;
    }
    if (/[\s,\uFEFF]/.test(char)) {
      index++;
      continue;
    }
    if (source.startsWith('...', index)) {
      tokens.push({ kind: 'punct', value: '...', at: index });
      index += 3;
      continue;
    }
    if (PUNCTUATORS.has(char)) {
      tokens.push({ kind: 'punct', value: char, at: index });
      index++;
      continue;
    }
    const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(index, index + 256));
    if (name) {
      tokens.push({ kind: 'name', value: name[0], at: index });
      index += name[0].length;
      continue;
    }
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(index, index + 64));
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), at: index });
      index += number[0].length;
      continue;
    }
    if (source.startsWith('"""', index)) {
      const end = source.indexOf('"""', index + 3);
      if (end < 0) throw syntaxError('unterminated block string', index);
      tokens.push({ kind: 'string', value: source.slice(index + 3, end), at: index });
      index = end + 3;
      continue;
    }
    if (char === '"') {
      let end = index + 1;
      while (end < source.length && source[end] !== '"') {
        if (source[end] === '\n') throw syntaxError('unterminated string', index);
        end += source[end] === '\\' ? 2 : 1;
      }
      if (end >= source.length) throw syntaxError('unterminated string', index);
      let value: string;
      try {
        value = JSON.parse(source.slice(index, end + 1)) as string;
      } catch {
        throw syntaxError('invalid string', index);
      }
      tokens.push({ kind: 'string', value, at: index });
      index = end + 1;
      continue;
    }
    throw syntaxError(`unexpected character "${char}"`, index);
  }
  return tokens;
}

function syntaxError(what: string, at: number): FakeGraphQLError {
  return new FakeGraphQLError(
    `Syntax Error: ${what} at position ${at}.`,
    { type: 'graphql error', code: 'GRAPHQL_PARSE_FAILED', userError: true },
    400,
  );
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  operation(): GraphQLOperation {
    let type: GraphQLOperation['type'] = 'query';
    let name: string | undefined;
    let variables: GraphQLVariableDefinition[] = [];
    const first = this.peek();
    if (first?.kind === 'name') {
      if (first.value === 'subscription' || first.value === 'fragment') {
        throw validationError(`this fake serves queries and mutations, not a ${first.value}`);
      }
      if (first.value !== 'query' && first.value !== 'mutation') {
        throw syntaxError(`unexpected name "${first.value}"`, first.at);
      }
      type = first.value;
      this.position++;
      if (this.peek()?.kind === 'name') name = this.name();
      if (this.isPunct('(')) variables = this.variableDefinitions();
      this.refuseDirective();
    }
    const selections = this.selectionSet();
    const rest = this.peek();
    if (rest) {
      throw validationError(`this fake serves one operation per document; found more at position ${rest.at}`);
    }
    return { type, name, variables, selections };
  }

  private variableDefinitions(): GraphQLVariableDefinition[] {
    this.expect('(');
    const definitions: GraphQLVariableDefinition[] = [];
    while (!this.isPunct(')')) {
      this.expect('$');
      const name = this.name();
      this.expect(':');
      const type = this.type();
      let defaultValue: GraphQLValue | undefined;
      if (this.isPunct('=')) {
        this.position++;
        defaultValue = this.value();
      }
      definitions.push({ name, type, required: type.endsWith('!'), defaultValue });
    }
    this.expect(')');
    return definitions;
  }

  private type(): string {
    let type: string;
    if (this.isPunct('[')) {
      this.position++;
      type = `[${this.type()}]`;
      this.expect(']');
    } else {
      type = this.name();
    }
    if (this.isPunct('!')) {
      this.position++;
      type += '!';
    }
    return type;
  }

  private selectionSet(): GraphQLField[] {
    this.expect('{');
    const fields: GraphQLField[] = [];
    while (!this.isPunct('}')) {
      if (this.isPunct('...'))
        throw validationError('this fake does not read fragments; spell the fields out');
      const first = this.name();
      let name = first;
      if (this.isPunct(':')) {
        this.position++;
        name = this.name();
      }
      const args = this.isPunct('(') ? this.arguments() : {};
      this.refuseDirective();
      const selections = this.isPunct('{') ? this.selectionSet() : [];
      fields.push({ responseKey: first, name, arguments: args, selections });
    }
    this.expect('}');
    if (fields.length === 0) throw syntaxError('empty selection set', this.tokens[this.position - 1]!.at);
    return fields;
  }

  private arguments(): Record<string, GraphQLValue> {
    this.expect('(');
    const args: Record<string, GraphQLValue> = {};
    while (!this.isPunct(')')) {
      const name = this.name();
      this.expect(':');
      args[name] = this.value();
    }
    this.expect(')');
    return args;
  }

  private value(): GraphQLValue {
    const token = this.next();
    if (token.kind === 'number' || token.kind === 'string') return { kind: 'literal', value: token.value };
    if (token.kind === 'name') {
      if (token.value === 'true' || token.value === 'false') {
        return { kind: 'literal', value: token.value === 'true' };
      }
      if (token.value === 'null') return { kind: 'literal', value: null };
      return { kind: 'enum', value: token.value };
    }
    if (token.value === '$') return { kind: 'variable', name: this.name() };
    if (token.value === '[') {
      const items: GraphQLValue[] = [];
      while (!this.isPunct(']')) items.push(this.value());
      this.expect(']');
      return { kind: 'list', items };
    }
    if (token.value === '{') {
      const fields: Record<string, GraphQLValue> = {};
      while (!this.isPunct('}')) {
        const name = this.name();
        this.expect(':');
        fields[name] = this.value();
      }
      this.expect('}');
      return { kind: 'object', fields };
    }
    throw syntaxError(`unexpected "${token.value}"`, token.at);
  }

  private refuseDirective(): void {
    if (this.isPunct('@')) throw validationError('this fake does not read directives');
  }

  private name(): string {
    const token = this.next();
    if (token.kind !== 'name') throw syntaxError(`expected a name, found "${token.value}"`, token.at);
    return token.value;
  }

  private expect(punct: string): void {
    const token = this.next();
    if (token.kind !== 'punct' || token.value !== punct) {
      throw syntaxError(`expected "${punct}", found "${token.value}"`, token.at);
    }
  }

  private isPunct(punct: string): boolean {
    const token = this.peek();
    return token?.kind === 'punct' && token.value === punct;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw syntaxError('unexpected end of document', this.tokens.at(-1)?.at ?? 0);
    return token;
  }
}

/** Reads a document holding one operation. Throws a {@link FakeGraphQLError} (HTTP 400) when it cannot. */
export function parseOperation(source: string): GraphQLOperation {
  return new Parser(tokenize(source)).operation();
}

/**
 * Checks the request's variables against the operation's definitions, as GraphQL servers do
 * before executing: a required variable must be given, and every `$name` used must be declared.
 */
export function checkVariables(operation: GraphQLOperation, variables: Record<string, unknown>): void {
  const declared = new Set(operation.variables.map((definition) => definition.name));
  for (const definition of operation.variables) {
    const value = variables[definition.name];
    if (definition.required && (value === undefined || value === null) && !definition.defaultValue) {
      throw validationError(
        `Variable "$${definition.name}" of required type "${definition.type}" was not provided.`,
      );
    }
  }
  const visit = (value: GraphQLValue): void => {
    if (value.kind === 'variable' && !declared.has(value.name)) {
      throw validationError(`Variable "$${value.name}" is not defined.`);
    }
    if (value.kind === 'list') value.items.forEach(visit);
    if (value.kind === 'object') Object.values(value.fields).forEach(visit);
  };
  const walk = (fields: GraphQLField[]): void => {
    for (const field of fields) {
      Object.values(field.arguments).forEach(visit);
      walk(field.selections);
    }
  };
  walk(operation.selections);
}

/** An argument's value with variables put in (absent variables fall back to their defaults). */
export function resolveValue(
  value: GraphQLValue,
  variables: Record<string, unknown>,
  operation: GraphQLOperation,
): unknown {
  switch (value.kind) {
    case 'literal':
      return value.value;
    case 'enum':
      return value.value;
    case 'variable': {
      if (variables[value.name] !== undefined) return variables[value.name];
      const fallback = operation.variables.find((definition) => definition.name === value.name)?.defaultValue;
      return fallback ? resolveValue(fallback, variables, operation) : undefined;
    }
    case 'list':
      return value.items.map((item) => resolveValue(item, variables, operation));
    case 'object':
      return Object.fromEntries(
        Object.entries(value.fields).map(([key, field]) => [key, resolveValue(field, variables, operation)]),
      );
  }
}

/**
 * Executes the operation against a root object, field by field in document order (mutations run
 * in order, as GraphQL requires), and keeps only the selected fields.
 */
export function execute(
  operation: GraphQLOperation,
  root: Record<string, Resolvable | undefined>,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  return select(root, operation.selections, variables, operation, []) as Record<string, unknown>;
}

function select(
  value: Resolvable | undefined,
  selections: GraphQLField[],
  variables: Record<string, unknown>,
  operation: GraphQLOperation,
  path: string[],
): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((item) => select(item, selections, variables, operation, path));
  if (typeof value !== 'object' || typeof value === 'function') {
    if (selections.length > 0) {
      throw validationError(`Field "${path.at(-1)}" must not have a selection since it is a scalar.`);
    }
    return value;
  }
  const typeName = typeof value.__typename === 'string' ? value.__typename : 'Query';
  if (selections.length === 0) {
    throw validationError(
      `Field "${path.at(-1)}" of type "${typeName}" must have a selection of subfields. Did you mean "${path.at(-1)} { ... }"?`,
    );
  }
  const answer: Record<string, unknown> = {};
  for (const field of selections) {
    if (!(field.name in value)) {
      throw validationError(`Cannot query field "${field.name}" on type "${typeName}".`);
    }
    let fieldValue = value[field.name];
    if (typeof fieldValue === 'function') {
      const args = Object.fromEntries(
        Object.entries(field.arguments).map(([key, arg]) => [key, resolveValue(arg, variables, operation)]),
      );
      fieldValue = fieldValue(args);
    } else if (Object.keys(field.arguments).length > 0) {
      throw validationError(
        `Unknown argument "${Object.keys(field.arguments)[0]}" on field "${typeName}.${field.name}".`,
      );
    }
    answer[field.responseKey] = select(fieldValue, field.selections, variables, operation, [
      ...path,
      field.responseKey,
    ]);
  }
  return answer;
}
