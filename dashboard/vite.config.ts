import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` forwards the API to a running analytics (the one origin, ADR 0022).
const analytics = process.env.FLEET_ANALYTICS_URL ?? 'http://127.0.0.1:8007';

export default defineConfig({
  plugins: [react()],
  build: { target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: {
      '/api': analytics,
      '/v1': analytics,
    },
  },
});
