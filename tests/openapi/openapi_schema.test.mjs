// The OpenAPI document the build makes (services/http/openapi): valid against the OpenAPI 3.0
// schema (@seriousme/openapi-schema-validator), and consistent where that schema cannot look:
// every $ref resolves, every path's {variables} are its path parameters, operationIds are unique.
// INFRASHARE_OPENAPI_JSON names the build tree's openapi.json.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";

const file = process.env.INFRASHARE_OPENAPI_JSON;
assert.ok(file, "INFRASHARE_OPENAPI_JSON must name the generated openapi.json");
const document = JSON.parse(readFileSync(file, "utf8"));
const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function* operations() {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of methods) if (item[method]) yield { path, method, operation: item[method] };
  }
}

test("the document is valid OpenAPI 3.0", async () => {
  const validator = new Validator();
  const result = await validator.validate(document);
  assert.ok(result.valid, `${file} is not valid OpenAPI:\n${JSON.stringify(result.errors, null, 2)}`);
  assert.equal(validator.version, "3.0");
});

test("every $ref points at something in the document", () => {
  const dangling = new Set();
  const resolve = (ref) =>
    ref
      .slice(2)
      .split("/")
      .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce((node, part) => (node === undefined ? undefined : node[part]), document);
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== "object") return;
    if (typeof node.$ref === "string" && (!node.$ref.startsWith("#/") || !resolve(node.$ref)))
      dangling.add(node.$ref);
    Object.values(node).forEach(walk);
  };
  walk(document);
  assert.deepEqual([...dangling], []);
});

test("each path's variables are exactly its operations' path parameters", () => {
  let count = 0;
  for (const { path, method, operation } of operations()) {
    const variables = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
    const parameters = (operation.parameters ?? [])
      .filter((parameter) => parameter.in === "path")
      .map((parameter) => {
        assert.equal(parameter.required, true, `${method} ${path}: ${parameter.name} not required`);
        return parameter.name;
      })
      .sort();
    assert.deepEqual(parameters, variables, `${method} ${path}`);
    count++;
  }
  assert.ok(count > 0, "the document has no operations");
});

test("operationIds are unique", () => {
  const seen = new Map();
  for (const { path, method, operation } of operations()) {
    const where = `${method} ${path}`;
    assert.ok(!seen.has(operation.operationId),
      `${operation.operationId}: ${seen.get(operation.operationId)} and ${where}`);
    seen.set(operation.operationId, where);
  }
});
