// Copies the dist files listed under "vendor" in package.json into static/vendor/<package>/.
// The pages load libraries only from there, so what runs in the browser is exactly
// what package-lock.json pins.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

for (const [pkg, files] of Object.entries(manifest.vendor)) {
  const target = join(root, "static", "vendor", pkg);
  mkdirSync(target, { recursive: true });
  for (const file of files) {
    copyFileSync(join(root, "node_modules", pkg, file), join(target, basename(file)));
  }
  console.log(`vendor: ${pkg} -> static/vendor/${pkg}/ (${files.length} file(s))`);
}
