// A small recommendation service that keeps its feedback loop honest with loopguard/sdk.
//
// GET  /recommendations?user_id=U[&surface=home][&n=10]   a slate, logged as a decision with exact propensities
// POST /events/click {request_id, user_id, item_id}         a click, logged as an outcome; updates the user's profile
// GET  /healthz                                            the SDK client's counters
//
// Every user is assigned (deterministically, by hash) to one of three groups:
//   holdout (5%)      never touched by the model: a popularity ranking, logged with strategy 'holdout'
//   exploration (10%) epsilon-greedy over the model's ranking (20% of requests get a uniformly random slate)
//   treatment (85%)   the personalized ranking with gentle exploration (one of the last three slots may be swapped
//                     with an item from outside the slate)
// New users (no profile yet) outside the holdout get Thompson sampling over the most popular items, with priors from
// each item's click-through so far (strategy 'cold_start').
//
// Configuration (environment): LOOPGUARD_URL (default http://127.0.0.1:7070), LOOPGUARD_KEY (required),
// PORT (default 8080), SPOOL_DIR (default ./.recommender-spool), ASSIGNMENT_SALT (default 'recommender-2026').
// Run from the repository root after `npm run build` (see README.md).
import Fastify from 'fastify';
import crypto from 'node:crypto';
import {
  LoopguardClient,
  MemoryProfileStore,
  ThompsonSampling,
  armsFrom,
  createAssigner,
  createRng,
  epsilonGreedy,
  greedySlate,
  popularityPriors,
  swapTail,
} from 'loopguard/sdk';

const LOOPGUARD_URL = process.env.LOOPGUARD_URL ?? 'http://127.0.0.1:7070';
const LOOPGUARD_KEY = process.env.LOOPGUARD_KEY;
const PORT = Number(process.env.PORT ?? 8080);
if (!LOOPGUARD_KEY) {
  console.error('Set LOOPGUARD_KEY to a key from `npx loopguard keys create --project shop`.');
  process.exit(2);
}

// ---- a toy catalog: 200 items in 8 categories with a long-tailed popularity --------------------------------------
const CATEGORIES = ['shoes', 'books', 'garden', 'toys', 'kitchen', 'music', 'sports', 'beauty'];
const rng = createRng(1);
const catalog = Array.from({ length: 200 }, (_, i) => ({
  item_id: `sku-${String(i).padStart(3, '0')}`,
  category: CATEGORIES[i % CATEGORIES.length],
  popularity: 1 / (1 + i) ** 0.8,
}));
const byId = new Map(catalog.map((it) => [it.item_id, it]));
const BY_POPULARITY = catalog.map((it) => ({ item_id: it.item_id, score: it.popularity }));
// Engagement so far, per item (impressions from logged slates, clicks from /events/click).
const engagement = new Map(catalog.map((it) => [it.item_id, { clicks: 0, impressions: 0 }]));

// ---- the SDK pieces -------------------------------------------------------------------------------------------
const client = new LoopguardClient({
  url: LOOPGUARD_URL,
  apiKey: LOOPGUARD_KEY,
  spool: process.env.SPOOL_DIR ?? '.recommender-spool', // nothing accepted is lost if this process crashes
  flushIntervalMs: 200,
});
const assignUser = createAssigner({ salt: process.env.ASSIGNMENT_SALT ?? 'recommender-2026', holdout: 0.05, exploration: 0.1 });
const profiles = new MemoryProfileStore({ shortHalfLifeMs: 3_600_000, longHalfLifeMs: 7 * 86_400_000, maxUsers: 100_000 });

