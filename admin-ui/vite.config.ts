/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a server on 8080; Quinoa builds `dist/` for the server to serve.
export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/api': 'http://localhost:8080' } },
  build: { outDir: 'dist', chunkSizeWarningLimit: 2000 },
  test: { environment: 'jsdom', include: ['test/**/*.test.{ts,tsx}'] },
});
