// npm run bench -- --scenario mixed, as a script of its own
process.argv.splice(2, 0, '--scenario', 'mixed');
await import('../run.mjs');
