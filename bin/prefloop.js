#!/usr/bin/env node
'use strict';
// In a clone (cli/main.ts beside us) run the TypeScript sources through @swc-node/register, so edits take effect
// without a build; the installed package ships only compiled JavaScript (dist/) and needs no loader.
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, '..', 'cli', 'main.ts');
let main;
if (fs.existsSync(source)) {
  require('@swc-node/register');
  main = require(source);
} else {
  main = require(path.join(__dirname, '..', 'dist', 'cli', 'main.js'));
}
main.run(process.argv).then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    process.stderr.write(`prefloop: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
