// npm run bench -- --scenario client-credentials, as a script of its own
process.argv.splice(2, 0, '--scenario', 'client-credentials');
await import('../run.mjs');
