import type { Command } from 'commander';
import type { Store } from '../store/store.js';
import { print } from './common.js';

/** The OpenAPI document of the HTTP API, generated from the same TypeBox definitions that validate requests. */
export async function openApiDocument(): Promise<unknown> {
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('no store')) }) as Store;
  const { buildApp } = await import('../server/app.js');
  const { app } = await buildApp({ store: unused });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return doc;
}

export function registerOpenApi(program: Command): void {
  program
    .command('openapi')
    .description('print the OpenAPI 3.1 document of the HTTP API')
    .action(async () => print(JSON.stringify(await openApiDocument(), null, 2)));
}
