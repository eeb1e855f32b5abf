import { z } from 'zod';
import { ToolError } from './errors.js';
import { formatCount } from './output-cap.js';
import { defineTool } from './tool.js';
import { resolveInWorkspace } from './workspace-path.js';

const keepArtifactInput = z.object({
  path: z
    .string()
    .min(1)
    .describe('The file to keep, relative to the repository root, e.g. "reports/coverage.md".'),
  name: z.string().min(1).max(200).optional().describe('The name to keep it under (default: its path).'),
});

/** `keep_artifact`: keep a file the agent wrote (a report, a patch) with the run after the sandbox goes. */
export const keepArtifactTool = defineTool({
  name: 'keep_artifact',
  description: [
    'Keep a file you wrote in the repository (a report, a patch, a CSV) as an artifact of this run:',
    'it is stored with the run and can be downloaded after the workspace is gone. The file is kept as it is',
    'now; keep it again after changing it. At most 10 MB per file. The diff of all your changes to the',
    'repository is kept anyway as workspace.diff: keep only files that matter on their own.',
  ].join(' '),
  inputSchema: keepArtifactInput,
  async execute(input, context) {
    const { keepArtifact } = context.session;
    if (!keepArtifact) {
      throw new ToolError('tool.unsupported', "this run's sandbox cannot keep files");
    }
    const file = await resolveInWorkspace(context.session.root, input.path, { mustExist: true });
    const kept = await keepArtifact(file, input.name === undefined ? {} : { name: input.name });
    return {
      output: `Kept ${kept.path} as artifact '${kept.name}' (${formatCount(kept.size)} bytes, ${kept.mediaType}). It is stored with the run when the run ends.`,
      summary: `${kept.name} (${formatCount(kept.size)} bytes)`,
    };
  },
});
