import { z } from 'zod';

/**
 * The GraphQL operations the Linear client sends: fixed documents, named, with every value in
 * `variables` (nothing is ever spliced into a document), and the zod schemas their answers must
 * pass. A field added here must be added to the fake (`src/testing/fake-linear.ts`) too: it
 * answers only what is selected and refuses fields Linear does not have.
 */

/** A Linear operation: its name, document and the shape of its `data`. */
export interface LinearOperation<Data> {
  name: string;
  /** `query` operations are retried after a server error; mutations only after a rate limit. */
  kind: 'query' | 'mutation';
  document: string;
  data: z.ZodType<Data>;
}

const ISSUE_FIELDS = `
    id
    identifier
    title
    description
    priority
    priorityLabel
    estimate
    url
    createdAt
    updatedAt
    state { name type }
    team { id key name }
    labels(first: 50) { nodes { id name } }
    assignee { id name displayName }`;

const COMMENT_FIELDS = `
      id
      body
      url
      createdAt
      user { name displayName }`;

const issueSchema = z.object({
  id: z.string(),
  identifier: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  priority: z.number(),
  priorityLabel: z.string(),
  estimate: z.number().nullable(),
  url: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  state: z.object({ name: z.string(), type: z.string() }),
  team: z.object({ id: z.string(), key: z.string(), name: z.string() }),
  labels: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string() })) }),
  assignee: z.object({ id: z.string(), name: z.string(), displayName: z.string() }).nullable(),
});

const commentSchema = z.object({
  id: z.string(),
  body: z.string(),
  url: z.string(),
  createdAt: z.string(),
  user: z.object({ name: z.string(), displayName: z.string() }).nullable(),
});

const pageInfoSchema = z.object({ hasNextPage: z.boolean() });

/** An issue as Linear's API answers the fields Agentry asks for. */
export type IssueData = z.infer<typeof issueSchema>;
/** A comment as Linear's API answers the fields Agentry asks for. */
export type CommentData = z.infer<typeof commentSchema>;

export const ISSUE_QUERY = {
  name: 'AgentryIssue',
  kind: 'query',
  document: `query AgentryIssue($id: String!, $commentsFirst: Int!) {
  issue(id: $id) {${ISSUE_FIELDS}
    comments(first: $commentsFirst, orderBy: createdAt) {
      nodes {${COMMENT_FIELDS}
      }
      pageInfo { hasNextPage }
    }
  }
}`,
  data: z.object({
    issue: issueSchema.extend({
      comments: z.object({ nodes: z.array(commentSchema), pageInfo: pageInfoSchema }),
    }),
  }),
} satisfies LinearOperation<unknown>;

export const ISSUES_QUERY = {
  name: 'AgentryIssues',
  kind: 'query',
  document: `query AgentryIssues($filter: IssueFilter, $first: Int!) {
  issues(filter: $filter, first: $first, orderBy: updatedAt) {
    nodes {${ISSUE_FIELDS}
    }
    pageInfo { hasNextPage }
  }
}`,
  data: z.object({ issues: z.object({ nodes: z.array(issueSchema), pageInfo: pageInfoSchema }) }),
} satisfies LinearOperation<unknown>;

export const TEAMS_QUERY = {
  name: 'AgentryTeams',
  kind: 'query',
  document: `query AgentryTeams($first: Int!) {
  teams(first: $first) {
    nodes { id key name }
    pageInfo { hasNextPage }
  }
}`,
  data: z.object({
    teams: z.object({
      nodes: z.array(z.object({ id: z.string(), key: z.string(), name: z.string() })),
      pageInfo: pageInfoSchema,
    }),
  }),
} satisfies LinearOperation<unknown>;

export const ISSUE_LABELS_QUERY = {
  name: 'AgentryIssueLabels',
  kind: 'query',
  document: `query AgentryIssueLabels($filter: IssueLabelFilter, $first: Int!) {
  issueLabels(filter: $filter, first: $first) {
    nodes { id name team { id key } }
    pageInfo { hasNextPage }
  }
}`,
  data: z.object({
    issueLabels: z.object({
      nodes: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          team: z.object({ id: z.string(), key: z.string() }).nullable(),
        }),
      ),
      pageInfo: pageInfoSchema,
    }),
  }),
} satisfies LinearOperation<unknown>;

export const COMMENT_CREATE_MUTATION = {
  name: 'AgentryCommentCreate',
  kind: 'mutation',
  document: `mutation AgentryCommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) {
    success
    comment {${COMMENT_FIELDS}
    }
  }
}`,
  data: z.object({ commentCreate: z.object({ success: z.boolean(), comment: commentSchema.nullable() }) }),
} satisfies LinearOperation<unknown>;

export const ISSUE_CREATE_MUTATION = {
  name: 'AgentryIssueCreate',
  kind: 'mutation',
  document: `mutation AgentryIssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) {
    success
    issue {${ISSUE_FIELDS}
    }
  }
}`,
  data: z.object({ issueCreate: z.object({ success: z.boolean(), issue: issueSchema.nullable() }) }),
} satisfies LinearOperation<unknown>;

export const ISSUE_UPDATE_MUTATION = {
  name: 'AgentryIssueUpdate',
  kind: 'mutation',
  document: `mutation AgentryIssueUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) {
    success
    issue {${ISSUE_FIELDS}
    }
  }
}`,
  data: z.object({ issueUpdate: z.object({ success: z.boolean(), issue: issueSchema.nullable() }) }),
} satisfies LinearOperation<unknown>;
