#!/usr/bin/env node
// Installed entry point: runs the TypeScript CLI through tsx's loader. The CLI's main() refuses
// an unsupported Node.js (core/base/node-version.ts) before it opens any database.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/cli/main.ts');
process.exit(await main(process.argv.slice(2)));
