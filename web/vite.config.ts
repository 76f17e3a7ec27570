import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// One single-page app for the console (/console/) and the portal (/portal/); the control
// plane serves the build from web/dist with the assets under /web/assets/.
export default defineConfig({
  root: import.meta.dirname,
  base: '/web/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts or data: modules (the Content-Security-Policy allows neither).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
});