// Thompson sampling over the 50 most popular items, rebuilt at most every 10 s (its propensity table depends only on
// the posteriors, so it is computed once per rebuild, not per request).
const COLD_POOL = catalog.slice(0, 50);
let cold = { policy: null, builtAt: 0 };
function coldStartPolicy(slateSize) {
  if (!cold.policy || Date.now() - cold.builtAt > 10_000 || cold.policy.options.slateSize !== slateSize) {
    const stats = COLD_POOL.map((it) => ({ item_id: it.item_id, ...engagement.get(it.item_id) }));
    const priors = popularityPriors(stats, { strength: 10, cohort: { alpha: 1, beta: 19 } });
    const arms = armsFrom(stats.map((s, i) => ({ item_id: s.item_id, prior: priors[i], successes: s.clicks, trials: s.impressions })));
    cold = { policy: new ThompsonSampling(arms, { slateSize }), builtAt: Date.now() };
  }
  return cold.policy;
}

/** The "model": long-term category affinity, trusted less when the user's recent behaviour has changed. */
function score(profile) {
  const trust = profile ? 1 - (profile.change ?? 0) : 0;
  const total = profile ? Object.values(profile.long).reduce((a, b) => a + b, 0) : 0;
  return catalog.map((it) => {
    const affinity = profile && total > 0 ? (trust * (profile.long[it.category] ?? 0) + (1 - trust) * (profile.short[it.category] ?? 0)) / total : 0;
    return { item_id: it.item_id, score: 2 * affinity + Math.log(it.popularity) / 4 };
  });
}

function recommend(userId, n) {
  const { group } = assignUser(userId);
  const profile = profiles.getSync(userId);
  if (group === 'holdout') return { policy: 'popularity', slate: greedySlate(BY_POPULARITY, { slateSize: n }) }; // propensity 1
  if (!profile) return { policy: 'thompson-cold-start', slate: coldStartPolicy(Math.min(n, COLD_POOL.length)).decide() };
  const candidates = score(profile);
  if (group === 'exploration') return { policy: 'ranker-epsilon-greedy', slate: epsilonGreedy(candidates, { epsilon: 0.2, slateSize: n }) };
  const tailSlots = Array.from({ length: Math.min(3, n) }, (_, i) => n - i);
  return { policy: 'ranker-swap-tail', slate: swapTail(candidates, { slateSize: n, epsilon: 0.3, positions: tailSlots, tailSize: 50 }) };
}

// ---- HTTP ----------------------------------------------------------------------------------------------------
const app = Fastify();

app.get('/recommendations', async (req, reply) => {
  const userId = String(req.query.user_id ?? '');
  if (!userId) return reply.code(400).send({ error: 'user_id is required' });
  const n = Math.min(Math.max(Number(req.query.n ?? 10) || 10, 1), 50);
  const surface = String(req.query.surface ?? 'home');
  const requestId = crypto.randomUUID();
  const { policy, slate } = recommend(userId, n);
  // Log before answering: log() only queues (and spools) the event, it never waits for the network.
  client.logDecision({ request_id: requestId, user_id: userId, surface, policy, policy_version: 'v1', attributes: { group: assignUser(userId).group }, ...slate });
  for (const s of slate.shown) engagement.get(s.item_id).impressions++;
  return { request_id: requestId, strategy: slate.strategy, items: slate.shown };
});

app.post('/events/click', async (req, reply) => {
  const { request_id, user_id, item_id } = req.body ?? {};
  const item = byId.get(item_id);
  if (!request_id || !user_id || !item) return reply.code(400).send({ error: 'request_id, user_id and a known item_id are required' });
  client.logOutcome({ request_id, item_id, kind: 'click', value: 1 });
  profiles.updateSync(user_id, { [item.category]: 1 });
  engagement.get(item_id).clicks++;
  return { ok: true };
});

app.get('/healthz', async () => ({ status: 'ok', loopguard: client.stats() }));

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await app.close(); // stop taking requests
  const stats = await client.close({ timeoutMs: 10_000 }); // flush; what is left stays in the spool for next time
  console.error(`recommender: stopped; ${stats.sent} events acknowledged, ${stats.pending} left in the spool`);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

const address = await app.listen({ host: '127.0.0.1', port: PORT });
console.error(`recommender: listening on ${address}, logging to ${LOOPGUARD_URL}`);
