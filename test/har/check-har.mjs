// Checks HAR files with third-party tools: each file given must pass har-validator (the HAR 1.2 JSON schema) and
// har-to-k6's own validation, then all are handed to har-to-k6, a real consumer, which turns them into a k6 load-test
// script. Prints "valid FILE: N entries" per file, then one "METHOD URL" per request in the script. Exit 1 with the
// tools' errors when a file is not valid HAR. Used by HarIT; by hand: node test/har/check-har.mjs traces/http-trace.har
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const harValidator = require("har-validator");
const harToK6 = require("har-to-k6");

let scriptOut = null;
const files = [];
for (const arg of process.argv.slice(2)) {
  if (arg.startsWith("--k6-script=")) scriptOut = arg.slice("--k6-script=".length);
  else files.push(arg);
}
const entries = [];
let creator;
for (const file of files) {
  const har = JSON.parse(readFileSync(file, "utf8"));
  try {
    await harValidator.har(har);
    harToK6.validate(har);
  } catch (e) {
    console.error(`${file}: not valid HAR: ${JSON.stringify(e.errors ?? e.message)}`);
    process.exit(1);
  }
  console.log(`valid ${file}: ${har.log.entries.length} entries`);
  creator = har.log.creator;
  entries.push(...har.log.entries);
}
const { main } = await harToK6.liHARToK6Script({ log: { version: "1.2", creator, entries } });
if (scriptOut) writeFileSync(scriptOut, main);
const calls = [...main.matchAll(/http\.(get|post|put|patch|del|head|options|request)\(\s*(?:'([A-Z]+)',\s*)?'([^']*)'/g)];
console.log(`k6 script: ${main.length} bytes, ${calls.length} requests`);
for (const [, fn, method, url] of calls) {
  const name = fn === "del" ? "DELETE" : fn === "request" ? method : fn.toUpperCase();
  console.log(`${name} ${url}`);
}
