// The kiosk page: Preact with JSX compiled by esbuild (no plugin), served by the appliance at /kiosk/.
import { defineConfig } from "vite";

export default defineConfig({
  root: "appliance/kiosk",
  base: "/kiosk/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", reportCompressedSize: false },
});
