// Validates every object of the given manifest files against the Kubernetes OpenAPI schema bundled in
// kubernetes-models (no cluster needed). Prints one line per object; exits 1 if any is invalid.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const models = {
  "apps/v1/DaemonSet": () => import("kubernetes-models/apps/v1/DaemonSet"),
  "v1/Pod": () => import("kubernetes-models/v1/Pod"),
};

let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) { console.log(`${file}: YAML error ${doc.errors[0].message}`); failed++; continue; }
    const object = doc.toJS();
    const key = `${object.apiVersion}/${object.kind}`;
    const load = models[key];
    if (!load) { console.log(`${file}: no schema for ${key}`); failed++; continue; }
    const module = await load();
    const Model = module[object.kind];
    try {
      new Model(object).validate();
      console.log(`${file}: ${key} ${object.metadata.name} valid`);
    } catch (e) {
      console.log(`${file}: ${key} ${object.metadata?.name} INVALID: ${e.message}`);
      failed++;
    }
  }
}
process.exit(failed ? 1 : 0);
