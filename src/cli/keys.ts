import type { Command } from 'commander';
import { UserError } from '../store/store.js';
import { adminCall, parseFormat, print, withStore } from './common.js';

export function checkProject(project: string): string {
  // The pattern of ProjectName in src/events/schemas.ts.
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(project))
    throw new UserError(`--project '${project}': use lower-case letters, digits, _ and - (up to 64 characters, starting with a letter or digit)`);
  return project;
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage per-project API keys');
  keys
    .command('create')
    .description('create an API key for a project; the key is printed alone on the last line of stdout')
    .requiredOption('--project <name>', 'project the key reads and writes')
    .option('--db <path>', 'store file (default ./.loopguard/loopguard.duckdb or $LOOPGUARD_DB)')
    .option('--format <format>', 'text or json', 'text')
    .action(async (o: { project: string; db?: string; format: string }) => {
      const format = parseFormat(o.format);
      const project = checkProject(o.project);
      const created = await withStore(
        o.db,
        async (store) => {
          const k = await store.createApiKey(project);
          return { project, key_id: k.keyId, key: k.key };
        },
        (server) => adminCall<{ project: string; key_id: string; key: string }>(server, '/v1/admin/keys', { project }),
      );
      if (format === 'json') print(JSON.stringify(created));
      else {
        process.stderr.write(`Created API key ${created.key_id} for project '${project}'. It is shown once; store it as a secret.\n`);
        print(created.key);
      }
    });
}
