// Validates each HAR file given with har-validator (the HAR 1.2 JSON schema), then hands them all to a real consumer,
// har-to-openapi, and prints the OpenAPI document's paths with their methods, one "METHOD /path" per line.
// Exit 1 with the validator's errors when a file is not valid HAR. Used by HarIT; also handy by hand:
//   node test/har/check-har.mjs traces/http-trace.har
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { generateSpec } from "har-to-openapi";

const require = createRequire(import.meta.url);
const validate = require("har-validator");

const hars = [];
for (const file of process.argv.slice(2)) {
  const har = JSON.parse(readFileSync(file, "utf8"));
  try {
    await validate.har(har);
  } catch (e) {
    console.error(`${file}: not valid HAR: ${JSON.stringify(e.errors ?? e.message)}`);
    process.exit(1);
  }
  console.log(`valid ${file}: ${har.log.entries.length} entries`);
  hars.push(har);
}
const spec = await generateSpec(hars, { relaxedMethods: true, relaxedContentTypeJsonParse: true });
const doc = spec.spec;
console.log(`openapi ${doc.openapi}: ${Object.keys(doc.paths ?? {}).length} paths`);
for (const [path, item] of Object.entries(doc.paths ?? {})) {
  for (const method of Object.keys(item)) {
    if (["get", "put", "post", "delete", "patch", "head", "options"].includes(method)) {
      console.log(`${method.toUpperCase()} ${path}`);
    }
  }
}
