// npm run bench -- --scenario revocation-latency, as a script of its own
process.argv.splice(2, 0, '--scenario', 'revocation-latency');
await import('../run.mjs');
