/**
 * The README's code blocks that a test runs: each is preceded by `<!-- package-test: FILE -->`, so what the README
 * shows is exactly what the package test writes to FILE and runs.
 */
export function readmeSnippets(readme: string): Record<string, string> {
  const snippets: Record<string, string> = {};
  const marker = /<!-- package-test: ([\w.-]+) -->\n```\w*\n([\s\S]*?)\n```/g;
  for (const m of readme.matchAll(marker)) snippets[m[1]] = `${m[2]}\n`;
  if (!snippets['workflows.ts'] || !snippets['main.ts']) {
    throw new Error(`README.md must hold the package-test snippets workflows.ts and main.ts; found ${Object.keys(snippets).join(', ') || 'none'}`);
  }
  return snippets;
}
