/// <reference types="node" />
// Builds the dashboard into cloud/dashboard/dist, which the cloud serves at /dashboard/ (cloud/api/dashboard.routes.ts).
// `npm run dev:dashboard` serves it with hot reload and forwards /api to a running cloud (LILO_CLOUD_URL).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export const DASHBOARD_BASE = "/dashboard/";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: DASHBOARD_BASE,
  // Preact's automatic JSX runtime through esbuild: no framework plugin needed.
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", reportCompressedSize: false },
  server: {
    proxy: { "/api": { target: process.env.LILO_CLOUD_URL ?? "http://127.0.0.1:8080", changeOrigin: true } },
  },
});
