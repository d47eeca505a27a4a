// npm run bench -- --scenario introspection, as a script of its own
process.argv.splice(2, 0, '--scenario', 'introspection');
await import('../run.mjs');
