// npm run bench -- --scenario refresh, as a script of its own
process.argv.splice(2, 0, '--scenario', 'refresh');
await import('../run.mjs');
