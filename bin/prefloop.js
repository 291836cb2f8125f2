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
// Exit once stdout and stderr have flushed: to a pipe they are asynchronous, and exiting at once cut a long
// output (`prefloop history c | less` of a 1,000-iteration campaign) short.
const exit = (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
main.run(process.argv).then(
  () => exit(process.exitCode ?? 0),
  (err) => {
    process.stderr.write(`prefloop: ${err && err.message ? err.message : String(err)}\n`);
    exit(1);
  },
);
