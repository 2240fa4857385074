// Compiles contracts/LedgerAnchor.sol with solc-js (the npm `solc` package, pinned in
// package.json; no binary download) and writes the artifact, byte-for-byte reproducibly, to
//   contracts/build/LedgerAnchor.json   (committed; tests/contracts/test_build.py checks it)
//   ledger/abi/LedgerAnchor.json        (the same bytes, shipped in the Python package)
//
// Usage: node contracts/compile.mjs [--out-dir DIR]
//   --out-dir DIR  write only DIR/LedgerAnchor.json (the staleness test compiles there)
//
// The JS API is used rather than `solcjs --standard-json`, whose stdout may start with a
// non-JSON line.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc");

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NODE_MODULES = path.join(ROOT, "node_modules");
const CONTRACT = "LedgerAnchor";
const SOURCE = `contracts/${CONTRACT}.sol`;
const SETTINGS = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 10000 },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function parseArgs(argv) {
  const args = { outDir: null };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === "--out-dir" && i + 1 < argv.length) {
      args.outDir = path.resolve(argv[i + 1]);
      i += 1;
    } else {
      throw new Error(`unknown argument: ${argv[i]}`);
    }
  }
  return args;
}

// Source unit names are repository-relative or npm-style ("@openzeppelin/..."), never
// absolute paths, so the metadata hash in the bytecode is the same on every machine.
const loaded = new Map();

function findImports(importPath) {
  if (!importPath.startsWith("@openzeppelin/contracts/")) {
    return { error: `import outside @openzeppelin/contracts: ${importPath}` };
  }
  try {
    const contents = readFileSync(path.join(NODE_MODULES, importPath), "utf8");
    loaded.set(importPath, contents);
    return { contents };
  } catch (err) {
    return { error: `cannot read ${importPath}: ${err.message}` };
  }
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys(value[key])]),
    );
  }
  return value;
}

function sha256(text) {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const content = readFileSync(path.join(ROOT, SOURCE), "utf8");
  loaded.set(SOURCE, content);
  const input = { language: "Solidity", sources: { [SOURCE]: { content } }, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  const errors = output.errors ?? [];
  for (const e of errors) process.stderr.write(`${e.formattedMessage ?? e.message}\n`);
  if (errors.some((e) => e.severity === "error")) process.exit(1);

  const compiled = output.contracts?.[SOURCE]?.[CONTRACT];
  if (!compiled) throw new Error(`solc produced no ${CONTRACT}`);

  // sha256 of each source unit, and of the sorted list "<sha256>  <name>\n" (like sha256sum).
  const sources = Object.fromEntries([...loaded.keys()].sort().map((n) => [n, sha256(loaded.get(n))]));
  const listing = Object.entries(sources)
    .map(([name, digest]) => `${digest}  ${name}\n`)
    .join("");

  const artifact = sortKeys({
    contractName: CONTRACT,
    sourceName: SOURCE,
    compiler: { name: "solc-js", version: solc.version(), settings: SETTINGS },
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    sources,
    sourcesSha256: sha256(listing),
  });
  const text = `${JSON.stringify(artifact, null, 2)}\n`;

  const targets = args.outDir
    ? [path.join(args.outDir, `${CONTRACT}.json`)]
    : [
        path.join(ROOT, "contracts", "build", `${CONTRACT}.json`),
        path.join(ROOT, "ledger", "abi", `${CONTRACT}.json`),
      ];
  for (const target of targets) {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), target) || target}\n`);
  }
}

main();
