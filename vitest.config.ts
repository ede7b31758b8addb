import { defineConfig } from "vitest/config";

// Two projects over the same test files' conventions:
// - unit: every `*.test.ts` of the packages (but interop) and examples; needs no Python.
// - interop: packages/interop/test, live round trips against the Python reference.
// - browser: packages/browser-tests/test, real headless Chromium over the built packages.
// - user: packages/interop/user, the packed packages and the docs as a user meets them.
// Both resolve workspace packages to their TypeScript source through the `source` condition.
// Workspace packages are symlinked into node_modules, which Vite would hand to Node to load
// (from their built `dist`); inlining them makes Vite resolve them itself, with `source` first.
const shared = {
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks" as const,
    server: { deps: { inline: [/^@kerastore\//, /^kerastore$/, /\/packages\/[^/]+\/src\//] } },
  },
};

// CI sets KERASTORE_TEST_REPORT to a file path to get a JSON report beside the usual output
// (.ci/run sums the reports into its closing line).
const report = process.env.KERASTORE_TEST_REPORT;

export default defineConfig({
  resolve: shared.resolve,
  test: {
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
    projects: [
      {
        ...shared,
        test: {
          ...shared.test,
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**", "packages/interop/**", "packages/browser-tests/**"],
        },
      },
      {
        // What a user gets: the packed packages installed outside the workspace, the docs.
        // Needs `pnpm build` first.
        ...shared,
        test: {
          ...shared.test,
          name: "user",
          include: ["packages/interop/user/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**"],
        },
      },
      {
        ...shared,
        test: {
          ...shared.test,
          name: "interop",
          include: ["packages/interop/test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**"],
        },
      },
      {
        // Headless Chromium over the built packages (pnpm build first; needs /usr/bin/chromium).
        ...shared,
        test: {
          ...shared.test,
          name: "browser",
          include: ["packages/browser-tests/test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**"],
          fileParallelism: false,
        },
      },
    ],
  },
});
