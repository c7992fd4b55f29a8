/**
 * `npm run bench`: every benchmark in one run, each printing its own figures and its baseline.
 * Pass names to run some of them: `npm run bench -- store reply-renderer`.
 */
const benchmarks: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  'groq-client': () => import('./groq-client.js'),
  store: () => import('./store.js'),
  'reply-renderer': () => import('./reply-renderer.js'),
  'slack-acknowledgement': () => import('./slack-acknowledgement.js'),
  'end-to-end': () => import('./end-to-end.js'),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in benchmarks));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(benchmarks).join(', ')}`);
    process.exit(2);
  }
  for (const [name, load] of Object.entries(benchmarks)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    console.log(`\n=== ${name} ===`);
    const benchmark = await load();
    await benchmark.run();
  }
}

await main();
