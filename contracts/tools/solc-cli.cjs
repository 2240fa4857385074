// The subset of the native `solc` command line that crytic-compile (Slither) uses, answered
// by solc-js (the npm `solc` package, pinned in package.json) through its standard-JSON API:
//
//   solc --version
//   solc [prefix=target ...] FILE.sol ... --combined-json abi,ast,bin,... \
//        [--allow-paths P,...] [--base-path P] [--include-path P] [--optimize]
//        [--optimize-runs N] [--evm-version V] [--via-ir]
//
// It prints the legacy --combined-json document (solc >= 0.8 shapes: abi, userdoc and devdoc
// as objects). An unknown flag or combined-json field is an error, never silently dropped.
// Imports are read only from the working directory, the base and include paths and the
// --allow-paths folders, as the native compiler does.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..", "..");
const solc = require(path.join(ROOT, "node_modules", "solc"));

// combined-json field -> [standard-JSON output selection, reader of one compiled contract]
const FIELDS = {
  abi: ["abi", (c) => c.abi],
  bin: ["evm.bytecode.object", (c) => c.evm.bytecode.object],
  "bin-runtime": ["evm.deployedBytecode.object", (c) => c.evm.deployedBytecode.object],
  srcmap: ["evm.bytecode.sourceMap", (c) => c.evm.bytecode.sourceMap],
  "srcmap-runtime": ["evm.deployedBytecode.sourceMap", (c) => c.evm.deployedBytecode.sourceMap],
  userdoc: ["userdoc", (c) => c.userdoc],
  devdoc: ["devdoc", (c) => c.devdoc],
  hashes: ["evm.methodIdentifiers", (c) => c.evm.methodIdentifiers],
  metadata: ["metadata", (c) => c.metadata],
};
const WITH_VALUE = new Set([
  "--combined-json", "--allow-paths", "--base-path", "--include-path", "--optimize-runs",
  "--evm-version",
]);

function fail(message) {
  process.stderr.write(`solc (solc-js shim): ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { files: [], remappings: [], combined: null, allowed: [], base: null,
    include: [], optimize: false, runs: 200, evmVersion: null, viaIR: false, version: false };
  for (let i = 0; i < argv.length; i += 1) {
    let flag = argv[i];
    let value = null;
    if (flag.startsWith("--") && flag.includes("=")) {
      [flag, value] = [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)];
    } else if (WITH_VALUE.has(flag)) {
      if (i + 1 >= argv.length) fail(`${flag} needs a value`);
      value = argv[(i += 1)];
    }
    switch (flag) {
      case "--version": args.version = true; break;
      case "--combined-json": args.combined = value.split(",").filter(Boolean); break;
      case "--allow-paths": args.allowed.push(...value.split(",").filter(Boolean)); break;
      case "--base-path": args.base = value; break;
      case "--include-path": args.include.push(value); break;
      case "--optimize": args.optimize = true; break;
      case "--optimize-runs": args.runs = Number.parseInt(value, 10); break;
      case "--evm-version": args.evmVersion = value; break;
      case "--via-ir": case "--experimental-via-ir": args.viaIR = true; break;
      default:
        if (flag.startsWith("-")) fail(`unsupported option ${flag}`);
        else if (flag.includes("=")) args.remappings.push(flag);
        else args.files.push(flag);
    }
  }
  return args;
}

function versionText() {
  return `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`;
}

function reader(args) {
  const base = path.resolve(args.base ?? ".");
  const roots = [process.cwd(), base, ...args.include, ...args.allowed].map((p) => path.resolve(p));
  const inside = (file) => roots.some((r) => file === r || file.startsWith(r + path.sep));
  return (unit) => {
    for (const dir of [base, ...args.include.map((p) => path.resolve(p))]) {
      const file = path.resolve(dir, unit);
      if (!inside(file)) return { error: `${unit} is outside the allowed paths` };
      if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
    }
    return { error: `file not found: ${unit}` };
  };
}

function compile(args) {
  const unknown = args.combined.filter((f) => f !== "ast" && !(f in FIELDS));
  if (unknown.length) fail(`unsupported --combined-json field(s): ${unknown.join(", ")}`);
  if (!args.files.length) fail("no input file");
  const read = reader(args);
  const sources = {};
  for (const file of args.files) {
    const got = read(file);
    if (got.error) fail(got.error);
    sources[file] = { content: got.contents };
  }
  const selected = args.combined.filter((f) => f in FIELDS).map((f) => FIELDS[f][0]);
  const settings = {
    remappings: args.remappings,
    optimizer: { enabled: args.optimize, runs: args.runs },
    viaIR: args.viaIR,
    outputSelection: { "*": { "*": selected, "": args.combined.includes("ast") ? ["ast"] : [] } },
  };
  if (args.evmVersion) settings.evmVersion = args.evmVersion;
  const input = { language: "Solidity", sources, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: read }));
  const errors = output.errors ?? [];
  for (const e of errors) process.stderr.write(`${e.formattedMessage ?? e.message}\n`);
  if (errors.some((e) => e.severity === "error")) process.exit(1);

  const combined = { contracts: {}, sourceList: [], sources: {}, version: solc.version() };
  for (const [unit, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [name, compiled] of Object.entries(contracts)) {
      const fields = {};
      for (const f of args.combined) if (f in FIELDS) fields[f] = FIELDS[f][1](compiled);
      combined.contracts[`${unit}:${name}`] = fields;
    }
  }
  const units = Object.entries(output.sources ?? {}).sort((a, b) => a[1].id - b[1].id);
  for (const [unit, info] of units) {
    combined.sourceList.push(unit);
    combined.sources[unit] = args.combined.includes("ast") ? { AST: info.ast, id: info.id } : { id: info.id };
  }
  process.stdout.write(`${JSON.stringify(combined)}\n`);
}

const args = parseArgs(process.argv.slice(2));
if (args.version) process.stdout.write(versionText());
else if (args.combined) compile(args);
else fail("only --version and --combined-json are supported");
