// The container image's package lists (Containerfile, docs/deploy.md): the runtime stage installs
// scripts/packages/runtime.txt through scripts/bootstrap, the build stage build.txt, and nothing
// else; bootstrap reads the same lists on a development machine; and every shared library the
// built server and CLI load comes from a package of runtime.txt, so the slim image can run them.
// The binaries are the test build's (INFRASHARE_SERVER_BIN, INFRASHARE_CLI_BIN), sanitized: the
// sanitizers' own runtimes are not asked for; jemalloc, which only the Release build links, is in
// runtime.txt for that build.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// A package list as bootstrap reads it: one package a line, `#` starts a comment.
function packageList(name) {
  return readFileSync(path.join(root, "scripts/packages", `${name}.txt`), "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}

function bootstrapPrints(...lists) {
  const out = execFileSync(path.join(root, "scripts/bootstrap"), ["--print", ...lists], {
    encoding: "utf8",
  });
  return out.split("\n").filter((line) => line !== "");
}

// The Containerfile's stages: name, base image and instructions (continuation lines joined).
function containerStages() {
  const text = readFileSync(path.join(root, "Containerfile"), "utf8").replace(/\\\n/g, " ");
  const stages = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const from = trimmed.match(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i);
    if (from) stages.push({ base: from[1], name: from[2], instructions: [] });
    else stages.at(-1).instructions.push(trimmed);
  }
  return stages;
}

test("bootstrap installs exactly the lists of scripts/packages/", () => {
  const everything = new Set(bootstrapPrints());
  for (const list of ["build", "runtime", "develop"])
    for (const name of packageList(list))
      assert.ok(everything.has(name), `scripts/bootstrap does not install ${name} (${list}.txt)`);
  assert.deepEqual(bootstrapPrints("runtime"), packageList("runtime"));
  assert.deepEqual(bootstrapPrints("build"), packageList("build"));
});

test("the Containerfile builds on Debian 12 and its runtime installs runtime.txt and nothing else", () => {
  const stages = containerStages();
  for (const stage of stages)
    assert.match(
      stage.base,
      /(^|\/)debian:(12|bookworm)(-slim)?$/,
      `stage ${stage.name}: ${stage.base}`,
    );
  // The lists each stage's bootstrap is given, e.g. [["runtime"]].
  const bootstrapLists = (stage) =>
    stage.instructions
      .filter((i) => /^RUN\s/i.test(i))
      .flatMap((run) => [...run.matchAll(/scripts\/bootstrap((?:\s+[\w-]+)*)/g)])
      .map((call) => call[1].trim().split(/\s+/));
  const runtime = stages.at(-1);
  assert.deepEqual(bootstrapLists(runtime), [["runtime"]], "the runtime stage's bootstrap");
  for (const run of runtime.instructions.filter((i) => /^RUN\s/i.test(i)))
    assert.doesNotMatch(
      run,
      /apt(-get)?\s+install|dpkg\s+-i/,
      `the runtime stage installs by itself: ${run}`,
    );
  const build = stages.find((stage) => stage.name === "build");
  assert.deepEqual(bootstrapLists(build), [["build"]], "the build stage's bootstrap");
  const user = runtime.instructions.filter((i) => /^USER\s/i.test(i)).at(-1);
  assert.ok(user, "the runtime stage sets no USER");
  const [uid, gid] = user.split(/\s+/)[1].split(":").map(Number);
  assert.ok(uid > 0 && gid > 0, `USER must be numeric and not root: ${user}`);
});

// The package that ships a shared library for this machine's architecture, found by its file name
// (dpkg -S). Only the multiarch directory counts: lib32stdc++6 or libc6-i386 ship the same file
// name under /usr/lib32 when some other package pulled them in.
const multiarch = execFileSync("gcc", ["-print-multiarch"], { encoding: "utf8" }).trim();
function packageOf(soname) {
  const out = execFileSync("dpkg", ["-S", `*/${soname}`], { encoding: "utf8" });
  const owners = new Set(
    out
      .split("\n")
      .filter((line) => line.endsWith(`/${multiarch}/${soname}`))
      .map((line) => line.split(":")[0]),
  );
  assert.equal(owners.size, 1, `${soname} belongs to ${[...owners]}`);
  return [...owners][0];
}

test("every library the server and the CLI load comes from runtime.txt", () => {
  const runtime = new Set(packageList("runtime"));
  const binaries = [process.env.INFRASHARE_SERVER_BIN, process.env.INFRASHARE_CLI_BIN];
  assert.ok(
    binaries.every(Boolean),
    "set INFRASHARE_SERVER_BIN and INFRASHARE_CLI_BIN (ctest does)",
  );
  for (const binary of binaries) {
    const dynamic = execFileSync("readelf", ["--dynamic", binary], { encoding: "utf8" });
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(
      (m) => m[1],
    );
    assert.ok(needed.length > 5, `${binary}: readelf found no libraries`);
    for (const soname of needed) {
      if (/^lib(asan|ubsan)\.so/.test(soname)) continue;
      const owner = packageOf(soname);
      assert.ok(
        runtime.has(owner),
        `${path.basename(binary)} loads ${soname} from ${owner}, not in runtime.txt`,
      );
    }
  }
});
