// npm run bench -- --scenario guard, as a script of its own
process.argv.splice(2, 0, '--scenario', 'guard');
await import('../run.mjs');
