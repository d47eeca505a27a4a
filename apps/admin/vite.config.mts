import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// `npm run dev`: the server runs with PUBLIC_URL pointing here, so sign-in comes back to Vite
const server = process.env.TESSERA_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/admin/',
  plugins: [react()],
  resolve: {
    alias: {
      // the shared zod schemas, from source (the console reuses them in its forms)
      '@tessera/contracts': here('../../libs/contracts/src/index.ts'),
    },
  },
  build: {
    outDir: here('../../dist/admin'),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/admin/api': server,
      '/t/': server,
      '/.well-known': server,
    },
  },
});
