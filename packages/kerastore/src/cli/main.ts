#!/usr/bin/env node
// The `kerastore` command (`kerastore --help`, `kerastore <command> --help`; docs/kerastore.md).
import { runCli } from "./run.js";

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
});
process.exitCode = code;
