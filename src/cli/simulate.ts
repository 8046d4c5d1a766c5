/**
 * `loopguard simulate`: the closed-loop simulator (src/sim). Every world, model and safeguard parameter has a flag
 * with its default. Exit 0 unless the input is bad: the verdicts judge simulated loops (the naive one is meant to
 * fail), not the user's system.
 */
import type { Command } from 'commander';
import { UserError } from '../store/store.js';
import { parseFormat, print } from './common.js';
import { progressBar } from './progress.js';
import { DEFAULT_WORLD, WORLD_HELP, INTEGER_PARAMS, type WorldParams } from '../sim/world.js';
import { DEFAULT_MODEL, type ModelParams } from '../sim/model.js';
import { DEFAULT_GUARD, type GuardParams } from '../sim/guard.js';

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

const MODEL_HELP: Record<keyof ModelParams, string> = {
  factors: 'latent factors of the model',
  learningRate: 'SGD step size',
  l2: 'L2 penalty',
  epochs: 'passes over the training window per retrain',
  windowDays: 'days of logs each retrain trains on',
  initSd: 'standard deviation of the initial factors',
};
const GUARD_HELP: Record<keyof GuardParams, string> = {
  holdoutShare: 'guarded loop: share of users in the holdout',
  explorationShare: 'guarded loop: share of users in the exploration group (random slates)',
  swapEpsilon: 'guarded loop: probability a treatment slate gives one slot to a random tail item',
  ipsClip: 'guarded loop: largest inverse-propensity training weight',
  freshDays: 'guarded loop: a swapped slot draws from items born in the last N days (0 = any item outside the top k)',
};
const MODEL_INTEGERS = new Set(['factors', 'epochs', 'windowDays']);

function num(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new UserError(`${flag} must be ${integer ? 'a whole number' : 'a number'} (got '${value}')`);
  return n;
}

function pick<T extends object>(o: Record<string, string | undefined>, defaults: T, integers: ReadonlySet<string>): Partial<T> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(defaults)) if (o[k] !== undefined) out[k] = num(`--${kebab(k)}`, o[k]!, integers.has(k));
  return out as Partial<T>;
}

export function registerSimulate(program: Command): void {
  const cmd = program
    .command('simulate')
    .description('simulate a recommender feedback loop (naive, guarded, random, popularity, oracle) through the SDK into a store')
    .option('--days <n>', 'simulated days', '30')
    .option('--seed <n>', 'random seed (same seed, same numbers)', '1')
    .option('--db <path>', 'store file to write (default: a temporary store, deleted afterwards)')
    .option('--project-prefix <prefix>', 'projects are named <prefix><loop>', 'sim-')
    .option('--format <format>', 'text, json or html', 'text')
    .option('--pairs <n>', 'user pairs sampled for homogenization', '2000');
  for (const [k, help] of Object.entries(WORLD_HELP)) cmd.option(`--${kebab(k)} <x>`, `${help} (default ${DEFAULT_WORLD[k as keyof WorldParams]})`);
  for (const [k, help] of Object.entries(MODEL_HELP)) cmd.option(`--${kebab(k)} <x>`, `${help} (default ${DEFAULT_MODEL[k as keyof ModelParams]})`);
  for (const [k, help] of Object.entries(GUARD_HELP)) cmd.option(`--${kebab(k)} <x>`, `${help} (default ${DEFAULT_GUARD[k as keyof GuardParams]})`);
  cmd.action(async (o: Record<string, string | undefined>) => {
    const format = parseFormat(o.format!, ['text', 'json', 'html']);
    const { runSimulation } = await import('../sim/run.js');
    const bar = progressBar('simulate');
    let out;
    try {
      out = await runSimulation({
        days: num('--days', o.days!, true),
        seed: num('--seed', o.seed!, true),
        pairs: num('--pairs', o.pairs!, true),
        world: pick(o, DEFAULT_WORLD, INTEGER_PARAMS as ReadonlySet<string>),
        model: pick(o, DEFAULT_MODEL, MODEL_INTEGERS),
        guard: pick(o, DEFAULT_GUARD, new Set(['freshDays'])),
        ...(o.db ? { dbPath: (await import('node:path')).resolve(o.db) } : {}),
        projectPrefix: o.projectPrefix!,
        onProgress: bar.onProgress,
      });
    } finally {
      bar.stop();
    }
    if (format === 'json') {
      const { renderJson } = await import('../analyses/result.js');
      print(renderJson(out.result));
    } else if (format === 'html') {
      const { renderHtml } = await import('../analyses/render-html.js');
      print(renderHtml(out.result));
    } else {
      const { renderText } = await import('../analyses/result.js');
      print(renderText(out.result));
    }
    if (o.db) process.stderr.write(`Projects ${out.projects.map((p) => p.project).join(', ')} are in ${o.db}.\n`);
  });
}
