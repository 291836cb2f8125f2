#!/usr/bin/env node
'use strict';
// Run compiled JavaScript when the package was built (dist/), else the TypeScript sources through @swc-node/register.
const fs = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
let main;
if (fs.existsSync(compiled)) {
  main = require(compiled);
} else {
  require('@swc-node/register');
  main = require(path.join(__dirname, '..', 'cli', 'main.ts'));
}
main.run(process.argv).then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    process.stderr.write(`prefloop: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
